"""Python's cycle collector, run on the GUI thread only.

With automatic collection on, a collection can start in whichever thread happens to allocate: the
training worker, in the middle of building a model. If it frees a dead window's Qt objects there, Qt
deletes widgets from a non-GUI thread and the process segfaults (seen: a worker in `Module.to()` while
a closed window's garbage was collected). So automatic collection is turned off and this timer runs
the same generational collections on the GUI thread, at most every `interval_ms`.
"""
import gc

from PySide6.QtCore import QObject, QTimer

_installed: "MainThreadGC | None" = None


class MainThreadGC(QObject):
    def __init__(self, interval_ms: int = 500, parent=None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)
        gc.disable()

    def collect_due(self) -> int:
        """Collect the oldest generation whose allocation count passed its threshold, as gc would."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0


def install_main_thread_gc() -> MainThreadGC:
    """Idempotent; call on the GUI thread once a QApplication exists. The collector lives with the app."""
    global _installed
    from PySide6.QtWidgets import QApplication

    if _installed is None:
        _installed = MainThreadGC(parent=QApplication.instance())
    return _installed
