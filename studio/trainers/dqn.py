"""The DQN agent (Mnih et al. 2015): ε-greedy acting, experience replay, a target network, with Double DQN
and a dueling head as options. One trainer step is one agent step. The learning is the same for every game;
what differs per kind of game — making it, observations, replay memory, network, evaluation, pictures, saved
state — lives in a game object: VectorGame (classic gymnasium games) or PixelGame (Atari from pixels)."""
import copy

import numpy as np
import torch
from torch.nn import functional as F

from studio.errors import StudioError
from studio.rl.episode import Episode
from studio.rl.episode_saliency import network_copy
from studio.rl.evaluation import EvaluationInterrupted
from studio.rl.pixel_game import PixelGame, is_atari
from studio.rl.vector_game import VectorGame
from studio.trainers.base import Trainer
from studio import config as cfg
from studio.trainers.dqn_config import DEFAULT_PRESET, PRESETS, TIMED_REPLAY_BYTES, DQNConfig, summary

FILL_EVERY = 250  # agent steps between points of the replay-fill curve (it changes slowly)


def _adam(params, lr: float) -> torch.optim.Optimizer:
    """Adam as one fused kernel where torch has it: for a net this small, per-tensor steps cost more
    than the arithmetic."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr)


def make_game(config: DQNConfig, seed: int):
    return PixelGame(config, seed) if is_atari(config.env) else VectorGame(config, seed)


class DQNTrainer(Trainer):
    kind = "dqn"
    title = "DQN — game agent"
    config_cls = DQNConfig
    presets = PRESETS
    default_preset = DEFAULT_PRESET
    uses_data = False  # it learns from the game it plays, not from a dataset

    def __init__(self, config: DQNConfig, data, device, seed: int):
        super().__init__(config, data, device, seed)
        torch.manual_seed(seed)  # weight initialisation
        self.game = make_game(config, seed)
        self.n_actions = self.game.n_actions
        self.q = self.game.network().to(device)
        self.target = copy.deepcopy(self.q)
        self.opt = _adam(self.q.parameters(), config.lr)
        self.episodes = 0
        self.learn_after = 0  # no learning before this step: a resume without the replay memory refills it
        self._replay_in_state = True  # off while a timed checkpoint leaves out a large memory
        self._recorded: list[Episode] = []
        self._notes: list[str] = []
        self._evaluating: Episode | None = None  # the evaluation game being recorded, shown meanwhile
        self._spec = self.game.spec
        self._fill = any(s.key == "replay_fill" for s in self.game.series())
        if is_atari(config.env):  # what "save replay memory" costs, in the run's log from its start
            self._notes.append(summary(cfg.to_dict(config)))

    @property
    def buffer(self):
        """The replay memory (a ReplayBuffer, or a FrameReplay for Atari)."""
        return self.game.replay

    # --- what it shows ---
    @property
    def series(self):
        return self.game.series()

    @property
    def panels(self):
        return self.game.panels()

    def images(self):
        return self.game.images(self.q_values, self._evaluating)

    def episode_spec(self):
        return self._spec

    def take_episodes(self):
        recorded, self._recorded = self._recorded, []
        return recorded

    def frame_stream(self):
        return getattr(self.game, "stream", None)

    @property
    def frames_per_step(self) -> int:
        return self.game.frames_per_step

    def take_notes(self):
        notes, self._notes = self._notes, []
        return notes

    def modules(self):
        return {"q": self.q, "target": self.target}

    def optimizers(self):
        return {"opt": self.opt}

    def on_config_changed(self, changed: dict) -> None:
        self._set_lr()

    def learning_rate(self) -> float:
        c = self.config
        if c.lr_decay_steps <= 0:
            return c.lr
        return c.lr + (c.lr_end - c.lr) * min(1.0, self.step / c.lr_decay_steps)

    def _set_lr(self) -> None:
        for group in self.opt.param_groups:
            group["lr"] = self.learning_rate()

    def timed_state_is_whole(self) -> bool:
        return not self.config.keep_replay or self.game.replay_nbytes() <= TIMED_REPLAY_BYTES

    def checkpoint_state(self, final: bool = True) -> dict:
        self._replay_in_state = final or self.timed_state_is_whole()
        try:
            return self.state_dict()
        finally:
            self._replay_in_state = True

    def extra_state(self):
        keep = self.config.keep_replay and self._replay_in_state
        return {**self.game.state(keep), "episodes": self.episodes, "learn_after": self.learn_after}

    def load_extra_state(self, extra):
        self.episodes = int(extra["episodes"])
        self.learn_after = int(extra.get("learn_after", 0))
        self.game.load_state(extra, self.episodes, self.seed)
        self._refilling = "buffer" not in extra and "replay" not in extra

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if getattr(self, "_refilling", False):  # the checkpoint holds no replay memory: fill it again first
            n = self.config.learning_starts
            self.learn_after = max(self.learn_after, self.step + n)
            why = ("a timed one: a memory this large is saved only when the run stops" if self.config.keep_replay
                   else "save replay memory off")
            self._notes.append(f"replay memory not kept in the checkpoint ({why}): refilling {n:,} "
                               f"transitions before learning resumes (at step {self.learn_after:,})")

    # --- acting ---
    def epsilon(self) -> float:
        c = self.config
        return c.eps_end + (c.eps_start - c.eps_end) * max(0.0, 1.0 - self.step / c.eps_steps)

    @torch.no_grad()
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        obs = torch.as_tensor(obs, dtype=self.game.obs_dtype, device=self.device)  # Atari: bytes, scaled there
        return self.q(obs[None])[0].float().cpu().numpy()

    def act(self, obs: np.ndarray, epsilon: float) -> int:
        if float(torch.rand((), generator=self.rng)) < epsilon:
            return int(torch.randint(self.n_actions, (), generator=self.rng))
        return int(self.q_values(obs).argmax())

    # --- learning ---
    def train_step(self):
        c = self.config
        eps = self.epsilon()
        action = self.act(self.game.observation(), eps)
        out = {"epsilon": torch.tensor(eps)}
        out.update(self.game.step(action))
        self.step += 1
        if "episode_return" in out:
            self.episodes += 1
        replay = self.game.replay
        if (self.step > c.learning_starts and self.step > self.learn_after and self.step % c.train_freq == 0
                and len(replay) >= c.batch_size):
            out.update(self._learn())
        if c.tau >= 1.0 and self.step % c.target_update == 0:
            self.target.load_state_dict(self.q.state_dict())
        if self._fill and self.step % FILL_EVERY == 0:
            out["replay_fill"] = torch.tensor(len(replay) / replay.capacity)
        if self.step % c.eval_every == 0:
            try:
                returns = self.evaluate(c.eval_episodes, record=c.record_episodes)
                out["eval_return"] = torch.tensor(float(np.mean(returns)))
            except EvaluationInterrupted:
                pass  # stopping: this evaluation is left out rather than reported half done
        return out

    def _learn(self) -> dict[str, torch.Tensor]:
        c = self.config
        self._set_lr()
        losses, qs = [], []
        for _ in range(c.gradient_steps):
            b = self.game.replay.sample(c.batch_size, self.rng, self.device)  # Atari: uint8, scaled on device
            n = len(b["obs"])
            if c.double and self.game.one_pass_double:  # small nets: one call over s and s' is cheaper
                q_both = self.q(torch.cat([b["obs"], b["next_obs"]]))
                q_all, best = q_both[:n], q_both[n:].detach().argmax(1, keepdim=True)
            else:
                q_all = self.q(b["obs"])
                if c.double:  # a CNN: s' without autograd (benchmarks/results/nature_cnn_speed.md: 1.3× faster)
                    with torch.no_grad():
                        best = self.q(b["next_obs"]).argmax(1, keepdim=True)
            with torch.no_grad():
                next_target = self.target(b["next_obs"])
                next_q = next_target.gather(1, best).squeeze(1) if c.double else next_target.max(1).values
                y = b["rewards"] + c.gamma * (1.0 - b["terminated"]) * next_q
            q = q_all.gather(1, b["actions"][:, None]).squeeze(1)
            loss = F.smooth_l1_loss(q, y) if c.loss == "huber" else F.mse_loss(q, y)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.q.parameters(), c.max_grad_norm, foreach=True)
            self.opt.step()
            if c.tau < 1.0:
                with torch.no_grad():
                    for p, tp in zip(self.q.parameters(), self.target.parameters()):
                        tp.lerp_(p, c.tau)
            losses.append(loss.detach())
            qs.append(q_all.detach().max(1).values.mean())
        return {"td_loss": torch.stack(losses).mean(), "q_max": torch.stack(qs).mean()}

    def evaluate(self, episodes: int, seed: int | None = None, record: bool = False) -> list[float]:
        """Returns (Atari: raw game scores, whole games) of `episodes` episodes on separate copies of the game
        (training's is untouched), episode i from seed `seed`+i, ε = eval_epsilon. record: also keep the
        first one frame by frame (take_episodes)."""
        base = self.seed * 1000 + self.step if seed is None else seed
        episode = Episode(self.step, base, self._spec.frame_shape, level=self.game.frame_level) if record else None
        self._evaluating = episode
        try:
            returns = self.game.evaluate(self.q, self.device, [base + i for i in range(episodes)],
                                         epsilon=self.config.eval_epsilon, record=episode,
                                         stop_requested=self.stop_requested)
        finally:
            self._evaluating = None
        if episode is not None:
            if self.game.saliency:  # the weights that played it, for "where the network looks"
                episode.network = network_copy(self.q)
            self._recorded.append(episode.finish())
        return returns

    def generate(self, n: int, seed: int) -> np.ndarray:
        raise StudioError("a DQN session has no images to sample: the agent plays a game instead")
