"""Help ▸ Keyboard Shortcuts (a table made from the menus themselves, so it cannot drift from them) and
Help ▸ About (the versions a bug report needs)."""
import platform

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QMessageBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

# Keys that work in a view rather than through a menu action.
VIEW_KEYS = [("Timeline (focused)", "← / →", "One snapshot back / on"),
             ("Timeline (focused)", "Home / End", "First / newest snapshot"),
             ("Episode player (focused)", "← / →", "One frame back / on"),
             ("Episode player (focused)", "Home / End", "First / last frame"),
             ("Latent scatter", "Esc", "Cancel picking a pair")]


def shortcut_rows(actions) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every menu action that has a shortcut, then the views' own keys."""
    rows = []
    for path, act in actions:
        keys = act.shortcut().toString(QKeySequence.NativeText)
        if keys:
            rows.append((path, keys, act.text().replace("&", "").rstrip("…")))
    return rows + VIEW_KEYS


class ShortcutsDialog(QDialog):
    def __init__(self, actions, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Keys", "Action"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 460)


def versions() -> list[tuple[str, str]]:
    from importlib import metadata

    import pyqtgraph
    import torch
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    from studio import device as dev
    try:
        app = metadata.version("training-studio")
    except metadata.PackageNotFoundError:
        app = "not installed (run from the source folder)"
    return [("Training Studio", app), ("Python", platform.python_version()), ("torch", torch.__version__),
            ("Qt", f"{qVersion()} (PySide6 {pyside_version})"), ("pyqtgraph", pyqtgraph.__version__),
            ("Trains on", dev.describe(dev.resolve("auto"))), ("System", platform.platform(terse=True))]


def show_about(parent) -> None:
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{value}</td></tr>" for name, value in versions())
    QMessageBox.about(parent, "About Training Studio",
                      "<p><b>Training Studio</b>: watch neural networks learn.</p>"
                      f"<table>{rows}</table>")
