"""The DQN's game-specific side for the classic gymnasium games (CartPole, …): a vector observation, an
MLP, a replay buffer of whole observations, greedy evaluation on copies of the game, and the game's state
mid-episode for an exact resume. The trainer (studio/trainers/dqn.py) holds the learning; see PixelGame
for the Atari side with the same methods."""
import numpy as np
import torch

from studio.models.q_network import QNetwork
from studio.rl.envs import action_names, first_frame, game_state, make_env, restore_game_state
from studio.rl.episode import FRAME_LEVEL, EpisodeSpec
from studio.rl.evaluation import play_greedy
from studio.rl.replay import ReplayBuffer
from studio.trainers.base import FramePanel, Series

RETURN_PLOT, LOSS_PLOT, Q_PLOT, EPS_PLOT = "episode return", "TD loss", "mean max-Q", "ε"


class VectorGame:
    obs_dtype = torch.float32
    one_pass_double = True  # Double DQN: the MLP runs once over s and s' together
    saliency = False        # an MLP on a state vector: no picture for a saliency map
    frames_per_step = 0  # no emulator frames: a step is a step
    frame_level = FRAME_LEVEL  # zlib level of recorded frames (studio/rl/episode.py)

    def __init__(self, config, seed: int):
        self.config = config
        self.env = make_env(config.env, render=True)  # it draws a frame only when asked for one
        self.obs_dim, self.n_actions = self.env.observation_space.shape[0], int(self.env.action_space.n)
        self.replay = ReplayBuffer(config.buffer_size, (self.obs_dim,))
        frame = first_frame(self.env, config.env)
        self._new_episode(seed)
        self.spec = EpisodeSpec(config.env, tuple(frame.shape), action_names(config.env, self.n_actions),
                                int(self.env.metadata.get("render_fps") or 30))

    def network(self) -> torch.nn.Module:
        c = self.config
        return QNetwork(self.obs_dim, self.n_actions, c.hidden, c.layers, c.dueling)

    def _new_episode(self, seed: int | None = None) -> None:
        self.obs, _ = self.env.reset(seed=seed)
        self.ep_return, self.ep_length = 0.0, 0

    # --- what it shows ---
    def series(self) -> list[Series]:
        return [Series("episode_return", "return of each training episode", RETURN_PLOT),
                Series("eval_return", "greedy evaluation return (mean)", RETURN_PLOT, sparse=True),
                Series("td_loss", "TD loss", LOSS_PLOT),
                Series("q_max", "mean max-Q of replayed states", Q_PLOT),
                Series("epsilon", "ε (exploration)", EPS_PLOT, smooth=False)]

    def panels(self) -> list:
        return [FramePanel("game", f"{self.config.env} as the agent plays: training (ε-greedy) and, now and "
                           "then, a greedy evaluation game", self.spec.frame_shape)]

    def images(self, q_values, playing) -> dict:
        if playing is not None and len(playing):  # an evaluation game is being played and recorded
            return {"game": playing.frame(len(playing) - 1)}
        return {"game": self.env.render()}

    # --- playing ---
    def observation(self) -> np.ndarray:
        return self.obs

    def step(self, action: int) -> dict:
        """One environment step into the replay; {"episode_return": …} when an episode ended."""
        next_obs, reward, terminated, truncated, _ = self.env.step(action)
        # Only a true end stops the bootstrap; a time-limit cut-off still has a future.
        self.replay.add(self.obs, action, reward, next_obs, terminated)
        self.ep_return += float(reward)
        self.ep_length += 1
        if terminated or truncated:
            out = {"episode_return": torch.tensor(self.ep_return)}
            self._new_episode()
            return out
        self.obs = next_obs
        return {}

    def evaluate(self, q_net, device, seeds, *, epsilon: float, record, stop_requested) -> list[float]:
        return play_greedy(q_net, device, self.config.env, seeds, record=record, stop_requested=stop_requested,
                           epsilon=epsilon)

    # --- checkpoint ---
    def state(self, keep_replay: bool) -> dict:
        # The game mid-episode too, so that a resumed run plays on exactly as an unbroken one would.
        saved = {"game": game_state(self.env), "obs": np.asarray(self.obs, np.float64).tolist(),
                 "ep_return": self.ep_return, "ep_length": self.ep_length}
        if keep_replay:
            saved["buffer"] = self.replay.state_dict()
        return saved

    def load_state(self, saved: dict, episodes: int, seed: int) -> None:
        if "buffer" in saved:
            self.replay.load_state_dict(saved["buffer"])
        if saved.get("game") is None:  # a game whose state cannot be saved (or an older checkpoint)
            self._new_episode(seed + episodes)
            return
        restore_game_state(self.env, saved["game"])
        self.obs = np.asarray(saved["obs"], self.env.observation_space.dtype)
        self.ep_return, self.ep_length = float(saved["ep_return"]), int(saved["ep_length"])

    def replay_nbytes(self) -> int:
        """What the full replay memory costs in a checkpoint."""
        r = self.replay
        return r.obs.nbytes + r.next_obs.nbytes + r.actions.nbytes + r.rewards.nbytes + r.terminated.nbytes
