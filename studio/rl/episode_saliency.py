"""Saliency for a recorded Atari episode: the inputs the agent saw, rebuilt by playing the episode again from
its seed with its recorded actions (the games are deterministic: repeat_action_probability 0, seeded
no-op starts), and the network that played it.

The session file keeps the colour frames, not the agent's 84×84 stacks (they would add about a third to
every episode); playing a 2,000-step game again takes about a second here. The rebuilt game is checked
against the recorded colour frames, so a game that played differently is refused, never shown wrong.
"""
import copy

import numpy as np
import torch

from studio.errors import StudioError
from studio.rl.atari import EvalGame
from studio.rl.saliency import Saliency

STACK_DEPTH = 4
CHECKED_FRAMES = 8  # recorded colour frames compared with the replayed game, spread over the episode


class Interrupted(Exception):
    """The rebuilding was asked to stop (the player closed, another game chosen)."""


def episode_frames(env_id: str, episode, should_stop=lambda: False) -> np.ndarray:
    """(T, 84, 84) uint8: the newest preprocessed frame at every row of the episode (the agent's input at
    row t is rows t-3…t, zeros before the first: `stack_at`). One frame a row, not four: a game at the
    frame cap takes 190 MB rather than 760."""
    game = EvalGame(env_id, episode.seed)
    actions = episode.arrays()[0]
    n = len(episode)
    checks = set(np.linspace(0, n - 1, min(n, CHECKED_FRAMES)).astype(int).tolist())
    out = np.empty((n, 84, 84), np.uint8)
    out[0] = game.reset()
    for t in range(n):
        if t % 256 == 0 and should_stop():
            raise Interrupted
        if t in checks and not np.array_equal(game.colour(), episode.frame(t)):
            raise _differs(episode, t)
        if t + 1 < n:
            if actions[t] < 0:
                raise _differs(episode, t)  # the recording ended here, the game did not
            frame, _, done = game.step(int(actions[t]))
            if done and t + 2 < n:  # the game ended before the recording did
                raise _differs(episode, t + 1)
            out[t + 1] = frame
    return out


def _differs(episode, t: int) -> StudioError:
    return StudioError(f"the episode played at step {episode.step:,} cannot be played again the same way "
                       f"(it differs at frame {t}): no saliency for it")


def stack_at(frames: np.ndarray, t: int) -> np.ndarray:
    """(4, 84, 84): the agent's input at row t, oldest frame first, zeros before the game's first."""
    stack = np.zeros((STACK_DEPTH,) + frames.shape[1:], np.uint8)
    first = max(0, t - STACK_DEPTH + 1)
    stack[STACK_DEPTH - (t + 1 - first):] = frames[first:t + 1]
    return stack


def episode_inputs(env_id: str, episode) -> np.ndarray:
    """(T, 4, 84, 84) uint8: the agent's input at every row (for tests and small games; see episode_frames)."""
    frames = episode_frames(env_id, episode)
    return np.stack([stack_at(frames, t) for t in range(len(frames))])


def network_copy(q_net: torch.nn.Module) -> torch.nn.Module:
    """A CPU copy of a Q-network for another thread to read while the original trains on."""
    return copy.deepcopy(q_net).to("cpu").eval()


def network_from_session(path: str):
    """(step, Q-network) of a DQN session's newest usable checkpoint, on the CPU."""
    from studio import config as cfg
    from studio.models.nature_cnn import NatureQNetwork
    from studio.session.checkpoint import unpack
    from studio.session.reader import SessionReader
    from studio.trainers.dqn_config import DQNConfig
    with SessionReader(path) as reader:
        found = reader.latest_checkpoint()
        spec = reader.episode_spec()
    if found is None or spec is None:
        raise StudioError(f"{path}: no saved network to compute the saliency with")
    step, blob = found
    state = unpack(blob)
    config = cfg.from_dict(DQNConfig, state["config"])
    net = NatureQNetwork(STACK_DEPTH, len(spec.action_names), dueling=config.dueling)
    net.load_state_dict(state["modules"]["q"])
    return step, net.eval()


class EpisodeSaliency:
    """The saliency maps of one episode, computed one frame at a time on request and kept (as their grids,
    ~1 KB a frame). `scale` is the largest value computed so far: the overlay of every frame uses it, so
    frames compare with each other. The network is given, or loaded by `loader() -> (step, network)` on
    first use (on the thread that computes: reading a session's checkpoint can take seconds)."""

    def __init__(self, env_id: str, episode, network: torch.nn.Module | None = None, network_step: int | None = None,
                 loader=None):
        self.env_id, self.episode = env_id, episode
        self.network, self.network_step, self._loader = network, network_step, loader
        self._saliency: Saliency | None = None
        self._frames: np.ndarray | None = None
        self.grids: dict[int, np.ndarray] = {}
        self.scale = 0.0
        self.stop = False  # set by another thread to cut a long rebuild short

    @property
    def exact_network(self) -> bool:
        """Whether the network is the one that played the episode (else a later one)."""
        return self.network_step == self.episode.step

    def prepare(self) -> Saliency:
        """Load the network and rebuild the inputs, if not done yet (the first map does it anyway)."""
        if self._saliency is None:
            if self.network is None:
                self.network_step, self.network = self._loader()
            self._saliency = Saliency(self.network)
        if self._frames is None:
            self._frames = episode_frames(self.env_id, self.episode, lambda: self.stop)
        return self._saliency

    def has(self, t: int) -> bool:
        return t in self.grids

    def compute(self, t: int) -> None:
        if t not in self.grids:
            sal = self.prepare()
            grid = sal.grid(stack_at(self._frames, t))
            self.grids[t] = grid
            self.scale = max(self.scale, float(grid.max()))

    def map(self, t: int) -> np.ndarray:
        """(84, 84) saliency of row t (computed now if it was not)."""
        self.compute(t)
        return self._saliency.upsample(self.grids[t])
