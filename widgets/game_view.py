"""The game the agent is playing, in colour, as a smooth live picture: frames come from a FrameStream
(studio/rl/frame_stream.py) at up to FPS a second, within a budget of the GUI thread (widgets/refresh.py),
scaled up without smoothing so the game's pixels stay sharp. Fed only by what it is given: a stream and a
`live` test (is the person looking at the newest step?) for a run, or pictures through show_content (an
opened session's snapshot, a step chosen on the timeline)."""
import time

from PySide6.QtCore import QTimer

from widgets.image_grid import ImageGrid

# Draws a second at most: the game's own pace in agent decisions (15 a second of game time; training
# runs several times faster than real time, so frames in between are skipped, not slowed). 30 draws with
# 5 % of the GUI thread cost the DQN 9 % of its speed in the window on this 2-core CPU
# (benchmarks/results/atari_gui_overhead.md).
FPS = 15
SHARE = 0.03        # of the GUI thread for this view; a slow machine gets fewer frames, not slower training
HOLD_S = 0.5        # while stream frames arrive, the slower previews' frame is not drawn over them
WHAT = {"training": "training game (ε-greedy)", "evaluation": "evaluation game"}


class GameView(ImageGrid):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.stream = None
        self.live = None          # callable: True while the newest step is on screen
        self._serial = 0
        self._streamed_at = -1e9
        self._what = ""
        self.clock = time.monotonic  # replaceable: the tests hold the clock still
        self.frames_drawn = 0     # stream frames drawn (benchmarks count them)
        self._tick = QTimer(self)  # asks the budgeted refresh for the next frame
        self._tick.setInterval(int(1000 / FPS))
        self._tick.timeout.connect(self._next)

    def setup(self, panel) -> None:
        super().setup(panel)
        self.refresher.min_interval, self.refresher.share = 1 / FPS, SHARE

    def stream_from(self, stream, live) -> None:
        """Follow `stream` while `live()` says the newest step is on screen; stream None: stop."""
        self.stream, self.live, self._serial = stream, live, 0
        if stream is None:
            self._tick.stop()
        else:
            stream.want()
            self._tick.start()

    def _next(self) -> None:
        if self.stream is not None and self.live():
            self.refresher.request()

    def _pull(self) -> None:
        if self.stream is not None and self.live():
            found = self.stream.take(self._serial)
            self.stream.want()
            if found is not None:
                self._serial, frame, what = found
                self._draw_frame(frame, what)
                return
        super()._pull()  # a preview from the window's source, if any

    def _draw_frame(self, frame, what: str) -> None:
        first = self.step is None and self._what == ""
        self.image.setImage(frame, levels=None, autoLevels=False)  # uint8 as it is: no rescaling pass
        if first:
            self.box.autoRange(padding=0.01)
        self._streamed_at = self.clock()
        self.frames_drawn += 1
        if what != self._what:
            self._what = what
            said = f"{WHAT.get(what, what)}, live"
            self.title.setText(f"{self.heading.split(':')[0]} — {said}" if self.heading else said)

    def show_content(self, step: int, stack) -> None:
        streaming = self.stream is not None and self.live() and self.clock() - self._streamed_at < HOLD_S
        if streaming:
            return  # the stream's frames are newer than a preview's
        self._what = ""
        super().show_content(step, stack)
