"""The DQN agent: replay buffer, targets (terminated vs truncated), learning CartPole, bad environments."""
import numpy as np
import pytest
import torch

from studio import config as cfg
from studio.control import Control
from studio.errors import ConfigError
from studio.rl.envs import make_env
from studio.rl.replay import ReplayBuffer
from studio.run_settings import RunSettings
from studio.runs import make_runner, new_run, resume_run
from studio.session.reader import SessionReader
from studio.trainers.dqn import DQNTrainer
from studio.trainers.dqn_config import DQNConfig

TINY = DQNConfig(hidden=16, buffer_size=500, batch_size=16, learning_starts=50, train_freq=4, gradient_steps=1,
                 eps_steps=200, eval_every=100, eval_episodes=1)


def test_replay_buffer_wraps_and_round_trips():
    buf = ReplayBuffer(5, (2,))
    for i in range(7):
        buf.add(np.full(2, i, np.float32), i % 2, float(i), np.full(2, i + 1, np.float32), i == 6)
    assert len(buf) == 5 and buf.pos == 2
    assert sorted(buf.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0, 6.0]       # the oldest two were overwritten
    batch = buf.sample(64, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert torch.equal(batch["next_obs"][:, 0], batch["obs"][:, 0] + 1)     # rows stay whole
    assert torch.equal(batch["terminated"], (batch["rewards"] == 6).float())
    copy = ReplayBuffer(5, (2,))
    copy.load_state_dict(buf.state_dict())
    assert np.array_equal(copy.obs, buf.obs) and copy.pos == buf.pos and len(copy) == 5


def test_truncation_bootstraps_and_termination_does_not(monkeypatch):
    t = DQNTrainer(replace_cfg(gamma=0.5), None, torch.device("cpu"), 0)
    # Two transitions with reward 1 from the same state: one a true end, one cut off by the time limit.
    obs = np.zeros(4, np.float32)
    t.buffer.add(obs, 0, 1.0, obs, terminated=True)
    t.buffer.add(obs, 0, 1.0, obs, terminated=False)
    with torch.no_grad():
        for p in t.target.parameters():
            p.zero_()
        t.target.head.bias.fill_(10.0)                                      # the target values every state 10
    targets = {}
    original = torch.nn.functional.smooth_l1_loss

    def spy(q, y):
        targets["y"] = y.clone()
        return original(q, y)

    monkeypatch.setattr("studio.trainers.dqn.F.smooth_l1_loss", spy)
    t.config = replace_cfg(gamma=0.5, batch_size=64, gradient_steps=1)
    t._learn()
    ys = set(targets["y"].tolist())
    assert ys == {1.0, 1.0 + 0.5 * 10.0}


def replace_cfg(**kw):
    return cfg.from_dict(DQNConfig, {**cfg.to_dict(TINY), **kw})


def test_metrics_arrive_on_their_schedules():
    t = DQNTrainer(TINY, None, torch.device("cpu"), 0)
    outs = [t.train_step() for _ in range(120)]
    assert all("epsilon" in o for o in outs)
    assert outs[0]["epsilon"] == pytest.approx(1.0) and float(outs[-1]["epsilon"]) < 0.6
    assert not any("td_loss" in o for o in outs[:50])                       # no learning before learning_starts
    assert [i + 1 for i, o in enumerate(outs) if "td_loss" in o][:3] == [52, 56, 60]
    assert [i + 1 for i, o in enumerate(outs) if "eval_return" in o] == [100]
    returns = [float(o["episode_return"]) for o in outs if "episode_return" in o]
    assert returns and all(r >= 8 for r in returns)                         # CartPole pays 1 per step survived


@pytest.mark.timeout(300)
def test_it_learns_cartpole():
    config = cfg.from_dict(DQNConfig, {"hidden": 64, "eval_every": 100_000})
    t = DQNTrainer(config, None, torch.device("cpu"), 1)
    before = np.mean(t.evaluate(5, seed=100))
    best = 0.0
    for _ in range(3):  # DQN's greedy return swings from one evaluation to the next: take the best of three
        for _ in range(5000):
            t.train_step()
        best = max(best, np.mean(t.evaluate(5, seed=100)))
    assert before < 60 and best > 150, (before, best)


@pytest.mark.parametrize("env_id,fragment", [("NoSuchGame-v0", "NoSuchGame-v0"),
                                             ("Pendulum-v1", "discrete"),
                                             ("MountainCarContinuous-v0", "discrete")])
def test_bad_environments_are_refused_with_a_message(env_id, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_env(env_id)


def test_a_game_outside_the_list_is_refused_before_start():
    with pytest.raises(ConfigError, match="game") as err:
        cfg.from_dict(DQNConfig, {"env": "Pong-v5"})
    assert err.value.fields == ("env",)


def test_session_and_resume(tmp_path, tiny_settings):
    path = tmp_path / "dqn.h5"
    prepared = new_run("dqn", TINY, tiny_settings, path)
    assert make_runner(prepared, Control(), max_steps=150, preview_seconds=None).run() == "finished"
    resumed = resume_run(path, "cpu")
    assert resumed.trainer.step == 150 and len(resumed.trainer.buffer) == 150
    assert np.array_equal(resumed.trainer.buffer.obs[:150], prepared.trainer.buffer.obs[:150])
    assert make_runner(resumed, Control(), max_steps=200, preview_seconds=None).run() == "finished"
    with SessionReader(path) as r:
        assert r.series("epsilon")[0].tolist() == list(range(1, 201))
        assert r.kind == "dqn" and r.config["env"] == "CartPole-v1"


def test_resume_is_exact(tmp_path, tiny_settings):
    """N steps, then resume M more, gives the very run of N+M steps in one go (CPU, fixed seed): the
    game's state mid-episode, the replay buffer, ε and the RNGs all come back."""
    whole, split = tmp_path / "whole.h5", tmp_path / "split.h5"
    make_runner(new_run("dqn", TINY, tiny_settings, whole), Control(), max_steps=230, preview_seconds=None).run()
    make_runner(new_run("dqn", TINY, tiny_settings, split), Control(), max_steps=130, preview_seconds=None).run()
    make_runner(resume_run(split, "cpu"), Control(), max_steps=230, preview_seconds=None).run()
    with SessionReader(whole) as a, SessionReader(split) as b:
        assert a.series_keys() == b.series_keys()
        for key in a.series_keys():
            (sa, va), (sb, vb) = a.series(key), b.series(key)
            assert np.array_equal(sa, sb), key
            assert np.allclose(va, vb, rtol=1e-5, atol=1e-6, equal_nan=True), key


def test_the_views_go_on_while_evaluation_games_are_played():
    """An evaluation is one long trainer step; meanwhile the runner still sends the clock and the game
    view, which shows the evaluation game as it is played."""
    from studio.runner import Runner
    from studio.sinks import MemorySink

    ticks = iter(range(10**6))
    clock = lambda: next(ticks) * 0.25  # every call to the clock: 250 ms later
    t = DQNTrainer(TINY, None, torch.device("cpu"), 0)
    sink = MemorySink()
    info = new_run("dqn", TINY, RunSettings(), save=False).info
    Runner(t, Control(), sink, info, max_steps=100, clock=clock).run()
    at_eval = [images["game"] for step, images in sink.previews if step == 100]
    assert len(at_eval) >= 3
    assert any(not np.array_equal(a, b) for a, b in zip(at_eval, at_eval[1:]))  # the game moves
    clocks = [s.elapsed_s for s in sink.statuses if s.step == 99 or s.step == 100 and s.state == "running"]
    assert len(clocks) >= 3 and clocks == sorted(clocks) and clocks[-1] > clocks[0]
