"""DQN hyperparameters and presets (the seeds: experience replay and a fixed target network)."""
from dataclasses import dataclass, replace

from studio.config import param
from studio.rl.envs import available_envs

ENVS = tuple(available_envs()) or ("CartPole-v1",)


@dataclass(frozen=True)
class DQNConfig:
    env: str = param("CartPole-v1", "The gymnasium game to learn.", choices=ENVS, label="game")
    hidden: int = param(256, "Units in each hidden layer of the Q-network (an MLP).", low=8, high=4096)
    layers: int = param(2, "Hidden layers of the Q-network.", low=1, high=6)
    dueling: bool = param(False, "Dueling head: Q = V(s) + A(s, a) − mean A.")
    double: bool = param(True, "Double DQN: the online network picks the next action, the target network "
                         "values it (less overestimation).", label="double DQN")
    lr: float = param(2.3e-3, "Adam learning rate.", low=1e-7, high=0.1, live=True, label="learning rate")
    lr_end: float = param(0.0, "Learning rate at the end of the decay (when `lr decay steps` is above 0).",
                          low=0.0, high=0.1, live=True, label="final learning rate")
    lr_decay_steps: int = param(0, "Environment steps over which the learning rate falls linearly to its final "
                                "value; 0 keeps it constant.", low=0, high=10**8, live=True,
                                label="lr decay steps")
    gamma: float = param(0.99, "Discount factor γ.", low=0.0, high=0.9999, label="discount γ")
    buffer_size: int = param(100_000, "Transitions kept in the replay buffer.", low=100, high=2_000_000,
                             label="replay size")
    batch_size: int = param(64, "Transitions per gradient step.", low=1, high=4096, live=True)
    learning_starts: int = param(1000, "Environment steps of pure exploration before learning starts.",
                                 low=0, high=10**7, label="learning starts")
    train_freq: int = param(256, "Environment steps between training rounds.", low=1, high=10**5, live=True,
                            label="train every")
    gradient_steps: int = param(128, "Gradient steps per training round.", low=1, high=10**4, live=True)
    target_update: int = param(10, "Environment steps between hard copies of the online network into the "
                               "target network (used when τ = 1).", low=1, high=10**6, live=True,
                               label="target update every")
    tau: float = param(1.0, "Polyak factor: 1 copies every `target update every` steps; below 1 the target "
                       "moves towards the online network by τ after every gradient step.", low=1e-4, high=1.0,
                       live=True, label="Polyak τ")
    loss: str = param("huber", "TD loss: Huber (smooth L1, as in the Nature DQN) or squared error.",
                      choices=("huber", "mse"), label="TD loss")
    max_grad_norm: float = param(10.0, "Gradients are clipped to this global norm.", low=0.01, high=1e4,
                                 live=True, label="gradient clip")
    eps_start: float = param(1.0, "ε at the start: the share of random actions.", low=0.0, high=1.0, live=True,
                             label="ε start")
    eps_end: float = param(0.04, "ε after the schedule.", low=0.0, high=1.0, live=True, label="ε end")
    eps_steps: int = param(8000, "Environment steps over which ε falls linearly from start to end.",
                           low=1, high=10**8, live=True, label="ε decay steps")
    eval_every: int = param(5000, "Run greedy evaluation episodes every this many environment steps.",
                            low=100, high=10**8, live=True, label="evaluate every")
    eval_episodes: int = param(5, "Greedy episodes per evaluation.", low=1, high=100, live=True)
    record_episodes: bool = param(True, "Keep the first episode of each evaluation frame by frame in the "
                                  "session, to play back.", live=True, label="record episodes")


PRESETS = {
    # RL-Zoo's tuned CartPole-v1 settings (net 256×2, lr 2.3e-3, batch 64, train 256 / 128 grad steps,
    # target every 10 steps, ε 1 → 0.04 over the first 16 % of 50,000 steps).
    "CartPole-v1 (tuned)": DQNConfig(),
    # The Nature DQN's recipe (hard target copies, Huber loss, an update every 4 steps, ε 1 → 0.1), its
    # step counts scaled down 10× for games far shorter than Atari's.
    "Nature DQN": replace(DQNConfig(), double=False, lr=2.5e-4, batch_size=32, learning_starts=5_000,
                          train_freq=4, gradient_steps=1, target_update=1_000, eps_end=0.1, eps_steps=100_000),
}
DEFAULT_PRESET = "CartPole-v1 (tuned)"
