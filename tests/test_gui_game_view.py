"""The live game view: it draws the frames a FrameStream offers, asks for the next one only after taking
one (the trainer copies nothing nobody will see), stops following when the person scrubs back, and
shows snapshots (show_content) when not streaming."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from studio.rl.frame_stream import FrameStream  # noqa: E402
from studio.trainers.base import FramePanel  # noqa: E402


def _view(qtbot):
    from widgets.game_view import GameView
    view = GameView()
    qtbot.addWidget(view)
    view.setup(FramePanel("game", "Pong as the agent plays: training and evaluation", (210, 160, 3)))
    view.show()
    return view


def test_the_stream_is_drawn_at_the_views_pace_and_copies_only_what_is_asked(qtbot):
    view, stream, live = _view(qtbot), FrameStream(), [True]
    offered, stop = [], threading.Event()

    def trainer():  # an agent stepping ~1,000 times a second, copying a frame only when one is wanted
        i = 0
        while not stop.is_set():
            i += 1
            if stream.wanted:
                stream.offer(np.full((210, 160, 3), i % 255 + 1, np.uint8), "training" if i % 2 else "evaluation")
                offered.append(i)
            time.sleep(0.001)

    now = [0.0]
    view.clock = lambda: now[0]  # still: a busy machine's pauses do not count as the stream stopping
    thread = threading.Thread(target=trainer, daemon=True)
    thread.start()
    try:
        view.stream_from(stream, lambda: live[0])
        qtbot.waitUntil(lambda: view.frames_drawn >= 5, timeout=5000)
        assert view.image.image.shape == (210, 160, 3) and "live" in view.title.text()
        live[0] = False  # the person scrubbed back: the view stops taking frames
        qtbot.wait(100)
        drawn = view.frames_drawn
        view.show_content(500, np.zeros((210, 160, 3), np.uint8))
        assert view.frames_drawn == drawn and view.image.image.max() == 0 and "step 500" in view.title.text()
        qtbot.wait(300)
        assert view.frames_drawn == drawn
        live[0] = True
        qtbot.waitUntil(lambda: view.frames_drawn > drawn + 2, timeout=5000)
        view.show_content(600, np.zeros((210, 160, 3), np.uint8))  # a preview while streaming: not drawn
        assert view.image.image.max() > 0
        now[0] += 1.0  # no stream frame for a second (no events run in between): a preview is drawn again
        view.show_content(700, np.zeros((210, 160, 3), np.uint8))
        assert view.image.image.max() == 0 and "step 700" in view.title.text()
        view.stream_from(None, None)
        qtbot.wait(150)
        stopped = view.frames_drawn
        qtbot.wait(300)
        assert view.frames_drawn == stopped
    finally:
        stop.set()
        thread.join()
