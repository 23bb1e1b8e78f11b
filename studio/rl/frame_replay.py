"""Replay memory for DQN from pixels that stores each frame once (issue 12).

An Atari observation is the last `stack` preprocessed frames; storing obs and next_obs as full stacks keeps
every frame 2 × stack times (100,000 transitions: 5.6 GB). Here each env writes its frames into its own ring,
one frame per step, and a transition is the slot of its *next* frame: obs is the `stack` frames before that
slot, next_obs the `stack` frames ending at it. Frames before an episode's first are zero frames, so every
slot records `depth`, how many earlier frames of its own episode are real (capped at `stack`); a stack never
reaches across an episode start, and each env's episodes lie contiguous in its ring.

Capacity. `capacity` is in transitions, as in the papers, split evenly over the envs (rounded up): each env
keeps the transitions of its newest ceil(capacity / n_envs) frames, in a ring `stack` slots longer so that
the oldest kept transition's obs is still whole. The store therefore holds n_envs × (ceil(capacity / n_envs)
+ stack) frames (100,000 transitions, 4 envs: 100,016 frames, 0.71 GB). As in DeepMind's replay, an
episode's first frame takes a slot of its own, so it holds one transition fewer per episode in it (Atari
lives last tens to thousands of steps: at most a few per cent). A transition whose frames are about to be
overwritten leaves the sample set before they are.

A truncated episode's last transition is kept with terminated = False and bootstraps from its stored next
frame; when the caller has no real next frame for it, `add(..., sampleable=False)` keeps its slot (the ring
stays in step) but it is never sampled.
"""
import math

import numpy as np
import psutil
import torch

from studio.errors import ConfigError

# What the rest of the process needs beside the memory (torch, networks, the window): check_fits keeps it free.
RESERVE_BYTES = 1 << 30
_META_BYTES = 4 + 4 + 1 + 1 + 1  # per slot: action int32, reward float32, terminated, sampleable, depth
_PER_ENV_BYTES = 8 + 8 + 1 + 1  # written, count, open, its depth now


class FrameReplay:
    def __init__(self, capacity: int, n_envs: int, frame_shape=(84, 84), stack: int = 4):
        if capacity < 1 or n_envs < 1 or stack < 1:
            raise ConfigError(f"the replay memory needs a size and an env count of at least 1 "
                              f"(got replay size {capacity}, {n_envs} envs)")
        self.capacity, self.n_envs, self.stack = int(capacity), int(n_envs), int(stack)
        self.frame_shape = tuple(int(s) for s in frame_shape)
        self.window = _window(self.capacity, self.n_envs)  # frames whose transitions an env keeps
        self.slots = self.window + self.stack  # ring length per env
        n, L = self.n_envs, self.slots
        self.frames = np.zeros((n, L, *self.frame_shape), np.uint8)
        # The transition whose next frame is in a slot: its action, reward, end.
        self.actions = np.zeros((n, L), np.int32)
        self.rewards = np.zeros((n, L), np.float32)
        self.terminated = np.zeros((n, L), np.uint8)
        self.sampleable = np.zeros((n, L), bool)  # False for an episode's first frame and dropped steps
        self.depth = np.zeros((n, L), np.uint8)  # real frames before this one in its episode, ≤ stack
        self.written = np.zeros(n, np.int64)  # frames each env has written ever; the next goes to written % L
        self.count = np.zeros(n, np.int64)  # sampleable transitions in each env's window
        self.open = np.zeros(n, bool)  # an episode is running: add() may follow
        self._depth_now = np.zeros(n, np.uint8)
        self._envs = np.arange(n)

    # --- size ---
    @property
    def frames_held(self) -> int:
        return self.n_envs * self.slots

    @property
    def nbytes(self) -> int:
        arrays = (self.frames, self.actions, self.rewards, self.terminated, self.sampleable, self.depth,
                  self.written, self.count, self.open, self._depth_now)
        return sum(a.nbytes for a in arrays)

    @staticmethod
    def estimate_nbytes(capacity: int, n_envs: int, frame_shape=(84, 84), stack: int = 4) -> int:
        """What the memory allocates for these settings (equal to `nbytes`), and what it costs in a
        checkpoint once full."""
        slots = n_envs * (_window(capacity, n_envs) + stack)
        return slots * (math.prod(frame_shape) + _META_BYTES) + n_envs * _PER_ENV_BYTES

    @classmethod
    def check_fits(cls, capacity: int, n_envs: int, frame_shape=(84, 84), stack: int = 4,
                   available: int | None = None) -> None:
        """Raise ConfigError unless the memory fits in the RAM available now (less a reserve for the rest
        of the app). numpy's zeros are only paged in as they fill, so without this check a run that is too
        big would start and be killed hours later."""
        if available is None:
            available = psutil.virtual_memory().available
        need = cls.estimate_nbytes(capacity, n_envs, frame_shape, stack)
        budget = available - RESERVE_BYTES
        if need <= budget:
            return
        per = cls.estimate_nbytes(n_envs * 1000, n_envs, frame_shape, stack) / (n_envs * 1000)
        fits = _round_down(max(0, int(budget / per) - n_envs * (stack + 1)))
        while fits > 0 and cls.estimate_nbytes(fits, n_envs, frame_shape, stack) > budget:
            fits = _round_down(fits - 1)
        advice = (f"lower the replay size to {fits:,} or fewer" if fits > 0
                  else "close other programs or use a machine with more memory")
        raise ConfigError(f"a replay memory of {capacity:,} transitions needs {need / 1e9:.1f} GB; this machine "
                          f"has {available / 1e9:.1f} GB available ({RESERVE_BYTES / 1e9:.1f} GB of it kept for the "
                          f"rest of the app): {advice}", fields=("buffer_size",))

    def __len__(self) -> int:
        return int(self.count.sum())

    # --- writing ---
    def begin(self, env_ids, first_frames) -> None:
        """New training episodes start for these envs with these first frames (an env's running episode,
        if any, simply ends: its transitions stay)."""
        envs = np.asarray(env_ids, np.int64).reshape(-1)
        first_frames = np.asarray(first_frames)
        if first_frames.shape != (len(envs), *self.frame_shape) or len(np.unique(envs)) != len(envs):
            raise ValueError(f"begin() wants distinct env ids and frames of shape (len(env_ids), "
                             f"{', '.join(map(str, self.frame_shape))}); got {len(envs)} ids, {first_frames.shape}")
        zeros = np.zeros(len(envs))
        self._write(envs, first_frames, zeros, zeros, zeros, np.zeros(len(envs), bool), np.zeros(len(envs), np.uint8))
        self.open[envs] = True

    def add(self, actions, rewards, terminated, next_frames, ended, sampleable=None) -> None:
        """One step of every env: the action taken, its (clipped) reward, whether it stops the bootstrap,
        the frame it led to, and whether the episode is over (terminated or truncated; those envs need
        begin() before their next add). `sampleable` False drops that transition from sampling."""
        n = self.n_envs
        terminated = np.asarray(terminated, bool).reshape(-1)
        ended = np.asarray(ended, bool).reshape(-1)
        keep = np.ones(n, bool) if sampleable is None else np.asarray(sampleable, bool).reshape(-1)
        next_frames = np.asarray(next_frames)
        if next_frames.shape != (n, *self.frame_shape) or not (len(terminated) == len(ended) == len(keep) == n):
            raise ValueError(f"add() wants one entry per env ({n}) and frames of shape {(n, *self.frame_shape)}")
        if not self.open.all():
            raise RuntimeError(f"env(s) {np.flatnonzero(~self.open).tolist()} have no running episode: "
                               f"call begin() for them first")
        if (terminated & ~ended).any():
            raise ValueError("a terminated step must also end its episode")
        depth = np.minimum(self._depth_now.astype(np.int64) + 1, self.stack).astype(np.uint8)
        self._write(self._envs, next_frames, actions, rewards, terminated, keep, depth)
        self.open &= ~ended

    def _write(self, envs, frames, actions, rewards, terminated, keep, depth) -> None:
        serial = self.written[envs]
        slot = serial % self.slots
        # The window of sampleable transitions slides by one: the one whose next frame is window old leaves.
        leaving = serial - self.window
        old = leaving >= 0
        self.count[envs[old]] -= self.sampleable[envs[old], leaving[old] % self.slots]
        self.frames[envs, slot] = frames
        self.actions[envs, slot] = actions
        self.rewards[envs, slot] = rewards
        self.terminated[envs, slot] = terminated
        self.sampleable[envs, slot] = keep
        self.depth[envs, slot] = depth
        self.count[envs] += keep
        self._depth_now[envs] = depth
        self.written[envs] = serial + 1

    # --- reading ---
    def current(self) -> np.ndarray:
        """The stack each env's agent acts on now, uint8 (n_envs, stack, *frame_shape), oldest frame first."""
        if not self.open.all():
            raise RuntimeError(f"env(s) {np.flatnonzero(~self.open).tolist()} have no running episode: "
                               f"call begin() for them first")
        return self._stacks(self._envs, self.written - 1, self.stack)

    def _stacks(self, envs, serial, length) -> np.ndarray:
        """Frames serial-length+1 … serial of each env (oldest first), zero before the episode's start."""
        back = np.arange(length - 1, -1, -1)  # how far back each position is
        slot = (serial[:, None] - back) % self.slots
        out = self.frames[envs[:, None], slot]
        out[back[None, :] > self.depth[envs, serial % self.slots][:, None]] = 0
        return out

    def sample(self, batch: int, generator: torch.Generator, device) -> dict[str, torch.Tensor]:
        """`batch` transitions drawn uniformly (with replacement) from those that can be sampled."""
        envs, serial = self._draw(batch, generator)
        slot = serial % self.slots
        device = torch.device(device)
        # Two gathers straight into the outputs: a shared 5-frame gather plus copies moves more memory.
        return {"obs": torch.from_numpy(self._stacks(envs, serial - 1, self.stack)).to(device),
                "next_obs": torch.from_numpy(self._stacks(envs, serial, self.stack)).to(device),
                "actions": torch.from_numpy(self.actions[envs, slot].astype(np.int64)).to(device),
                "rewards": torch.from_numpy(self.rewards[envs, slot]).to(device),
                "terminated": torch.from_numpy(self.terminated[envs, slot].astype(np.float32)).to(device)}

    def _draw(self, batch: int, generator: torch.Generator):
        """Uniform over sampleable transitions: uniform draws over every env's window, keeping those that
        land on a transition (not an episode's first frame or a dropped step), in order. Each round draws
        enough for the share of transitions in the windows, so one round nearly always fills the batch."""
        held = len(self)
        if held == 0:
            raise RuntimeError("the replay memory holds no transition to sample yet")
        sizes = np.minimum(self.written, self.window)
        ends = np.cumsum(sizes)
        total = int(ends[-1])
        envs, serial = np.empty(0, np.int64), np.empty(0, np.int64)
        for _ in range(100):  # a bound, so that a broken count raises instead of hanging
            need = batch - len(envs)
            if need <= 0:
                return envs[:batch], serial[:batch]
            draws = min(1 << 20, need * total // held + need // 4 + 8)
            flat = torch.randint(total, (draws,), generator=generator).numpy()
            e = np.searchsorted(ends, flat, side="right")
            s = self.written[e] - sizes[e] + (flat - (ends[e] - sizes[e]))
            ok = self.sampleable[e, s % self.slots]
            envs, serial = np.concatenate([envs, e[ok]]), np.concatenate([serial, s[ok]])
        raise RuntimeError("the replay memory's count of transitions does not match its contents")

    # --- checkpoint ---
    def state_dict(self) -> dict:
        """Plain numpy arrays and ints for an exact resume. The arrays are views of the live memory (copying
        7 GB would double it): write them out before the next add()."""
        m = self._filled_slots()
        return {"capacity": self.capacity, "n_envs": self.n_envs, "stack": self.stack,
                "frame_shape": np.array(self.frame_shape, np.int64), "written": self.written, "open": self.open,
                "depth_now": self._depth_now, "frames": self.frames[:, :m], "actions": self.actions[:, :m],
                "rewards": self.rewards[:, :m], "terminated": self.terminated[:, :m],
                "sampleable": self.sampleable[:, :m], "depth": self.depth[:, :m]}

    def state_nbytes(self) -> int:
        """Bytes state_dict() holds now, without building it (the full memory's: estimate_nbytes)."""
        per_slot = math.prod(self.frame_shape) + _META_BYTES
        return self.n_envs * (self._filled_slots() * per_slot + 8 + 1 + 1) + 8 * (len(self.frame_shape) + 3)

    def _filled_slots(self) -> int:
        return int(min(self.slots, self.written.max()))

    def load_state_dict(self, state: dict) -> None:
        saved = (int(state["capacity"]), int(state["n_envs"]), tuple(int(s) for s in state["frame_shape"]),
                 int(state["stack"]))
        if saved != (self.capacity, self.n_envs, self.frame_shape, self.stack):
            raise ConfigError(f"the saved replay memory holds {saved[0]:,} transitions of {saved[1]} envs; this "
                              f"run has {self.capacity:,} of {self.n_envs}: resume with replay size {saved[0]:,} "
                              f"and {saved[1]} envs, or start a new run", fields=("buffer_size",))
        m = np.asarray(state["frames"]).shape[1]
        if m != min(self.slots, int(np.max(state["written"]))):
            raise ValueError(f"the saved replay memory's arrays ({m} slots) do not match its counters")
        # Slots past the saved ones are never read before they are written again: no need to zero them
        # (which would page in all of a 7 GB memory at once).
        for name in ("frames", "actions", "rewards", "terminated", "sampleable", "depth"):
            getattr(self, name)[:, :m] = state[name]
        self.written[:] = state["written"]
        self.open[:] = state["open"]
        self._depth_now[:] = state["depth_now"]
        for e in range(self.n_envs):  # recount rather than trust: a handful of envs, once per resume
            serial = np.arange(max(0, self.written[e] - self.window), self.written[e])
            self.count[e] = self.sampleable[e, serial % self.slots].sum()


def _window(capacity: int, n_envs: int) -> int:
    return -(-int(capacity) // int(n_envs))


def _round_down(n: int) -> int:
    """n down to two significant figures: a replay size a person would type."""
    if n <= 0:
        return 0
    unit = 10 ** max(0, len(str(n)) - 2)
    return n // unit * unit
