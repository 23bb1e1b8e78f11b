"""The episode player's "where the network looks" on a recorded Atari game: the frame on screen is tinted
once its map arrives from the background thread, the readout names the network used, switching it off
shows the plain frame; a game without its network says where the saliency is available."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from test_core_dqn_atari import CPU, tiny  # noqa: E402


@pytest.fixture(scope="module")
def pong():
    from studio.trainers.dqn import DQNTrainer
    trainer = DQNTrainer(tiny("ALE/Pong-v5", record_episodes=True), None, CPU, 0)
    trainer.evaluate(1, seed=7, record=True)
    (episode,) = trainer.take_episodes()
    return trainer.episode_spec(), episode


def _player(qtbot, spec, episode):
    from widgets.episode_player import EpisodePlayer
    player = EpisodePlayer()
    qtbot.addWidget(player)
    player.setup(spec)
    player.add_episode(episode)
    return player


def test_where_it_looks_tints_the_shown_frame(qtbot, pong):
    spec, episode = pong
    player = _player(qtbot, spec, episode)
    player.show()
    assert player.btn_looks.isVisible() and player.btn_looks.isEnabled()
    player.seek(40)
    plain = episode.frame(40)
    assert np.array_equal(player.image.image, plain)
    player.btn_looks.setChecked(True)
    assert "(the network that played)" in player.readout.text()
    qtbot.waitUntil(lambda: not np.array_equal(player.image.image, plain), timeout=20_000)
    assert player._saliency.has(40) and player._saliency.scale > 0
    assert (player.image.image[..., 2].astype(int) >= plain[..., 2]).mean() > 0.9  # tinted blue, not replaced
    player.btn_looks.setChecked(False)
    assert np.array_equal(player.image.image, plain) and "Q: NOOP" in player.readout.text()
    player.close_worker()


def test_a_game_without_its_network_says_where_saliency_is_available(qtbot, pong):
    import dataclasses
    spec, episode = pong
    player = _player(qtbot, spec, dataclasses.replace(episode, network=None))
    player.btn_looks.setChecked(True)
    assert "only for games recorded in this run" in player.readout.text()
    player.network_source = lambda: (_ for _ in ()).throw(OSError("the session file is gone"))
    player.btn_looks.setChecked(False)
    player.btn_looks.setChecked(True)
    assert "reading the session's network" in player.readout.text()  # read on the worker thread
    qtbot.waitUntil(lambda: "the session file is gone" in player.readout.text(), timeout=10_000)
    assert np.array_equal(player.image.image, episode.frame(0))


def test_playing_asks_for_frames_ahead_of_the_playhead_and_a_recent_map_stands_in(qtbot, pong):
    from widgets.saliency_worker import LEAD
    spec, episode = pong
    player = _player(qtbot, spec, episode)
    player.btn_looks.setChecked(True)
    sal, worker = player._saliency, player._worker
    worker.close()  # its thread stopped: the wanted frames stay in the job for this test to read
    sal.stop = False  # (closing asked its rebuild to stop)
    sal.map(20)  # computed earlier, e.g. while paused there
    player.seek(22)
    assert np.array_equal(player.image.image, episode.frame(22))  # paused: only the frame's own map
    player.timer.start(10_000)  # "playing", without the clock moving on
    player._draw_frame()
    saliency, shown, frames = worker._job
    assert shown is None and frames[:3] == [22 + LEAD, 24 + LEAD, 26 + LEAD]
    assert not np.array_equal(player.image.image, episode.frame(22))  # frame 20's map stands in
    player.pause()
    player.close_worker()
