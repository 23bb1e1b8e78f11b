"""Where the viewer's pictures come from. MemoryHistory: a run's snapshots kept in memory as the runner
saves them, so the timeline can go back through them while training goes on (the file being written is
not read back). More sources (the live run, an opened session) join here: docs/design/viewer-state-plan.md.
"""
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
