"""The game being played, frame by frame, from the training thread to a viewer at the viewer's own pace.

The viewer asks (`want`), the training thread copies the game's current colour frame at its next agent
step only if asked (`wanted` is a plain attribute read: nothing is copied for a frame nobody will see),
and the viewer takes the newest (`take`). So a view drawing 30 times a second costs the trainer 30 frame
copies a second, and no view costs it nothing. Qt-free: any viewer, any thread.
"""
import threading

import numpy as np


class FrameStream:
    def __init__(self):
        self._lock = threading.Lock()
        self.wanted = False
        self._frame: np.ndarray | None = None
        self._what = ""          # whose frame: the training game or an evaluation game
        self._serial = 0         # frames offered so far

    def want(self) -> None:
        """Ask for the next frame."""
        self.wanted = True

    def offer(self, frame: np.ndarray, what: str) -> None:
        """The training thread's current frame (copied), when one was asked for."""
        copy = np.array(frame, np.uint8, copy=True)
        with self._lock:
            self._frame, self._what = copy, what
            self._serial += 1
            self.wanted = False

    def take(self, after: int = 0):
        """(serial, frame, what) of the newest frame if it is newer than `after`, else None."""
        with self._lock:
            if self._frame is None or self._serial <= after:
                return None
            return self._serial, self._frame, self._what
