"""Redraws that keep to a budget of the GUI thread's time.

On a 2-core machine every millisecond the GUI thread paints is taken from training (the cores and
the GIL are shared), so a view redraws no more often than its cost allows: after a redraw that cost
c seconds (updating the items plus painting them), the next one waits max(min_interval, c / share),
but never more than MAX_INTERVAL_S. The cost is the GUI thread's own CPU time, not the wall time:
on a machine busy with other programs the thread is descheduled mid-paint, and a wall-clock cost
stretched views to one redraw every 7-8 s, so that the window looked frozen.
A cheap view on a fast machine redraws at its minimum interval; an expensive one stretches its
interval instead of slowing training.
"""
import time

import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy

MAX_INTERVAL_S = 0.7  # a live view redraws more than once a second, whatever its cost (the runner's
                      # previews also come at most 0.7 s apart: studio/runner.py PREVIEW_MAX_S)


class BudgetedRefresh(QObject):
    def __init__(self, refresh, min_interval_s: float, share: float, parent=None):
        super().__init__(parent)
        self.refresh, self.min_interval, self.share = refresh, min_interval_s, share
        self._last_start = -1e9
        self.cost = 0.0  # seconds spent on the last redraw: refresh() plus the paints it caused
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def add_paint_cost(self, seconds: float) -> None:
        self.cost += seconds

    def _wait(self) -> float:
        next_ok = self._last_start + min(max(self.min_interval, self.cost / self.share), MAX_INTERVAL_S)
        return next_ok - time.monotonic()

    def request(self) -> None:
        """Something changed: redraw as soon as the budget allows (several requests, one redraw)."""
        if not self._timer.isActive():
            self._timer.start(max(0, int(self._wait() * 1000)))

    def now(self) -> None:
        """Redraw at once, whatever the budget (a pause, a single step: the person is waiting)."""
        self._timer.stop()
        self._draw()

    def _fire(self) -> None:
        # The paints of the last redraw may have been counted after this timer was set: check again.
        wait = self._wait()
        if wait > 0.001:
            self._timer.start(int(wait * 1000) + 1)
            return
        self._draw()

    def _draw(self) -> None:
        self._last_start = time.monotonic()
        cpu = time.thread_time()
        self.refresh()
        self.cost = time.thread_time() - cpu


class TimedGraphicsLayout(pg.GraphicsLayoutWidget):
    """A GraphicsLayoutWidget that reports how long each of its paints took to a BudgetedRefresh."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refresher: BudgetedRefresh | None = None

    def settle(self) -> None:
        """Bring every view box's range and transform up to date now, after the content changed. Left to
        the paint, the transform changes during the paint and Qt paints the whole view a second time
        (every refresh of a plot cost two paints)."""
        scene = self.scene()
        if scene is not None:
            scene.prepareForPaint()

    def paintEvent(self, event):
        start = time.thread_time()
        super().paintEvent(event)
        if self.refresher is not None:
            self.refresher.add_paint_cost(time.thread_time() - start)


def fix_two_lines(label: QLabel) -> None:
    """Wrap a label's text over two lines of fixed height, its width set by the layout rather than by its
    text: a title whose text changes (its step count) never re-lays out, and so never repaints, the
    window around it."""
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
    label.setWordWrap(True)
    label.setFixedHeight(2 * label.fontMetrics().lineSpacing() + 4)
