"""The snapshots of the run on screen for its timeline: a MemoryHistory (studio/viewer/sources.py) tied to
the window while the run goes on."""
from PySide6.QtCore import QObject, Slot

from studio.viewer.sources import MemoryHistory


class LiveHistory(QObject):
    # A QObject of the GUI thread: the run's signals, emitted in its thread, reach end() queued, here.
    def __init__(self, window):
        super().__init__()
        self.window = window
        self.history = MemoryHistory()
        self.steps, self.contents = self.history.steps, self.history.contents  # (read by tests)
        self.last_step = None  # the run's newest step, from its status
        # While the run goes on, the newest position of the timeline is the run itself ("live"); once it
        # has ended, it is the newest snapshot, as when the session is opened from its file.
        window.viewer.set_live(True)
        window.viewer.set_last_step(None)
        run = getattr(window, "run", None)
        if run is not None:
            run.sink.signals.status_ready.connect(self._status)
            run.thread.finished.connect(self.end)

    @Slot(object)
    def _status(self, status) -> None:
        self.last_step = status.step

    @Slot()
    def end(self) -> None:
        """The run has ended: the timeline's newest position shows the newest snapshot, not live pictures."""
        viewer = self.window.viewer
        if self.window.live is not self:
            return  # another run's or a session's views are on screen by now
        viewer.set_live(False)
        viewer.set_last_step(self.last_step)
        if viewer.at_newest and len(viewer.steps):
            self.show_step(viewer.step)

    def add(self, step: int, images: dict) -> None:
        self.add_many([(step, images)])

    def add_many(self, snapshots) -> None:
        """(step, {panel: content}) pairs in step order; the timeline is extended once."""
        self.history.add_many(snapshots)
        self.steps, self.contents = self.history.steps, self.history.contents  # thinning makes new lists
        self.window.timeline.setVisible(True)
        self.window.viewer.extend_steps(self.all_steps())

    def all_steps(self):
        return self.history.all_steps()

    def show_step(self, step: int) -> None:
        """Every panel as its newest kept snapshot at or before `step`."""
        for key in self.history.steps:
            found = self.history.snapshot_at(key, step)
            if found is not None and key in self.window.grids:
                self.window.grids[key].show_content(*found)
