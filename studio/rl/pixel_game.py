"""The DQN's game-specific side for Atari from pixels (Mnih et al. 2015): the game layer (studio/rl/atari.py),
the replay memory that keeps each 84×84 frame once, the Nature CNN, whole-game evaluation with ε, colour
frames for the views and recordings, and the games' exact state for a checkpoint. Same methods as VectorGame.

Training follows the Nature setting: rewards go into the replay clipped to their sign (the series show the
raw game score), a lost life ends a training episode (no bootstrap past it), evaluation plays whole games."""
import numpy as np
import torch

from studio.models.nature_cnn import NatureQNetwork
from studio.rl.frame_stream import FrameStream
from studio.rl.atari import COLOUR_SHAPE, STACK_DEPTH, AtariEnvs, EvalGame
from studio.rl.atari_catalog import title
from studio.rl.episode import ATARI_FRAME_LEVEL, EpisodeSpec
from studio.rl.evaluation import EvaluationInterrupted
from studio.rl.frame_replay import FrameReplay
from studio.trainers.base import FramePanel, ImagePanel, Series, ValuesPanel

ATARI_FPS = 60     # the console's frame rate
FRAME_SKIP = 4     # emulator frames per agent step (the layer's standard setting)
SCORE_PLOT, LOSS_PLOT, Q_PLOT, EPS_PLOT, FILL_PLOT = "game score", "TD loss", "mean max-Q", "ε", "replay memory"


def is_atari(env_id: str) -> bool:
    return env_id.startswith("ALE/")


def replay_bytes(capacity: int) -> int:
    """What a full replay memory of this size costs in RAM, and in each checkpoint when it is kept."""
    return FrameReplay.estimate_nbytes(capacity, 1)


class PixelGame:
    obs_dtype = torch.uint8  # moved to the device as bytes; the network scales them there
    one_pass_double = False  # Double DQN: s' through the CNN without autograd is cheaper
    saliency = True          # its recorded episodes carry their network: studio/rl/episode_saliency.py
    frames_per_step = FRAME_SKIP  # emulator frames per agent step
    frame_level = ATARI_FRAME_LEVEL  # zlib level of recorded frames (studio/rl/episode.py)

    def __init__(self, config, seed: int):
        self.config = config
        FrameReplay.check_fits(config.buffer_size, 1)  # before anything is allocated or played
        self.envs = AtariEnvs(config.env, 1, seed)  # ConfigError for an unknown id, a missing ROM or ale-py
        self.n_actions = self.envs.n_actions
        self.replay = FrameReplay(config.buffer_size, 1)
        self.replay.begin([0], self.envs.reset())
        self.title = title(config.env)
        self.spec = EpisodeSpec(config.env, COLOUR_SHAPE, tuple(self.envs.action_names), ATARI_FPS // FRAME_SKIP)
        self._live = None  # (evaluation game, its input stack, its Q-values) while one is played
        self.stream = FrameStream()  # the game as it is played, for a live view at its own pace

    def network(self) -> torch.nn.Module:
        return NatureQNetwork(STACK_DEPTH, self.n_actions, dueling=self.config.dueling)

    # --- what it shows ---
    def series(self) -> list[Series]:
        eps = self.config.eval_epsilon
        return [Series("episode_return", "score of each training game (unclipped, all lives)", SCORE_PLOT),
                Series("eval_return", f"evaluation score (mean over whole games, ε = {eps:g})", SCORE_PLOT,
                       sparse=True),
                Series("td_loss", "TD loss", LOSS_PLOT),
                Series("q_max", "mean max-Q of replayed states", Q_PLOT),
                Series("epsilon", "ε (exploration)", EPS_PLOT, smooth=False),
                Series("replay_fill", "replay memory filled (fraction)", FILL_PLOT, smooth=False)]

    def panels(self) -> list:
        return [FramePanel("game", f"{self.title} as the agent plays: training (ε-greedy) and, now and then, "
                           "an evaluation game", COLOUR_SHAPE),
                ImagePanel("agent_view", "what the agent sees: its last 4 frames, oldest first (reading order)",
                           (STACK_DEPTH,) + self.replay.frame_shape, 2, saved=False),
                ValuesPanel("q_values", "Q-value of each action", tuple(self.envs.action_names))]

    def images(self, q_of, playing) -> dict:
        if self._live is not None:  # an evaluation game is being played: show it
            game, stack, q = self._live
            frame = playing.frame(len(playing) - 1) if playing is not None and len(playing) else game.colour()
        else:
            stack = self.replay.current()[0]
            q, frame = q_of(stack), self.envs.colour(0)
        return {"game": frame, "agent_view": np.array(stack, np.uint8), "q_values": np.asarray(q, np.float32)}

    # --- playing ---
    def observation(self) -> np.ndarray:
        return self.replay.current()[0]

    def step(self, action: int) -> dict:
        """One agent step into the replay (clipped reward; a lost life is terminal); {"episode_return": raw
        score} when a game ended."""
        out = self.envs.step(np.array([action]))
        if self.stream.wanted:
            self.stream.offer(self.envs.colour(0), "training")
        ended = out.episode_end
        self.replay.add([action], np.sign(out.rewards), out.life_lost | out.game_over, out.frames, ended)
        if ended[0]:
            self.replay.begin([0], self.envs.restart([0]))
        if out.finished:  # at most one game a step in practice; a mean keeps one point per step regardless
            return {"episode_return": torch.tensor(float(np.mean([f.score for f in out.finished])))}
        return {}

    @torch.no_grad()
    def evaluate(self, q_net, device, seeds, *, epsilon: float, record, stop_requested) -> list[float]:
        """The raw score of one whole game per seed, played side by side (one forward pass per time step for
        all the games still running), ε-greedy with ε = `epsilon` drawn from a generator seeded by `seeds`.
        `record`: an empty Episode that receives the first game in colour frame by frame."""
        games = [EvalGame(self.config.env, s) for s in seeds]
        rng = np.random.default_rng(list(seeds))
        stacks = np.zeros((len(games), STACK_DEPTH) + self.replay.frame_shape, np.uint8)
        for i, game in enumerate(games):
            stacks[i, -1] = game.reset()  # frames before the game's first are zeros, as in the replay
        running = list(range(len(games)))
        try:
            while running:
                if stop_requested():
                    raise EvaluationInterrupted
                q = q_net(torch.as_tensor(stacks[running], device=device)).float().cpu().numpy()
                still = []
                for row, i in enumerate(running):
                    action = int(q[row].argmax())
                    if epsilon > 0 and rng.random() < epsilon:
                        action = int(rng.integers(self.n_actions))
                    if i == 0:
                        self._live = (games[0], stacks[0].copy(), q[row])
                    colour = games[i].colour() if record is not None and i == 0 else None
                    frame, reward, done = games[i].step(action)
                    if i == 0 and self.stream.wanted:
                        self.stream.offer(games[0].colour(), "evaluation")
                    stacks[i, :-1] = stacks[i, 1:]
                    stacks[i, -1] = frame
                    if colour is not None:
                        record.add(colour, action, q[row], reward)
                    if not done:
                        still.append(i)
                    elif colour is not None:  # the final state closes the recording
                        final_q = q_net(torch.as_tensor(stacks[i:i + 1], device=device))[0].float().cpu().numpy()
                        record.add(games[i].colour(), -1, final_q, 0.0)
                running = still
        finally:
            self._live = None
        return [float(game.score) for game in games]

    # --- checkpoint ---
    def state(self, keep_replay: bool) -> dict:
        saved = {"atari": _tensors(self.envs.state())}
        if keep_replay:  # views of the live memory, written out by the caller straight away
            saved["replay"] = _tensors(self.replay.state_dict())
        return saved

    def load_state(self, saved: dict, episodes: int, seed: int) -> None:
        self.envs.load_state(_arrays(saved["atari"]))
        if "replay" in saved:
            self.replay.load_state_dict(_arrays(saved["replay"]))
        else:  # an empty memory, the running game's current frame as its first (the older 3 are not kept)
            self.replay = FrameReplay(self.config.buffer_size, 1)
            self.replay.begin([0], self.envs.frames())

    def replay_nbytes(self) -> int:
        return replay_bytes(self.config.buffer_size)


def _tensors(tree):
    """numpy arrays -> tensors, for a checkpoint that torch.load(weights_only=True) reads back."""
    if isinstance(tree, dict):
        return {k: _tensors(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_tensors(v) for v in tree]
    return torch.from_numpy(np.ascontiguousarray(tree)) if isinstance(tree, np.ndarray) else tree


def _arrays(tree):
    if isinstance(tree, dict):
        return {k: _arrays(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_arrays(v) for v in tree]
    return tree.cpu().numpy() if isinstance(tree, torch.Tensor) else tree
