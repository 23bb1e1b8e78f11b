"""The DQN agent on a gymnasium game: ε-greedy acting, experience replay, a target network (Mnih et al.
2015), with Double DQN and a dueling head as options. One trainer step is one environment step."""
import copy

import numpy as np
import torch
from torch.nn import functional as F

from studio.errors import StudioError
from studio.models.q_network import QNetwork
from studio.rl.envs import action_names, first_frame, game_state, make_env, restore_game_state
from studio.rl.episode import Episode, EpisodeSpec
from studio.rl.evaluation import EvaluationInterrupted, play_greedy
from studio.rl.replay import ReplayBuffer
from studio.trainers.base import FramePanel, Series, Trainer
from studio.trainers.dqn_config import DEFAULT_PRESET, PRESETS, DQNConfig

def _adam(params, lr: float) -> torch.optim.Optimizer:
    """Adam as one fused kernel where torch has it: for a net this small, per-tensor steps cost more
    than the arithmetic."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr)


RETURN_PLOT, LOSS_PLOT, Q_PLOT, EPS_PLOT = "episode return", "TD loss", "mean max-Q", "ε"


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
        self.env = make_env(config.env, render=True)  # it draws a frame only when asked for one
        obs_dim, self.n_actions = self.env.observation_space.shape[0], int(self.env.action_space.n)
        self.q = QNetwork(obs_dim, self.n_actions, config.hidden, config.layers, config.dueling).to(device)
        self.target = copy.deepcopy(self.q)
        self.opt = _adam(self.q.parameters(), config.lr)
        self.buffer = ReplayBuffer(config.buffer_size, (obs_dim,))
        self.episodes = 0
        self._recorded: list[Episode] = []
        self._evaluating: Episode | None = None  # the evaluation game being recorded, shown meanwhile
        frame = first_frame(self.env, config.env)
        self._new_episode(seed)
        self._spec = EpisodeSpec(config.env, tuple(frame.shape), action_names(config.env, self.n_actions),
                                 int(self.env.metadata.get("render_fps") or 30))

    def _new_episode(self, seed: int | None = None) -> None:
        self.obs, _ = self.env.reset(seed=seed)
        self.ep_return, self.ep_length = 0.0, 0

    # --- what it shows ---
    @property
    def series(self):
        return [Series("episode_return", "return of each training episode", RETURN_PLOT),
                Series("eval_return", "greedy evaluation return (mean)", RETURN_PLOT, sparse=True),
                Series("td_loss", "TD loss", LOSS_PLOT),
                Series("q_max", "mean max-Q of replayed states", Q_PLOT),
                Series("epsilon", "ε (exploration)", EPS_PLOT, smooth=False)]

    @property
    def panels(self):
        return [FramePanel("game", f"{self.config.env} as the agent plays: training (ε-greedy) and, now and "
                           "then, a greedy evaluation game", self._spec.frame_shape)]

    def images(self):
        playing = self._evaluating
        if playing is not None and len(playing):  # an evaluation game is being played and recorded
            return {"game": playing.frame(len(playing) - 1)}
        return {"game": self.env.render()}

    def episode_spec(self):
        return self._spec

    def take_episodes(self):
        recorded, self._recorded = self._recorded, []
        return recorded

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

    def extra_state(self):
        # The game mid-episode too, so that a resumed run plays on exactly as an unbroken one would.
        return {"buffer": self.buffer.state_dict(), "episodes": self.episodes, "game": game_state(self.env),
                "obs": np.asarray(self.obs, np.float64).tolist(), "ep_return": self.ep_return,
                "ep_length": self.ep_length}

    def load_extra_state(self, extra):
        self.buffer.load_state_dict(extra["buffer"])
        self.episodes = int(extra["episodes"])
        if extra.get("game") is None:  # a game whose state cannot be saved (or an older checkpoint)
            self._new_episode(self.seed + self.episodes)
            return
        restore_game_state(self.env, extra["game"])
        self.obs = np.asarray(extra["obs"], self.env.observation_space.dtype)
        self.ep_return, self.ep_length = float(extra["ep_return"]), int(extra["ep_length"])

    # --- acting ---
    def epsilon(self) -> float:
        c = self.config
        return c.eps_end + (c.eps_start - c.eps_end) * max(0.0, 1.0 - self.step / c.eps_steps)

    @torch.no_grad()
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        return self.q(torch.as_tensor(obs, dtype=torch.float32, device=self.device)[None])[0].cpu().numpy()

    def act(self, obs: np.ndarray, epsilon: float) -> int:
        if float(torch.rand((), generator=self.rng)) < epsilon:
            return int(torch.randint(self.n_actions, (), generator=self.rng))
        return int(self.q_values(obs).argmax())

    # --- learning ---
    def train_step(self):
        c = self.config
        eps = self.epsilon()
        action = self.act(self.obs, eps)
        next_obs, reward, terminated, truncated, _ = self.env.step(action)
        # Only a true end stops the bootstrap; a time-limit cut-off still has a future.
        self.buffer.add(self.obs, action, reward, next_obs, terminated)
        self.ep_return += float(reward)
        self.ep_length += 1
        self.step += 1
        out = {"epsilon": torch.tensor(eps)}
        if terminated or truncated:
            out["episode_return"] = torch.tensor(self.ep_return)
            self.episodes += 1
            self._new_episode()
        else:
            self.obs = next_obs
        if self.step > c.learning_starts and self.step % c.train_freq == 0 and len(self.buffer) >= c.batch_size:
            out.update(self._learn())
        if c.tau >= 1.0 and self.step % c.target_update == 0:
            self.target.load_state_dict(self.q.state_dict())
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
            b = self.buffer.sample(c.batch_size, self.rng, self.device)
            n = len(b["obs"])
            if c.double:  # one pass of the online network over s and s' (small nets: the call is the cost)
                q_both = self.q(torch.cat([b["obs"], b["next_obs"]]))
                q_all, best = q_both[:n], q_both[n:].detach().argmax(1, keepdim=True)
            else:
                q_all = self.q(b["obs"])
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
        """Greedy returns of `episodes` episodes on separate copies of the game (training's is untouched),
        episode i from reset seed `seed`+i. record: also keep the first one frame by frame (take_episodes)."""
        base = self.seed * 1000 + self.step if seed is None else seed
        episode = Episode(self.step, base, self._spec.frame_shape) if record else None
        self._evaluating = episode
        try:
            returns = play_greedy(self.q, self.device, self.config.env, [base + i for i in range(episodes)],
                                  record=episode, stop_requested=self.stop_requested)
        finally:
            self._evaluating = None
        if episode is not None:
            self._recorded.append(episode.finish())
        return returns

    def generate(self, n: int, seed: int) -> np.ndarray:
        raise StudioError("a DQN session has no images to sample: the agent plays a game instead")
