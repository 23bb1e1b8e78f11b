"""The Atari game layer (studio/rl/atari*.py): frames, rewards, lives, restarts, seeding, exact resume,
the catalogue and the one-line errors. Each game is checked against a bare emulator played by hand."""
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.errors import ConfigError
from studio.rl import atari_catalog
from studio.rl.atari import COLOUR_SHAPE, FRAME_SHAPE, STACK_DEPTH, AtariEnvs, EvalGame
from studio.rl.atari_frames import Shrinker, area_weights

REPO = Path(__file__).resolve().parent.parent


def exact_area(screen: np.ndarray) -> np.ndarray:
    """Area resampling 210×160 -> 84×84 by its definition: repeat every pixel 84 times along each axis,
    sum 210 (then 160) of them per output pixel, divide by both and round half up, all in integers."""
    rows = np.repeat(screen.astype(np.int64), 84, axis=0).reshape(84, 210, 160).sum(axis=1)
    total = np.repeat(rows, 84, axis=1).reshape(84, 84, 160).sum(axis=2)
    return ((total + 210 * 160 // 2) // (210 * 160)).astype(np.uint8)


class BareGame:
    """A plain ALE emulator put in the layer's state, stepped by hand: the reference. Its frames are
    resized by a Shrinker of its own, checked against `exact_area` above."""

    def __init__(self, env_id, layer_game):
        import ale_py

        self.ale = ale_py.ALEInterface()
        self.ale.setFloat("repeat_action_probability", 0.0)
        self.ale.loadROM(str(atari_catalog.rom_path(env_id)))
        self.ale.restoreState(layer_game.ale.cloneState(include_rng=True))
        self.actions = self.ale.getMinimalActionSet()
        self.shrink, self.out = Shrinker(), np.empty(FRAME_SHAPE, np.uint8)

    def step(self, index, skip=4):
        reward, screens = 0, []
        for _ in range(skip):
            reward += self.ale.act(self.actions[index])
            screens.append(self.ale.getScreenGrayscale())
            if self.ale.game_over():
                break
        older = screens[-2] if len(screens) == skip else screens[-1]
        return self.shrink(older, screens[-1], self.out).copy(), reward, screens


def test_resize_is_exact_area_resampling():
    rng = np.random.default_rng(0)
    older, newer = (rng.integers(0, 256, (210, 160), dtype=np.uint8) for _ in range(2))
    out = Shrinker()(older, newer, np.empty(FRAME_SHAPE, np.uint8))
    assert np.array_equal(out, exact_area(np.maximum(older, newer)))
    assert np.allclose(area_weights(210, 84).sum(axis=1), 1.0) and np.allclose(area_weights(160, 84).sum(axis=1), 1.0)
    flat = Shrinker()(np.full((210, 160), 77, np.uint8), np.zeros((210, 160), np.uint8), out)
    assert (flat == 77).all()


def test_catalogue_lists_the_classic_games_with_their_actions():
    ids = atari_catalog.games()
    for game in ("Pong", "Breakout", "SpaceInvaders", "Boxing", "Freeway", "Seaquest"):
        env_id = f"ALE/{game}-v5"
        assert env_id in ids
        names = atari_catalog.action_names(env_id)
        assert names[0] == "NOOP" and len(names) >= 3
        assert set(names) <= {"NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT",
                              "DOWNLEFT", "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE", "UPRIGHTFIRE",
                              "UPLEFTFIRE", "DOWNRIGHTFIRE", "DOWNLEFTFIRE"}
    assert atari_catalog.action_names("ALE/Breakout-v5") == ("NOOP", "FIRE", "RIGHT", "LEFT")
    assert atari_catalog.action_names("ALE/Freeway-v5") == ("NOOP", "UP", "DOWN")
    assert len(atari_catalog.action_names("ALE/Seaquest-v5")) == 18
    assert atari_catalog.title("ALE/SpaceInvaders-v5") == "Space Invaders"
    assert "ALE/Combat-v5" not in ids  # two-player only: loading its ROM would end the process
    assert len(ids) == len(set(ids)) > 50


def test_shapes_dtypes_and_colour():
    assert FRAME_SHAPE == (84, 84) and STACK_DEPTH == 4 and COLOUR_SHAPE == (210, 160, 3)
    envs = AtariEnvs("ALE/Breakout-v5", n_envs=2, seed=0)
    frames = envs.reset()
    assert frames.shape == (2, 84, 84) and frames.dtype == np.uint8 and frames.any()
    out = envs.step(np.array([0, 2]))
    assert out.frames.shape == (2, 84, 84) and out.frames.dtype == np.uint8
    assert out.rewards.shape == (2,) and out.rewards.dtype == np.float32
    for flags in (out.life_lost, out.game_over, out.truncated, out.episode_end):
        assert flags.shape == (2,) and flags.dtype == bool
    colour = envs.colour(1)
    assert colour.shape == COLOUR_SHAPE and colour.dtype == np.uint8
    grey = envs.games[1].ale.getScreenGrayscale()
    assert np.array_equal(colour.astype(int).sum(axis=2) > 0, grey > 0)  # the same picture, in colour
    assert envs.action_names == ("NOOP", "FIRE", "RIGHT", "LEFT") and envs.n_actions == 4
    assert envs.restart([]).shape == (0, 84, 84)


def test_frames_rewards_and_lives_match_a_bare_emulator_over_a_whole_game():
    """Breakout, random play until the game is over: every frame is the max of the last two screens
    resized; raw rewards sum to the game score; a life loss ends a training episode and the restart
    presses FIRE; the game ends at the last life."""
    envs = AtariEnvs("ALE/Breakout-v5", n_envs=1, seed=3)
    envs.reset()
    bare = BareGame("ALE/Breakout-v5", envs.games[0])
    rng = np.random.default_rng(1)
    total, lives_lost, pooled_differs = 0.0, 0, False
    for _ in range(2000):
        action = int(rng.integers(4))
        out = envs.step(np.array([action]))
        expected, reward, screens = bare.step(action)
        assert np.array_equal(out.frames[0], expected)
        assert out.rewards[0] == reward
        pooled_differs |= len(screens) > 1 and not np.array_equal(screens[-1], np.maximum(screens[-2], screens[-1]))
        total += reward
        assert out.game_over[0] == bare.ale.game_over()
        if out.game_over[0]:
            break
        if out.life_lost[0]:
            lives_lost += 1
            frame = envs.restart([0])[0]
            expected, reward, _ = bare.step(1)  # the continuation: FIRE for one agent step
            assert np.array_equal(frame, expected)
            total += reward
    assert out.game_over[0] and lives_lost == 4  # five lives: four losses go on, the fifth ends the game
    (finished,) = out.finished
    assert finished.score == total and finished.env == 0 and finished.length > 0
    assert pooled_differs  # the max over two screens is not just the last screen (Breakout's ball flickers)


def test_rewards_are_raw_not_clipped():
    envs = AtariEnvs("ALE/SpaceInvaders-v5", n_envs=1, seed=0)
    envs.reset()
    bare = BareGame("ALE/SpaceInvaders-v5", envs.games[0])
    rng = np.random.default_rng(0)
    rewards = []
    for _ in range(250):
        action = int(rng.integers(envs.n_actions))
        out = envs.step(np.array([action]))
        assert out.rewards[0] == bare.step(action)[1]
        rewards.append(out.rewards[0])
    assert max(rewards) > 1  # Space Invaders pays 5–30 points an alien
    assert envs.scores[0] == sum(rewards)


def test_noop_starts_and_fire_at_start():
    freeway = AtariEnvs("ALE/Freeway-v5", n_envs=1, seed=0)  # no FIRE: the start is the no-ops alone
    counts = []
    for _ in range(25):
        freeway.reset()
        counts.append(int(freeway.frame_numbers[0]))
    assert min(counts) >= 1 and max(counts) <= 30 and len(set(counts)) > 5
    assert not freeway.games[0].fire
    still = AtariEnvs("ALE/Freeway-v5", n_envs=2, seed=0, noop_max=0)
    still.reset()
    assert (still.frame_numbers == 0).all()
    breakout = AtariEnvs("ALE/Breakout-v5", n_envs=1, seed=0)
    for _ in range(5):
        breakout.reset()
        assert 1 + 4 <= breakout.frame_numbers[0] <= 30 + 4  # + the FIRE step


def test_fire_serves_the_ball_and_lives_end_episodes_not_games():
    """With NOOP only, Breakout's ball is lost only because the layer pressed FIRE at the start and after
    each lost life; the fifth loss is the game's end."""
    envs = AtariEnvs("ALE/Breakout-v5", n_envs=1, seed=0)
    envs.reset()
    ends = []
    for _ in range(1500):
        out = envs.step(np.array([0]))
        if out.episode_end[0]:
            ends.append((bool(out.life_lost[0]), bool(out.game_over[0])))
            if out.game_over[0]:
                break
            envs.restart([0])
    assert ends == [(True, False)] * 4 + [(True, True)]
    assert envs.lives[0] == 0 and out.finished and out.finished[0].score == 0
    with pytest.raises(RuntimeError):
        envs.step(np.array([0]))  # a finished game must be restarted first
    frame = envs.restart([0])
    assert frame.shape == (1, 84, 84) and envs.lives[0] == 5 and envs.scores[0] == 0


def test_truncation_at_the_frame_cap():
    envs = AtariEnvs("ALE/Freeway-v5", n_envs=2, seed=0, max_frames=202, noop_max=0)
    envs.reset()
    for step in range(100):
        out = envs.step(np.array([1, 0]))
        if out.truncated.any():
            break
    assert out.truncated.all() and not out.game_over.any() and not out.life_lost.any()
    assert step == 50 and (envs.frame_numbers == 202).all()  # cut exactly at the cap, within a frame skip
    assert sorted(f.env for f in out.finished) == [0, 1]
    envs.restart([0, 1])
    assert (envs.frame_numbers == 0).all() and (envs.scores == 0).all()
    game = EvalGame("ALE/Freeway-v5", seed=0, max_frames=120)
    game.reset()
    done, steps = False, 0
    while not done:
        _, _, done = game.step(1)
        steps += 1
    assert game.game.frames == 120 and steps <= 30


def _play(envs, actions):
    record = []
    for row in actions:
        out = envs.step(row)
        record.append((out.frames.copy(), out.rewards.copy(), out.episode_end.copy(),
                       [(f.env, f.score, f.length) for f in out.finished]))
        ends = np.flatnonzero(out.episode_end)
        if len(ends):
            record.append(envs.restart(ends))
    return record


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y)
        else:
            for u, v in zip(x, y):
                assert np.array_equal(u, v) if isinstance(u, np.ndarray) else u == v


def test_same_seed_same_frames_other_seed_other_frames():
    actions = np.random.default_rng(0).integers(0, 4, (120, 2))
    layers = [_reset(AtariEnvs("ALE/Breakout-v5", 2, seed=seed)) for seed in (7, 7, 8)]
    assert np.array_equal(layers[0].frame_numbers, layers[1].frame_numbers)
    assert not np.array_equal(layers[0].frame_numbers, layers[2].frame_numbers)  # other no-op starts
    _same(_play(layers[0], actions), _play(layers[1], actions))
    a, b = EvalGame("ALE/Pong-v5", seed=4), EvalGame("ALE/Pong-v5", seed=4)
    assert np.array_equal(a.reset(), b.reset())
    for action in np.random.default_rng(1).integers(0, 6, 50):
        fa, ra, _ = a.step(action)
        fb, rb, _ = b.step(action)
        assert np.array_equal(fa, fb) and ra == rb
    assert np.array_equal(a.colour(), b.colour())


def _reset(envs):
    envs.reset()
    return envs


def test_save_and_restore_goes_on_identically():
    sticky = 0.25  # sticky actions draw from the emulator's RNG: its state must be restored too
    rng = np.random.default_rng(2)
    first, then = rng.integers(0, 4, (60, 2)), rng.integers(0, 4, (120, 2))
    envs = _reset(AtariEnvs("ALE/Breakout-v5", 2, seed=5, repeat_action_probability=sticky))
    _play(envs, first)
    saved = pickle.loads(pickle.dumps(envs.state()))
    assert len(pickle.dumps(saved)) < 100_000  # small enough for every checkpoint
    expected = _play(envs, then)
    resumed = AtariEnvs("ALE/Breakout-v5", 2, seed=99, repeat_action_probability=sticky)  # seed is restored too
    resumed.load_state(saved)
    assert np.array_equal(resumed.frames(), np.stack([g["frame"] for g in saved["games"]]))
    _same(_play(resumed, then), expected)
    with pytest.raises(ConfigError, match="resume with the checkpoint's settings"):
        AtariEnvs("ALE/Breakout-v5", 1, seed=5).load_state(saved)


def test_evaluation_plays_whole_games():
    game = EvalGame("ALE/Breakout-v5", seed=1)
    frame = game.reset()
    assert frame.shape == (84, 84) and frame.dtype == np.uint8 and game.lives == 5
    rng, total, done, steps = np.random.default_rng(0), 0.0, False, 0
    while not done:
        frame, reward, done = game.step(int(rng.integers(4)))
        total += reward
        steps += 1
    assert game.lives == 0 and game.score == total  # through all five lives, no end at a lost life
    assert game.colour().shape == COLOUR_SHAPE
    assert np.array_equal(game.reset().shape, (84, 84)) and game.score == 0 and game.lives == 5


def test_bad_input_is_one_clear_line(tmp_path, monkeypatch):
    def one_line(excinfo):
        assert "\n" not in str(excinfo.value)
        return str(excinfo.value)

    with pytest.raises(ConfigError) as excinfo:
        AtariEnvs("ALE/Pongg-v5")
    assert "ALE/Pong-v5" in one_line(excinfo)
    with pytest.raises(ConfigError) as excinfo:
        EvalGame("space invaders")
    assert "ALE/SpaceInvaders-v5" in one_line(excinfo)
    with pytest.raises(ConfigError) as excinfo:
        AtariEnvs("ALE/Breakout-v5", n_envs=0)
    assert "≥ 1" in one_line(excinfo)
    with pytest.raises(ConfigError):
        AtariEnvs("ALE/Breakout-v5", noop_max=-1)
    with pytest.raises(ConfigError):
        AtariEnvs("ALE/Breakout-v5", repeat_action_probability=1.5)
    monkeypatch.setenv("ALE_ROMS_DIR", str(tmp_path))  # a ROM folder without the ROMs
    with pytest.raises(ConfigError) as excinfo:
        AtariEnvs("ALE/Breakout-v5")
    assert "reinstall" in one_line(excinfo)
    assert atari_catalog.games() == []
    monkeypatch.delenv("ALE_ROMS_DIR")
    monkeypatch.setitem(sys.modules, "ale_py", None)  # as if ale-py were not installed
    with pytest.raises(ConfigError) as excinfo:
        AtariEnvs("ALE/Breakout-v5")
    assert "pip install" in one_line(excinfo)


def test_the_studio_imports_without_ale_py():
    code = ("import sys; sys.modules['ale_py'] = None\n"
            "import studio.rl.atari, studio.rl.atari_catalog as c\n"
            "try:\n    c.games()\nexcept Exception as e:\n    print(type(e).__name__, e)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ConfigError Atari games need the ale-py package")
