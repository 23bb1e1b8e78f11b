"""A wait cursor over a short blocking step on the GUI thread (checking a file takes ~0.2 s; a damaged
one up to the probe's 5 s limit), so the pause reads as work, not as a frozen window."""
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


@contextmanager
def busy_cursor():
    QApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
