"""The snapshots of the run on screen, kept in memory as the runner saves them, so the timeline can go
back through them while training goes on (the file being written is not read back)."""
import bisect

import numpy as np
from PySide6.QtCore import QObject, Slot

MAX_BYTES = 256 * 2**20  # beyond this, every other older snapshot is let go (the file keeps them all)


class LiveHistory(QObject):
    # A QObject of the GUI thread: the run's signals, emitted in its thread, reach end() queued, here.
    def __init__(self, window):
        super().__init__()
        self.window = window
        self.steps: dict[str, list[int]] = {}
        self.contents: dict[str, list[np.ndarray]] = {}
        self.nbytes = 0
        self.last_step = None  # the run's newest step, from its status
        # While the run goes on, the newest position of the timeline is the run itself ("live"); once it
        # has ended, it is the newest snapshot, as when the session is opened from its file.
        window.timeline.set_live(True)
        window.timeline.set_last_step(None)
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
        timeline = self.window.timeline
        if self.window.live is not self:
            return  # another run's or a session's views are on screen by now
        timeline.set_live(False)
        timeline.set_last_step(self.last_step)
        if timeline.at_newest() and len(timeline.steps):
            self.show_step(int(timeline.steps[-1]))

    def add(self, step: int, images: dict) -> None:
        self.add_many([(step, images)])

    def add_many(self, snapshots) -> None:
        """(step, {panel: content}) pairs in step order; the timeline is extended once."""
        for step, images in snapshots:
            self._keep(step, images)
        if self.nbytes > MAX_BYTES:
            self._thin()
        timeline = self.window.timeline
        timeline.setVisible(True)
        timeline.extend_steps(self.all_steps())

    def _keep(self, step: int, images: dict) -> None:
        for key, content in images.items():
            steps = self.steps.setdefault(key, [])
            if steps and step <= steps[-1]:
                continue  # the same step again (a resumed run retakes its first snapshot)
            steps.append(step)
            self.contents.setdefault(key, []).append(content)
            self.nbytes += content.nbytes

    def all_steps(self) -> np.ndarray:
        every = [np.asarray(s, np.int64) for s in self.steps.values() if s]
        return np.unique(np.concatenate(every)) if every else np.zeros(0, np.int64)

    def show_step(self, step: int) -> None:
        """Every panel as its newest kept snapshot at or before `step`."""
        for key, steps in self.steps.items():
            i = bisect.bisect_right(steps, step) - 1
            if i >= 0 and key in self.window.grids:
                self.window.grids[key].show_content(steps[i], self.contents[key][i])

    def _thin(self) -> None:
        for key in self.steps:
            steps, contents = self.steps[key], self.contents[key]
            half = len(steps) // 2
            keep = list(range(0, half, 2)) + list(range(half, len(steps)))  # the recent half stays whole
            self.steps[key] = [steps[i] for i in keep]
            self.contents[key] = [contents[i] for i in keep]
        self.nbytes = sum(c.nbytes for cs in self.contents.values() for c in cs)
