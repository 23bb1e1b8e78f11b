"""An Atari run in the window, as a person sees it: the colour game streamed live, the agent's four
frames, named Q bars, frames/s beside steps/s, a recorded evaluation game in the player with "where it
looks", the episode exported as MP4 — and the views built from what the run hands them (a stream, a
spec), so the window's redesign can move them."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from helpers_gui import window  # noqa: E402,F401
from studio.session.reader import SessionReader  # noqa: E402
from test_core_dqn_atari import tiny  # noqa: E402


def test_an_atari_run_in_the_window(qtbot, window, tmp_path, monkeypatch):  # noqa: F811
    from PySide6.QtWidgets import QFileDialog
    from widgets.game_view import GameView
    from widgets.value_bars import ValueBars
    w = window
    w.setup.select_model("dqn")
    w.setup.form.set_values(tiny("ALE/Pong-v5", eval_every=400, record_episodes=True))
    qtbot.keyClick(w, Qt.Key_Space)
    qtbot.waitUntil(lambda: w.player is not None and len(w.player.episodes) >= 1, timeout=90_000)
    game, eye, bars = w.grids["game"], w.grids["agent_view"], w.grids["q_values"]
    assert isinstance(game, GameView) and isinstance(bars, ValueBars)
    qtbot.waitUntil(lambda: game.frames_drawn >= 3, timeout=10_000)
    assert game.image.image.shape == (210, 160, 3) and "live" in game.title.text()
    qtbot.waitUntil(lambda: eye.step is not None and bars.step is not None, timeout=10_000)
    # the 4 frames 2 by 2 (84 + 2 between + 84); the actions by name
    assert eye.image.image.shape == (170, 170) and bars.names == ("NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE",
                                                                  "LEFTFIRE")
    assert "frames/s" in w.lbl_rate.text()
    player = w.player
    player.following = False  # the next evaluation's game must not replace this one while the test looks
    player.seek(30)
    player.btn_looks.setChecked(True)
    qtbot.waitUntil(lambda: "(the network that played)" in player.readout.text(), timeout=30_000)
    qtbot.waitUntil(lambda: player._saliency.has(30), timeout=30_000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30_000)
    drawn = game.frames_drawn
    qtbot.wait(200)
    assert game.frames_drawn == drawn  # the run is over: the stream is no longer followed
    with SessionReader(w.session_path) as r:
        assert r.episode_index()["step"].tolist()[:1] == [400]
        assert np.array_equal(r.episode(0).frame(30), player.episodes[0].frame(30))
    # The session opened from its file: "where it looks" reads the newest saved network, off the GUI thread.
    path = w.session_path
    assert w.open_session(path)
    viewed = w.player
    viewed.following = False
    viewed.seek(30)
    viewed.btn_looks.setChecked(True)
    with SessionReader(path) as r:
        newest = r.latest_checkpoint()[0]
    whose = "(the network that played)" if newest == viewed.episode.step else f"network of step {newest:,}"
    # The map is ready on the worker before its "ready" signal reaches the GUI thread: wait for the readout.
    qtbot.waitUntil(lambda: whose in viewed.readout.text(), timeout=30_000)
    assert viewed._saliency.has(30)
    out = tmp_path / "game.mp4"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    w.exports.actions["episode"].trigger()
    qtbot.waitUntil(lambda: "Exported the episode" in w.banner.text(), timeout=60_000)
    assert out.stat().st_size > 10_000
