"""The frame-once replay memory (studio/rl/frame_replay.py) against an obviously correct model that keeps
every transition as two full zero-padded stacks. Frames are tiny (3×3) and each carries a unique id, so a
sampled transition can be found in the model by its last frame and compared whole."""
import itertools

import h5py
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.errors import ConfigError
from studio.rl.frame_replay import FrameReplay

SHAPE, STACK = (3, 3), 4
ENDS = ("terminated", "truncated", "dropped")  # dropped: truncated with no usable next state


class NaiveReplay:
    """Full stacks per transition. The spec of eviction: each env keeps the transitions whose next frame is
    among its newest ceil(capacity / n_envs) frames."""

    def __init__(self, capacity, n_envs):
        self.window = -(-capacity // n_envs)
        self.written = [0] * n_envs
        self.episode = [None] * n_envs
        self.transitions = []

    @staticmethod
    def stack(frames):
        last = list(frames[-STACK:])
        return np.stack([np.zeros(SHAPE, np.uint8)] * (STACK - len(last)) + last)

    def begin(self, env, frame):
        self.episode[env] = [frame]
        self.written[env] += 1

    def add(self, env, action, reward, terminated, frame, sampleable):
        obs = self.stack(self.episode[env])
        self.episode[env].append(frame)
        self.transitions.append(dict(env=env, serial=self.written[env], obs=obs, next_obs=self.stack(self.episode[env]),
                                     action=action, reward=reward, terminated=terminated, sampleable=sampleable))
        self.written[env] += 1

    def held(self):
        return {_frame_id(t["next_obs"][-1]): t for t in self.transitions
                if t["sampleable"] and t["serial"] >= self.written[t["env"]] - self.window}


def _frame_id(frame) -> int:
    return int.from_bytes(bytes(frame.reshape(-1)[:3]), "big")


class Game:
    """n_envs envs playing scripted episodes (length, how it ends), cycling through each env's script."""

    def __init__(self, scripts, seed):
        self.rng = np.random.default_rng(seed)
        self.scripts = [itertools.cycle(s) for s in scripts]
        self.n = len(scripts)
        self.next_id = 1
        self.left, self.end = [0] * self.n, [None] * self.n

    def frames(self, k):
        out = self.rng.integers(0, 256, (k, *SHAPE), dtype=np.uint8)
        for f in out:
            f.reshape(-1)[:3] = list(self.next_id.to_bytes(3, "big"))
            self.next_id += 1
        return out

    def start(self, envs):
        for e in envs:
            self.left[e], self.end[e] = next(self.scripts[e])
        return self.frames(len(envs))

    def step(self):
        actions = self.rng.integers(0, 6, self.n)
        rewards = self.rng.choice([-1.0, 0.0, 1.0], self.n).astype(np.float32)
        for e in range(self.n):
            self.left[e] -= 1
        ended = np.array([left == 0 for left in self.left])
        terminated = ended & np.array([end == "terminated" for end in self.end])
        sampleable = ~(ended & np.array([end == "dropped" for end in self.end]))
        return actions, rewards, terminated, self.frames(self.n), ended, sampleable


def _play(game, stores, naive, steps, check=None):
    """Feed `steps` steps of the game to every store (and the naive model); `check(step)` after each."""
    for step in range(steps):
        actions, rewards, terminated, frames, ended, sampleable = game.step()
        for store in stores:
            store.add(actions, rewards, terminated, frames, ended, sampleable)
        if naive is not None:
            for e in range(game.n):
                naive.add(e, int(actions[e]), float(rewards[e]), bool(terminated[e]), frames[e], bool(sampleable[e]))
        restart = np.flatnonzero(ended)
        if len(restart):
            first = game.start(restart)
            for store in stores:
                store.begin(restart, first)
            if naive is not None:
                for e, f in zip(restart, first):
                    naive.begin(int(e), f)
        if check is not None:
            check(step)


def _new(capacity, scripts, seed, naive=True):
    store, game = FrameReplay(capacity, len(scripts), SHAPE, STACK), Game(scripts, seed)
    model = NaiveReplay(capacity, len(scripts)) if naive else None
    first = game.start(range(game.n))
    store.begin(np.arange(game.n), first)
    if model is not None:
        for e in range(game.n):
            model.begin(e, first[e])
    return store, game, model


def _assert_sample_matches(store, naive, batch, seed):
    """Every sampled transition is a held one of the model, equal in every field; returns the keys seen."""
    held = naive.held()
    keys = np.array(sorted(held))
    got = {k: v.numpy() for k, v in store.sample(batch, torch.Generator().manual_seed(seed), "cpu").items()}
    sampled = np.array([_frame_id(f) for f in got["next_obs"][:, -1]])
    where = np.minimum(np.searchsorted(keys, sampled), len(keys) - 1)
    assert (keys[where] == sampled).all(), "sampled a transition that was evicted, dropped, or never existed"
    want = [held[k] for k in keys[where]]
    for name, field in (("obs", "obs"), ("next_obs", "next_obs"), ("actions", "action"), ("rewards", "reward"),
                        ("terminated", "terminated")):
        np.testing.assert_array_equal(got[name], np.array([t[field] for t in want], got[name].dtype), name)
    return set(sampled.tolist()), held


scripts_strategy = st.integers(1, 4).flatmap(lambda n: st.lists(
    st.lists(st.tuples(st.integers(1, 20), st.sampled_from(ENDS)), min_size=1, max_size=6),
    min_size=n, max_size=n))


@settings(max_examples=60, deadline=None, database=None)
@given(scripts=scripts_strategy, capacity=st.integers(1, 40), steps=st.integers(1, 90), seed=st.integers(0, 2**16))
def test_every_sample_and_every_current_stack_equal_the_naive_full_stack_model(scripts, capacity, steps, seed):
    store, game, naive = _new(capacity, scripts, seed)

    def check(step):
        np.testing.assert_array_equal(store.current(), np.stack([naive.stack(ep) for ep in naive.episode]))
        assert len(store) == len(naive.held())
        if len(store) and (step % 5 == 0 or step == steps - 1):
            _assert_sample_matches(store, naive, 2 * len(store) + 8, seed + step)

    _play(game, [store], naive, steps, check)
    if len(store):  # uniform over the held transitions: with 40 draws each, every one shows up
        seen, held = _assert_sample_matches(store, naive, 40 * len(store), seed)
        assert seen == set(held)


@settings(max_examples=25, deadline=None, database=None)
@given(scripts=scripts_strategy, capacity=st.integers(1, 30), before=st.integers(0, 60), after=st.integers(0, 40),
       seed=st.integers(0, 2**16))
def test_a_memory_restored_from_its_state_dict_samples_and_plays_on_exactly_as_the_original(
        scripts, capacity, before, after, seed):
    original, game, _ = _new(capacity, scripts, seed, naive=False)
    _play(game, [original], None, before)
    state = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in original.state_dict().items()}
    assert original.state_nbytes() == sum(np.asarray(v).nbytes for v in state.values())
    restored = FrameReplay(capacity, len(scripts), SHAPE, STACK)
    restored.load_state_dict(state)
    _play(game, [original, restored], None, after)
    assert len(restored) == len(original)
    np.testing.assert_array_equal(restored.current(), original.current())
    if len(original):
        a, b = (m.sample(64, torch.Generator().manual_seed(seed), "cpu") for m in (original, restored))
        for key in a:
            assert torch.equal(a[key], b[key]), key


def test_the_state_is_plain_arrays_and_ints_that_survive_hdf5(tmp_path):
    store, game, _ = _new(50, [[(7, "terminated")], [(30, "truncated")]], seed=1, naive=False)
    _play(game, [store], None, 40)
    with h5py.File(tmp_path / "r.h5", "w") as f:
        for key, value in store.state_dict().items():
            f[key] = value
    with h5py.File(tmp_path / "r.h5", "r") as f:
        state = {key: f[key][()] for key in f}
    restored = FrameReplay(50, 2, SHAPE, STACK)
    restored.load_state_dict(state)
    a, b = (m.sample(32, torch.Generator().manual_seed(3), "cpu") for m in (store, restored))
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ConfigError, match="resume with replay size 50"):
        FrameReplay(60, 2, SHAPE, STACK).load_state_dict(state)


def test_sample_types_and_shapes_at_atari_size():
    store = FrameReplay(64, 2)
    store.begin([0, 1], np.full((2, 84, 84), 9, np.uint8))
    for t in range(10):
        store.add([1, 2], [0.5, -1.0], [False, False], np.full((2, 84, 84), t, np.uint8), [False, False])
    got = store.sample(32, torch.Generator().manual_seed(0), torch.device("cpu"))
    expected = {"obs": ((32, 4, 84, 84), torch.uint8), "next_obs": ((32, 4, 84, 84), torch.uint8),
                "actions": ((32,), torch.int64), "rewards": ((32,), torch.float32),
                "terminated": ((32,), torch.float32)}
    assert {k: (tuple(v.shape), v.dtype) for k, v in got.items()} == expected
    assert store.current().shape == (2, 4, 84, 84) and store.current().dtype == np.uint8


def test_the_same_generator_state_gives_the_same_batch():
    store, game, _ = _new(30, [[(5, "terminated")], [(9, "truncated")]], seed=2, naive=False)
    _play(game, [store], None, 25)
    a, b = (store.sample(16, torch.Generator().manual_seed(11), "cpu") for _ in range(2))
    c = store.sample(16, torch.Generator().manual_seed(12), "cpu")
    assert all(torch.equal(a[k], b[k]) for k in a) and not torch.equal(a["next_obs"], c["next_obs"])


def test_misuse_is_refused():
    store = FrameReplay(10, 2, SHAPE, STACK)
    frames, no = np.zeros((2, *SHAPE), np.uint8), np.zeros(2, bool)
    with pytest.raises(RuntimeError, match="begin"):
        store.add([0, 0], [0, 0], no, frames, no)
    store.begin([0, 1], frames)
    with pytest.raises(RuntimeError, match="no transition"):
        store.sample(1, torch.Generator(), "cpu")
    with pytest.raises(ValueError, match="terminated"):
        store.add([0, 0], [0, 0], [True, False], frames, no)
    store.add([0, 0], [0, 0], no, frames, [True, False])
    with pytest.raises(RuntimeError, match=r"env\(s\) \[0\]"):
        store.add([0, 0], [0, 0], no, frames, no)
    with pytest.raises(ValueError, match="shape"):
        store.begin([0], np.zeros((1, 84, 84), np.uint8))


@pytest.mark.parametrize("n_envs", [1, 4, 8, 16])
def test_100k_transitions_allocate_under_0_8_gb_and_the_estimate_is_the_allocation(n_envs):
    # numpy's zeros are not paged in until written, so allocating the real size here is cheap.
    store = FrameReplay(100_000, n_envs)
    assert store.nbytes == FrameReplay.estimate_nbytes(100_000, n_envs)
    assert store.nbytes < 0.8e9
    assert store.frames_held <= 100_000 + n_envs * (STACK + 1)
    assert FrameReplay.estimate_nbytes(1_000_000, n_envs) < 7.2e9  # 1M fits a 24 GB machine
    assert FrameReplay(100, n_envs, SHAPE).nbytes == FrameReplay.estimate_nbytes(100, n_envs, SHAPE)


def test_check_fits_names_the_need_the_memory_available_and_a_size_that_fits():
    FrameReplay.check_fits(100_000, 4, available=4 * 10**9)  # 0.7 GB: fits
    with pytest.raises(ConfigError) as raised:
        FrameReplay.check_fits(1_000_000, 4, available=5 * 10**9)
    message = str(raised.value)
    assert message.startswith("a replay memory of 1,000,000 transitions needs 7.1 GB; this machine has 5.0 GB")
    assert "\n" not in message and raised.value.fields == ("buffer_size",)
    suggested = int(message.split("lower the replay size to ")[1].split(" ")[0].replace(",", ""))
    FrameReplay.check_fits(suggested, 4, available=5 * 10**9)  # the advice is right ...
    assert suggested >= 500_000  # ... and not needlessly small (4 GB budget / 7 KB per transition)
    with pytest.raises(ConfigError, match="close other programs"):
        FrameReplay.check_fits(1000, 1, available=10**9)
