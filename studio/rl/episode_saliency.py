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


def episode_inputs(env_id: str, episode) -> np.ndarray:
    """(T, 4, 84, 84) uint8: the agent's input at every row of the episode (frames before the game's
    first are zeros, as when it was played)."""
    game = EvalGame(env_id, episode.seed)
    actions = episode.arrays()[0]
    n = len(episode)
    checks = set(np.linspace(0, n - 1, min(n, CHECKED_FRAMES)).astype(int).tolist())
    stack = np.zeros((STACK_DEPTH, 84, 84), np.uint8)
    stack[-1] = game.reset()
    out = np.empty((n, STACK_DEPTH, 84, 84), np.uint8)
    for t in range(n):
        out[t] = stack
        if t in checks and not np.array_equal(game.colour(), episode.frame(t)):
            raise StudioError(f"the episode played at step {episode.step:,} cannot be played again the same way "
                              f"(it differs at frame {t}): no saliency for it")
        if actions[t] >= 0:
            frame, _, _ = game.step(int(actions[t]))
            stack[:-1] = stack[1:]
            stack[-1] = frame
    return out


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
    """The saliency maps of one episode, computed one frame at a time on request and kept. `scale` is the
    largest value computed so far: the overlay of every frame uses it, so frames compare with each other."""

    def __init__(self, env_id: str, episode, network: torch.nn.Module, network_step: int):
        self.env_id, self.episode, self.network_step = env_id, episode, network_step
        self._saliency = Saliency(network)
        self._inputs: np.ndarray | None = None
        self.maps: dict[int, np.ndarray] = {}
        self.scale = 0.0

    @property
    def exact_network(self) -> bool:
        """Whether the network is the one that played the episode (else a later one)."""
        return self.network_step == self.episode.step

    def inputs(self) -> np.ndarray:
        if self._inputs is None:
            self._inputs = episode_inputs(self.env_id, self.episode)
        return self._inputs

    def map(self, t: int) -> np.ndarray:
        if t not in self.maps:
            m = self._saliency(self.inputs()[t])
            self.maps[t] = m
            self.scale = max(self.scale, float(m.max()))
        return self.maps[t]
