"""Computes the episode player's saliency maps on a background thread: the frame on screen first, then the
frames ahead of it. The frame a person is looking at is computed at once; the frames ahead only with
SHARE of the thread's time (it sleeps the rest), so a run training beside it keeps its speed
(benchmarks/results/atari_gui_overhead.md measures what it costs)."""
import threading
import time

from PySide6.QtCore import QObject, Signal

from studio.errors import StudioError
from studio.rl.episode_saliency import Interrupted

AHEAD = 45    # frames computed past the shown one (3 s of play at the game's 15 agent steps per second)
LEAD = 2      # playing: the first frame wanted is this far ahead (it is on screen by the time its map is)
SHARE = 0.3   # of one core, for frames not yet on screen


class SaliencyWorker(QObject):
    ready = Signal(object, int)   # (EpisodeSaliency, frame): a map was computed
    failed = Signal(object, str)  # (EpisodeSaliency, one-line message)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._job = None       # (EpisodeSaliency, [frames wanted, the shown one first])
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="saliency", daemon=True)
        self._thread.start()

    def want(self, saliency, t: int, last: int, playing: bool = False) -> None:
        """Show frame t of `saliency`'s episode (frames 0…last) next, then the ones after it. Playing, the
        frames ahead of the playhead are wanted now, every other one (a map takes longer than a frame
        is on screen; the player shows the newest map near its frame), and at full speed."""
        if playing:
            frames = [f for f in range(t + LEAD, min(last, t + AHEAD) + 1, 2) if not saliency.has(f)]
            shown = None  # all of them: the person is watching
        else:
            frames = [f for f in range(t, min(last, t + AHEAD) + 1) if not saliency.has(f)]
            shown = t
        saliency.stop = False
        with self._cond:
            self._job = (saliency, shown, frames)
            self._cond.notify()

    def cancel(self) -> None:
        with self._cond:
            if self._job is not None:
                self._job[0].stop = True  # a rebuild of its game in progress stops
            self._job = None

    def close(self) -> None:
        """Stop the thread and wait for it: a thread still inside torch when the interpreter exits aborts
        the process. A rebuild in progress stops within 256 frames; a map takes well under a second."""
        with self._cond:
            if self._job is not None:
                self._job[0].stop = True
            self._closed, self._job = True, None
            self._cond.notify()
        self._thread.join()

    def _next(self):
        """(saliency, frame, is it the shown one) to compute next, or None when closed."""
        with self._cond:
            while not self._closed and not (self._job and self._job[2]):
                self._cond.wait()
            if self._closed:
                return None
            saliency, shown, frames = self._job
            t = frames.pop(0)
            return saliency, t, shown is None or t == shown

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            saliency, t, shown = job
            start = time.perf_counter()
            try:
                saliency.compute(t)
            except Interrupted:  # the person moved on: nothing to say
                continue
            except Exception as exc:  # noqa: BLE001 -- a map is an extra: say why it is missing, keep the app
                self.cancel()
                text = str(exc) if isinstance(exc, StudioError) else \
                    f"the saliency could not be computed ({type(exc).__name__}: {exc})"
                self.failed.emit(saliency, text)
                continue
            self.ready.emit(saliency, t)
            if not shown:  # a frame ahead of the screen: rest, unless the person moves on (want() wakes it)
                with self._cond:
                    self._cond.wait(timeout=(time.perf_counter() - start) * (1 / SHARE - 1))
