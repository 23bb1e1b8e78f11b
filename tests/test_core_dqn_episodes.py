"""The DQN's game pictures: recorded evaluation episodes (frames, actions, Q-values), their place in the
session file, resume, the live game panel, stopping mid-evaluation, and `main.py evaluate`."""
import json
import zlib

import h5py
import numpy as np
import pytest
import torch

from studio import config as cfg
from studio.control import Control
from studio.rl.episode import Episode
from studio.runs import make_runner, new_run, resume_run
from studio.session.reader import SessionReader
from studio.sinks import MemorySink
from studio.trainers.dqn import DQNTrainer
from studio.trainers.dqn_config import DQNConfig
from test_core_cli import cli, finish, ok, start

TINY = DQNConfig(hidden=16, buffer_size=500, batch_size=16, learning_starts=50, train_freq=4, gradient_steps=1,
                 eps_steps=200, eval_every=100, eval_episodes=2)


def test_a_recorded_episode_matches_what_was_played():
    t = DQNTrainer(TINY, None, torch.device("cpu"), 0)
    returns = t.evaluate(3, seed=7, record=True)
    [ep] = t.take_episodes()
    assert t.take_episodes() == []                                  # handed over once
    assert ep.seed == 7 and ep.total_return == returns[0]
    assert len(ep) == returns[0] + 1                                # CartPole pays 1 per step; plus the final state
    actions, q, rewards = ep.arrays()
    assert actions[-1] == -1 and rewards[-1] == 0 and set(actions[:-1].tolist()) <= {0, 1}
    assert np.array_equal(actions[:-1], q[:-1].argmax(1))           # greedy: the action is the best Q
    frame = ep.frame(0)
    assert frame.shape == t.episode_spec().frame_shape == (400, 600, 3) and frame.dtype == np.uint8
    assert frame.min() < 100 < 250 < frame.max()                   # a drawn picture, not a blank
    assert not np.array_equal(ep.frame(0), ep.frame(len(ep) - 1))   # the pole moved
    # The same seed plays the same episode again.
    again = DQNTrainer(TINY, None, torch.device("cpu"), 0)
    assert again.evaluate(1, seed=7) == returns[:1]


def test_episodes_go_into_the_session_compactly_and_read_back(tmp_path, tiny_settings):
    path = tmp_path / "dqn.h5"
    prepared = new_run("dqn", TINY, tiny_settings, path)
    memory = MemorySink()
    make_runner(prepared, Control(), [memory], max_steps=300, preview_seconds=None).run()
    assert [e.step for e in memory.episodes] == [100, 200, 300]
    with SessionReader(path) as r:
        index = r.episode_index()
        assert index["step"].tolist() == [100, 200, 300]
        assert index["return"].tolist() == [e.total_return for e in memory.episodes]
        back = r.episode(2)
        mine = memory.episodes[2]
        assert len(back) == len(mine) and back.seed == mine.seed
        assert np.array_equal(back.frame(len(back) - 1), mine.frame(len(mine) - 1))
        assert np.array_equal(back.arrays()[1], mine.arrays()[1])
        spec = r.episode_spec()
        assert spec.action_names == ("push left", "push right") and spec.fps == 50
        assert "game" not in r.panel_keys()                        # the live view is not snapshotted
        assert "episodes: 3 recorded" in r.summary()
    # Plain h5py, as someone who never saw this program reads it: frames are ordinary uint8 arrays.
    with h5py.File(path, "r", locking=False) as f:
        start = int(f["episodes/index"][2]["start"])
        assert np.array_equal(f["episodes/frames"][start], mine.frame(0))
        stored = f["episodes/frames"].id.get_storage_size()
    frames = sum(len(e) for e in memory.episodes)
    assert stored / frames < 20_000   # a 720 kB CartPole frame takes a few kB


def test_resume_keeps_the_episodes_up_to_its_checkpoint(tmp_path, tiny_settings):
    path = tmp_path / "dqn.h5"
    prepared = new_run("dqn", TINY, tiny_settings, path)
    make_runner(prepared, Control(), max_steps=250, preview_seconds=None).run()
    with h5py.File(path, "r+", locking=False) as f:
        g = f["episodes"]
        whole = g["frames"].shape[0]
        # A run that died after listing one more episode (step 300, past the checkpoint), and while
        # writing the rows of another (rows with no index row).
        g["index"].resize((3,))
        g["index"][2] = np.array([(300, 0, whole, 5, 9.0)], g["index"].dtype)[0]
        for name in ("frames", "actions", "q_values", "rewards"):
            g[name].resize(whole + 12, axis=0)
    resumed = resume_run(path, "cpu")
    memory = MemorySink()
    make_runner(resumed, Control(), [memory], max_steps=400, preview_seconds=None).run()
    with SessionReader(path) as r:
        index = r.episode_index()
        assert index["step"].tolist() == [100, 200, 300, 400]
        assert index["start"][2] == whole                              # both torn writes were cut away
        assert index["return"][2] == memory.episodes[0].total_return   # the stale row was replaced
        ends = index["start"] + index["length"]
        assert index["start"][1:].tolist() == ends[:-1].tolist()        # rows follow one another
        assert r.f["episodes/frames"].shape[0] == r.f["episodes/rewards"].shape[0] == ends[-1]
        assert np.array_equal(r.episode(3).frame(0), memory.episodes[1].frame(0))


def test_a_session_saved_before_episodes_existed_gets_them_on_resume(tmp_path, tiny_settings):
    path = tmp_path / "old.h5"
    prepared = new_run("dqn", cfg.from_dict(DQNConfig, {**cfg.to_dict(TINY), "record_episodes": False}),
                       tiny_settings, path)
    make_runner(prepared, Control(), max_steps=150, preview_seconds=None).run()
    with h5py.File(path, "r+", locking=False) as f:   # as the first DQN sessions were written
        del f["episodes"]
    resumed = resume_run(path, "cpu")
    resumed.trainer.config = cfg.from_dict(DQNConfig, {**cfg.to_dict(TINY)})
    make_runner(resumed, Control(), max_steps=200, preview_seconds=None).run()
    with SessionReader(path) as r:
        assert r.episode_index()["step"].tolist() == [200]


def test_the_live_game_view_shows_the_training_episode():
    t = DQNTrainer(TINY, None, torch.device("cpu"), 0)
    [panel] = t.panels
    assert panel.kind == "frame" and not panel.saved
    first = t.images()["game"]
    for _ in range(5):
        t.train_step()
    assert first.shape == (400, 600, 3) and not np.array_equal(first, t.images()["game"])


def test_a_stop_interrupts_the_evaluation_episodes():
    config = cfg.from_dict(DQNConfig, {**cfg.to_dict(TINY), "eval_every": 100, "eval_episodes": 20})
    t = DQNTrainer(config, None, torch.device("cpu"), 0)
    calls = []
    t.stop_requested = lambda: calls.append(1) or len(calls) > 3
    outs = [t.train_step() for _ in range(100)]
    assert "eval_return" not in outs[-1] and t.take_episodes() == []
    assert len(calls) == 4                  # it gave up at the first check after the stop (one per time step)


def test_evaluate_command_prints_json(tmp_path, sessions_dir):
    out = tmp_path / "d.h5"
    ok(cli(["train", "dqn", "--steps", "120", "--seed", "1", "--out", out, "--hidden", "16",
            "--learning-starts", "50", "--eval-every", "100", "--eval-episodes", "1"], sessions_dir))
    # Two evaluations and info, each its own process (they only read the file), run side by side.
    evaluate = ["evaluate", out, "--episodes", "3", "--seed", "5", "--json"]
    procs = [start(evaluate, sessions_dir), start(evaluate, sessions_dir), start(["info", out], sessions_dir)]
    first, second, info = [ok(finish(proc)) for proc in procs]
    result = json.loads(first.stdout)
    assert len(result["returns"]) == 3 and result["mean_return"] == pytest.approx(np.mean(result["returns"]))
    assert result["step"] == 120 and all(r >= 8 for r in result["returns"])
    again = json.loads(second.stdout)
    assert again["returns"] == result["returns"]                  # same seed, same episodes
    assert "episodes: 1 recorded (CartPole-v1)" in info.stdout


def test_evaluate_refuses_a_session_that_is_not_a_game_agent(tmp_path, sessions_dir, tiny_gan_config, tiny_settings):
    out = tmp_path / "g.h5"  # a GAN session, made here (tests/test_core_cli.py runs `main.py train gan`)
    assert make_runner(new_run("gan", tiny_gan_config, tiny_settings, out), Control(), max_steps=2,
                       preview_seconds=None).run() == "finished"
    result = cli(["evaluate", out], sessions_dir)
    assert result.returncode == 2 and "DQN" in result.stderr and "Traceback" not in result.stderr


def test_episode_frames_round_trip_compressed_and_keep_their_size():
    ep = Episode(5, 1, (4, 6, 3))
    frame = np.arange(72, dtype=np.uint8).reshape(4, 6, 3)
    ep.add(frame, 1, np.array([0.5, 2.0]), 1.0)
    frame[:] = 0                                                  # the caller reusing its array changes nothing
    assert np.array_equal(ep.frame(0), np.arange(72, dtype=np.uint8).reshape(4, 6, 3))
    assert ep.finish().frames[0] == zlib.compress(np.arange(72, dtype=np.uint8).tobytes(), 1)
    with pytest.raises(ValueError, match="frame"):
        ep.add(np.zeros((4, 7, 3), np.uint8), 0, np.zeros(2), 0.0)


def test_evaluate_refuses_a_negative_seed(tmp_path, sessions_dir):
    result = cli(["evaluate", tmp_path / "none.h5", "--seed", "-1"], sessions_dir)
    assert result.returncode == 2 and "--seed" in result.stderr
