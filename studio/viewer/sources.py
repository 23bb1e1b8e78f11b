"""Where the viewer's pictures come from while a run trains. MemoryHistory: a run's snapshots kept in
memory as the runner saves them, so the timeline can go back through them while training goes on (the
file being written is not read back). LiveRun: the run on screen — its newest preview, numbered so each
view draws it once, its history, and what a resumed run starts from. An opened session is the other
source (studio/viewer/session.py); ViewerState (studio/viewer/state.py) asks either for "the snapshot at
a step"."""
import bisect

import numpy as np

MAX_BYTES = 256 * 2**20  # beyond this, every other older snapshot is let go (the file keeps them all)


class MemoryHistory:
    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self.steps: dict[str, list[int]] = {}
        self.contents: dict[str, list[np.ndarray]] = {}
        self.nbytes = 0

    def add_many(self, snapshots) -> None:
        """(step, {panel: content}) pairs in step order."""
        for step, images in snapshots:
            self._keep(step, images)
        if self.nbytes > self.max_bytes:
            self._thin()

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

    def snapshot_at(self, key: str, step: int):
        """(step, content) of panel `key`'s newest kept snapshot at or before `step`, or None."""
        steps = self.steps.get(key, [])
        i = bisect.bisect_right(steps, step) - 1
        return (steps[i], self.contents[key][i]) if i >= 0 else None

    def _thin(self) -> None:
        for key in self.steps:
            steps, contents = self.steps[key], self.contents[key]
            half = len(steps) // 2
            keep = list(range(0, half, 2)) + list(range(half, len(steps)))  # the recent half stays whole
            self.steps[key] = [steps[i] for i in keep]
            self.contents[key] = [contents[i] for i in keep]
        self.nbytes = sum(c.nbytes for cs in self.contents.values() for c in cs)


class LiveRun:
    """The run on screen, as a source of pictures. Made when a run is asked for (with the carry of a
    resumed session, if any), adopted by the run's RunInfo when it starts, and kept after it ends as an
    in-memory history for the timeline."""

    def __init__(self, carry=None):
        self.carry = carry       # studio.viewer.session.Carry of a resume, until the run starts
        self.info = None         # the RunInfo, once started
        self.history = MemoryHistory()
        self.last_step = None    # the newest step trained, from the run's status
        self.ended = False
        self.serial = 0          # numbers the previews: a view that drew serial n has drawn the newest
        self._newest = {}        # {panel: (serial, step, picture)}: a preview may bring only some panels

    def adopt(self, info):
        """The run has started: its RunInfo; returns the carry if this is the resumed run it was for."""
        self.info = info
        carry, self.carry = self.carry, None
        return carry if carry is not None and info.start_step == carry.step else None

    # --- what the views are built from ---
    @property
    def series(self):
        return self.info.series

    @property
    def panels(self):
        return self.info.panels

    @property
    def episode_spec(self):
        return self.info.episodes

    # --- pictures ---
    def set_preview(self, step: int, images: dict) -> int:
        self.serial += 1
        for key, picture in images.items():
            self._newest[key] = (self.serial, step, picture)
        return self.serial

    def newest(self, key: str, after: int):
        """(serial, step, picture) of the newest preview for panel `key` if it is newer than serial
        `after`, else None."""
        newest = self._newest.get(key)
        return newest if newest is not None and newest[0] > after else None

    def add_snapshots(self, snapshots) -> None:
        self.history.add_many(snapshots)

    def snapshot_at(self, key: str, step: int):
        return self.history.snapshot_at(key, step)

    def steps(self) -> np.ndarray:
        return self.history.all_steps()

    @property
    def contents(self) -> dict:
        return self.history.contents

    def close(self) -> None:
        """Nothing to let go: the pictures are dropped with the object."""
