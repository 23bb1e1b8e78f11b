"""A download's progress as plain calls of callback(label, done_bytes, total_bytes), from the progress-bar
object that pooch's HTTPDownloader drives. The CLI prints the calls (studio/progress.py: DownloadLine); a
window can pass a callback that forwards them to its thread."""
from collections.abc import Callable

# callback(label, done, total): total is 0 when the server does not say the size; done == total > 0, or a
# call after close() with done == total, marks the end of that file.
ProgressCallback = Callable[[str, int, int], None]


class DownloadProgress:
    """What pooch calls on its progress bar: `total` is set, then update(chunk) per chunk (the chunk size,
    so the sum can pass the total), then reset(), update(total) and close() when the file is complete."""

    def __init__(self, callback: ProgressCallback, label: str):
        self.callback, self.label = callback, label
        self.total = 0
        self.done = 0
        self._peak = 0  # bytes seen before pooch's final reset(), for a server that sent no size

    def update(self, n: int) -> None:
        if not n:
            return
        self.done += int(n)
        if self.total:
            self.done = min(self.done, self.total)
        self._peak = max(self._peak, self.done)
        if self.done < self.total or not self.total:  # the end is reported once, by close()
            self.callback(self.label, self.done, self.total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        size = self.total or self._peak
        self.callback(self.label, size, size)
