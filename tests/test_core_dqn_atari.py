"""The DQN from pixels on Atari (issue 12): the series and panels of a run, life loss against whole games,
clipped rewards for learning against raw scores for people, evaluation with ε, exact resume with the replay
memory kept, the refill without it, the memory check, the CLI round trip, and bad input."""
import functools
import json
import subprocess
import sys
from collections import namedtuple

import numpy as np
import pytest
import torch

from studio import config as cfg
from studio.control import Control
from studio.errors import ConfigError
from studio.rl import atari
from studio.rl.atari_catalog import action_names
from studio.rl.pixel_game import PixelGame
from studio.runs import load_trainer, make_runner, new_run, resume_run
from studio.session.reader import SessionReader
from studio.trainers.dqn import DQNTrainer
from studio.trainers.dqn_config import PRESETS, DQNConfig
from studio.cli import main
from test_core_cli import REPO, cli_env

CPU = torch.device("cpu")


def tiny(env="ALE/Breakout-v5", **kw) -> DQNConfig:
    base = dict(env=env, buffer_size=1000, batch_size=8, learning_starts=50, train_freq=4, gradient_steps=1,
                target_update=100, eps_steps=200, eval_every=10**6, eval_episodes=1, eval_epsilon=0.05,
                double=False)
    return cfg.from_dict(DQNConfig, {**base, **kw})


def test_a_breakout_run_gives_the_series_and_the_panels(monkeypatch):
    monkeypatch.setattr("studio.trainers.dqn.FILL_EVERY", 100)
    t = DQNTrainer(tiny(), None, CPU, 0)
    keys = {s.key for s in t.series}
    assert keys == {"episode_return", "eval_return", "td_loss", "q_max", "epsilon", "replay_fill"}
    outs = [t.train_step() for _ in range(200)]
    assert all("epsilon" in o for o in outs) and not any("td_loss" in o for o in outs[:50])
    learned = [o for o in outs if "td_loss" in o]
    assert len(learned) == (200 - 52) // 4 + 1 and all(torch.isfinite(o["q_max"]) for o in learned)
    fills = [float(o["replay_fill"]) for o in outs if "replay_fill" in o]
    assert fills == pytest.approx([len(t.buffer) / 1000 - 0.1, len(t.buffer) / 1000])  # 1,000 transitions held at most
    images = t.images()
    panels = {p.key: p for p in t.panels}
    assert set(images) == set(panels) == {"game", "agent_view", "q_values"}
    for key, panel in panels.items():
        assert images[key].shape == tuple(panel.shape) and images[key].dtype == panel.dtype, key
    assert panels["q_values"].names == action_names("ALE/Breakout-v5") and not panels["agent_view"].saved
    assert np.array_equal(images["agent_view"], t.buffer.current()[0])
    assert np.allclose(images["q_values"], t.q_values(images["agent_view"]))


def _play(game: PixelGame, steps: int, seed: int = 0):
    """Random play through the training side, recording what the layer gave and what went into the replay."""
    seen, added = [], []
    step_of, add_of = game.envs.step, game.replay.add
    game.envs.step = lambda a: seen.append(step_of(a)) or seen[-1]
    game.replay.add = lambda *args, **kw: added.append(args) or add_of(*args, **kw)
    rng = np.random.default_rng(seed)
    outs = [game.step(int(rng.integers(game.n_actions))) for _ in range(steps)]
    return seen, added, outs


def test_life_loss_ends_a_training_episode_clipped_rewards_learn_raw_scores_show():
    game = PixelGame(tiny("ALE/SpaceInvaders-v5", buffer_size=5000), 1)
    seen, added, outs = _play(game, 1500)
    raw = np.array([s.rewards[0] for s in seen])
    clipped = np.array([a[1][0] for a in added])
    assert raw.max() > 1 and np.array_equal(clipped, np.sign(raw))       # invaders pay 5–30: clipped to 1
    lost = np.array([s.life_lost[0] for s in seen])
    over = np.array([s.game_over[0] for s in seen])
    terminated = np.array([a[2][0] for a in added])
    assert (lost & ~over).sum() >= 2 and over.sum() >= 1
    assert np.array_equal(terminated, lost | over)                        # a lost life stops the bootstrap
    # The series gets each whole game's raw score: every life's points, the restarts' included.
    scores = [float(o["episode_return"]) for o in outs if "episode_return" in o]
    finished = [f for s in seen for f in s.finished]
    assert scores and scores[0] == finished[0].score
    first_end = int(np.flatnonzero(over)[0])
    assert scores[0] >= raw[:first_end + 1].sum() > 0 and lost[:first_end].sum() >= 2


def test_evaluation_plays_whole_games_with_eval_epsilon(monkeypatch):
    lives_seen = []
    step_of = atari.EvalGame.step

    def spy(self, action):
        out = step_of(self, action)
        lives_seen.append(self.lives)
        return out

    monkeypatch.setattr(atari.EvalGame, "step", spy)
    t = DQNTrainer(tiny(eval_epsilon=0.5), None, CPU, 0)
    returns = t.evaluate(1, seed=3, record=True)
    [ep] = t.take_episodes()
    assert lives_seen[0] == 5 and lives_seen[-1] == 0                     # one episode: all five lives
    assert len(ep) == len(lives_seen) + 1 and ep.total_return == returns[0]
    actions, q, rewards = ep.arrays()
    off_greedy = np.mean(actions[:-1] != q[:-1].argmax(1))
    assert 0.25 < off_greedy < 0.5                                        # ε 0.5 of 4 actions: 0.375 expected
    frame = ep.frame(0)
    assert frame.shape == (210, 160, 3) and frame.dtype == np.uint8 and len(np.unique(frame.reshape(-1, 3), axis=0)) > 3
    spec = t.episode_spec()
    assert spec.action_names == ("NOOP", "FIRE", "RIGHT", "LEFT") and spec.frame_shape == (210, 160, 3)
    # ε 0: greedy. An untrained agent may never press FIRE after a lost life, and stall until the cap:
    # a short cap here (108,000 frames for real) also shows that a game cut at the cap ends the episode.
    monkeypatch.setattr("studio.rl.pixel_game.EvalGame", functools.partial(atari.EvalGame, max_frames=2000))
    t.config = tiny(eval_epsilon=0.0)
    t.evaluate(1, seed=3, record=True)
    actions, q, _ = t.take_episodes()[0].arrays()
    assert np.array_equal(actions[:-1], q[:-1].argmax(1)) and len(actions) <= 2000 // 4 + 1


def _weights(path):
    trainer, _, _ = load_trainer(path, "cpu")
    return trainer, trainer.q.state_dict()


def _series(path):
    with SessionReader(path) as r:
        return {k: r.series(k) for k in r.series_keys()}, r.events()


def test_resume_with_the_replay_kept_is_exact(tmp_path, tiny_settings):
    config = tiny(keep_replay=True)
    whole, split = tmp_path / "whole.h5", tmp_path / "split.h5"
    make_runner(new_run("dqn", config, tiny_settings, whole), Control(), max_steps=200, preview_seconds=None).run()
    make_runner(new_run("dqn", config, tiny_settings, split), Control(), max_steps=120, preview_seconds=None).run()
    make_runner(resume_run(split, "cpu"), Control(), max_steps=200, preview_seconds=None).run()
    (a, _), (b, _) = _series(whole), _series(split)
    assert a.keys() == b.keys() and len(a["td_loss"][0]) > 10
    for key in a:
        assert np.array_equal(a[key][0], b[key][0]), key
        assert np.array_equal(a[key][1], b[key][1], equal_nan=True), key
    (ta, wa), (tb, wb) = _weights(whole), _weights(split)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert len(ta.buffer) == len(tb.buffer) and np.array_equal(ta.buffer.frames, tb.buffer.frames)


def test_resume_without_the_replay_refills_it_and_keeps_the_game(tmp_path, tiny_settings):
    path = tmp_path / "split.h5"
    prepared = new_run("dqn", tiny(keep_replay=False), tiny_settings, path)
    make_runner(prepared, Control(), max_steps=120, preview_seconds=None).run()
    before = prepared.trainer.game.envs.state()
    resumed = resume_run(path, "cpu")
    assert len(resumed.trainer.buffer) == 0 and resumed.trainer.learn_after == 170
    after = resumed.trainer.game.envs.state()
    assert after["games"][0]["emulator"] == before["games"][0]["emulator"]  # the game itself is exact
    make_runner(resumed, Control(), max_steps=200, preview_seconds=None).run()
    series, events = _series(path)
    loss_steps = series["td_loss"][0]
    assert not ((loss_steps > 120) & (loss_steps <= 170)).any() and (loss_steps > 170).any()
    assert any("refilling 50 transitions before learning resumes" in msg for _, _, msg in events)


def test_a_replay_memory_that_does_not_fit_is_refused_before_the_start(monkeypatch, tmp_path, tiny_settings):
    memory = namedtuple("memory", "available")
    monkeypatch.setattr("studio.rl.frame_replay.psutil.virtual_memory", lambda: memory(3 * 10**9))
    with pytest.raises(ConfigError, match=r"1,000,000 transitions needs 7\.1 GB") as err:
        new_run("dqn", PRESETS["Nature DQN (2015)"], tiny_settings, tmp_path / "x.h5")
    assert err.value.fields == ("buffer_size",) and "\n" not in str(err.value)
    assert not (tmp_path / "x.h5").exists()


def test_cli_train_evaluate_and_info_on_pong(tmp_path, sessions_dir, capsys):
    """The commands as `python main.py …` runs them (in this process: a subprocess costs seconds of imports;
    tests/test_core_cli.py covers the entry point itself)."""
    out = tmp_path / "pong.h5"
    assert main(["train", "dqn", "--env", "ALE/Pong-v5", "--preset", "Nature DQN (2015)", "--steps", "100",
                 "--seed", "3", "--out", str(out), "--buffer-size", "1000", "--learning-starts", "40",
                 "--target-update", "50", "--eval-every", "100", "--eval-episodes", "1"]) == 0
    with SessionReader(out) as r:
        assert r.config["env"] == "ALE/Pong-v5" and r.config["eval_epsilon"] == 0.05 and r.last_step() == 100
        assert len(r.episode_index()) == 1 and len(r.series("eval_return")[0]) == 1
        spec = r.episode_spec()
        assert spec.frame_shape == (210, 160, 3) and spec.action_names == action_names("ALE/Pong-v5")
        assert r.episode(0).frame(0).shape == (210, 160, 3)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--episodes", "1", "--seed", "5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["env"] == "ALE/Pong-v5" and result["epsilon"] == 0.05
    assert float(result["returns"][0]).is_integer() and -21 <= result["returns"][0] <= -10  # untrained: loses
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "game: Pong (ALE/Pong-v5), from pixels" in info and "not kept in checkpoints" in info


@pytest.mark.parametrize("env_id, fragment", [("ALE/Pongg-v5", "did you mean ALE/Pong-v5"),
                                              ("Breakout-v5", "did you mean ALE/Breakout-v5"),
                                              ("Nothing-v0", "Atari id such as")])
def test_unknown_games_are_refused_in_one_line(env_id, fragment):
    with pytest.raises(ConfigError, match=fragment) as err:
        cfg.from_dict(DQNConfig, {"env": env_id})
    assert err.value.fields == ("env",) and "\n" not in str(err.value)


def test_a_missing_rom_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("ALE_ROMS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="ROM of ALE/Breakout-v5 is missing"):
        DQNTrainer(tiny(), None, CPU, 0)


def test_without_ale_py_classic_games_train_and_atari_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['ale_py'] = None\n"
            "import torch\n"
            "from studio.errors import ConfigError\n"
            "from studio.trainers.dqn import DQNTrainer\n"
            "from studio.trainers.dqn_config import DQNConfig\n"
            "t = DQNTrainer(DQNConfig(hidden=8, buffer_size=200, learning_starts=10, train_freq=5, "
            "gradient_steps=1, batch_size=8), None, torch.device('cpu'), 0)\n"
            "[t.train_step() for _ in range(30)]\n"
            "try:\n"
            "    DQNTrainer(DQNConfig(env='ALE/Pong-v5'), None, torch.device('cpu'), 0)\n"
            "except ConfigError as exc:\n"
            "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Atari games need the ale-py package, which is not installed: pip install" in done.stdout


def test_the_log_says_what_saving_the_replay_memory_costs():
    kept = DQNTrainer(tiny(keep_replay=True, buffer_size=100_000), None, CPU, 0).take_notes()
    assert len(kept) == 1 and "replay memory 100,000 transitions (0.71 GB when full)" in kept[0]
    assert "kept in the checkpoint taken at stop (up to 0.71 GB more)" in kept[0]
    assert "a resume after a stop is exact; after a crash the memory is refilled" in kept[0]
    dropped = DQNTrainer(tiny(keep_replay=False), None, CPU, 0).take_notes()
    assert "not kept in checkpoints: a resume refills 50 transitions first" in dropped[0]


def test_the_game_is_copied_for_a_viewer_only_when_one_asks():
    game = PixelGame(tiny("ALE/Pong-v5"), 0)
    for _ in range(20):
        game.step(0)
    assert game.stream.take() is None                      # nobody asked: nothing copied
    game.stream.want()
    game.step(0)
    serial, frame, what = game.stream.take()
    assert what == "training" and np.array_equal(frame, game.envs.colour(0))
    for _ in range(20):
        game.step(0)
    assert game.stream.take(serial) is None                # one copy per request, not one per step
