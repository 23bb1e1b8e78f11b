"""DQN hyperparameters and presets (the seeds: experience replay and a fixed target network). One model for
both kinds of game: a classic gymnasium id trains the vector agent (an MLP), an Atari id ("ALE/Pong-v5") the
pixel agent (the Nature CNN on 4 stacked 84×84 frames)."""
import importlib.util
from dataclasses import dataclass, replace

from studio.config import param
from studio.errors import ConfigError
from studio.rl.envs import CANDIDATES, available_envs
from studio.rl.pixel_game import is_atari, replay_bytes

# Offered when ale-py is missing, so that choosing one says how to install it (the trainer does) rather
# than that the game is not a choice.
KNOWN_ATARI = ("ALE/Pong-v5", "ALE/Breakout-v5", "ALE/SpaceInvaders-v5", "ALE/Seaquest-v5", "ALE/Qbert-v5",
               "ALE/BeamRider-v5", "ALE/Enduro-v5")


def _atari_envs() -> tuple:
    if importlib.util.find_spec("ale_py") is None:
        return KNOWN_ATARI
    from studio.rl.atari_catalog import games
    try:
        return tuple(games())
    except Exception:  # a broken ale-py install: the trainer names the problem when a game is chosen
        return KNOWN_ATARI


ENVS = (tuple(available_envs()) or ("CartPole-v1",)) + _atari_envs()


# A replay memory up to this size goes into every timed checkpoint (packing holds up the training thread ~1 ms
# a MB, ~65 ms for 64 MB; writing is on the checkpoint thread); a larger one (Atari's: 0.72 GB at 100,000
# transitions, 0.68 s to pack) only into the run's last checkpoint. benchmarks/results/checkpoint_cost.md.
TIMED_REPLAY_BYTES = 64 << 20


def _gb(n: int) -> str:
    return f"{replay_bytes(n) / 1e9:.2f} GB"


def env_problem(env_id: str) -> str:
    """Why a game id cannot be chosen, in one line naming the fix."""
    if is_atari(env_id) or "NoFrameskip" in env_id or env_id.endswith("-v5") or env_id.endswith("-v4"):
        from studio.rl.atari_catalog import rom_path
        try:
            rom_path(env_id if env_id.startswith("ALE/") else "ALE/" + env_id)  # raises the catalogue's message
        except ConfigError as exc:
            return str(exc)
        return f"no game {env_id!r}; did you mean ALE/{env_id.removeprefix('ALE/')}?"
    if env_id in CANDIDATES:
        return (f"game {env_id!r} needs a package that is not installed: pip install "
                f"\"gymnasium[{'box2d' if CANDIDATES[env_id] == 'Box2D' else 'classic-control'}]\"")
    return f"no game {env_id!r} here; classic games: {', '.join(available_envs())}, or an Atari id such as ALE/Pong-v5"


@dataclass(frozen=True)
class DQNConfig:
    env: str = param("CartPole-v1", "The game to learn: a classic gymnasium game (an MLP on its state vector) "
                     "or an Atari game from pixels (the Nature CNN on the last 4 frames, 84×84 grey; rewards "
                     "clipped to ±1 for learning, a lost life ends a training episode, scores shown unclipped).",
                     choices=ENVS, label="game")
    hidden: int = param(256, "Units in each hidden layer of the Q-network (an MLP). Classic games only: the "
                        "Atari network is the Nature CNN's.", low=8, high=4096)
    layers: int = param(2, "Hidden layers of the Q-network. Classic games only.", low=1, high=6)
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
    buffer_size: int = param(100_000, "Transitions kept in the replay buffer. Atari: each 84×84 frame is "
                             f"stored once, {replay_bytes(10**6) / 1e6:,.0f} bytes a transition (100,000: "
                             f"{_gb(100_000)}, 1,000,000: {_gb(10**6)}); a size that does not fit in the free "
                             "memory is refused before the run starts.", low=100, high=2_000_000,
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
    eval_episodes: int = param(5, "Episodes per evaluation (Atari: whole games, all lives).", low=1, high=100,
                               live=True)
    eval_epsilon: float = param(0.0, "ε during evaluation: the share of random actions (0: greedy). The Nature "
                                "DQN evaluated Atari with 0.05: a purely greedy Breakout agent that never "
                                "presses FIRE after losing a life stalls until the 108,000-frame cap.",
                                low=0.0, high=1.0, live=True, label="evaluation ε")
    keep_replay: bool = param(True, "Keep the replay memory in checkpoints: on, a resumed run goes on exactly "
                              "as an unbroken one, but checkpoints hold the memory (Atari: up to "
                              f"{_gb(100_000)} at 100,000 transitions, {_gb(10**6)} at 1,000,000; a memory over "
                              "64 MB is saved when the run stops, not in the checkpoints taken every few seconds, "
                              "so a resume after a crash refills it); off, checkpoints hold the game and the "
                              "weights only and a resumed run refills the memory (`learning starts` transitions) "
                              "before learning again.",
                              label="save replay memory")
    record_episodes: bool = param(True, "Keep the first episode of each evaluation frame by frame in the "
                                  "session, to play back.", live=True, label="record episodes")

    def __post_init__(self):
        # An unknown game is refused here with the catalogue's advice (did you mean…, install ale-py), not
        # with the list of every choice.
        if self.env not in ENVS:
            raise ConfigError(env_problem(self.env), fields=("env",))

    @property
    def atari(self) -> bool:
        return is_atari(self.env)

    def cross_check(self) -> list:
        problems = []
        if self.batch_size > self.buffer_size:
            problems.append(("batch_size", f"batch size {self.batch_size} is larger than the replay size "
                             f"{self.buffer_size}: lower the batch or raise the replay size"))
        if self.eps_end > self.eps_start:
            problems.append(("eps_end", f"ε end {self.eps_end:g} is above ε start {self.eps_start:g}: exploration "
                             "would grow during training; lower ε end"))
        if self.lr_decay_steps > 0 and self.lr_end > self.lr:
            problems.append(("lr_end", f"final learning rate {self.lr_end:g} is above the learning rate "
                             f"{self.lr:g}: set lr decay steps to 0 or lower the final learning rate"))
        return problems


# The Nature DQN (Mnih et al. 2015, Extended Data Table 1), with the counts in agent steps (4 emulator frames
# each), as DeepMind's released code counts them (its "frames" for ε, replay start and target updates are
# agent steps; Dopamine's dqn_nature config reads them the same way): ε 1 → 0.1 over 1,000,000 agent steps,
# replay start 50,000, target copy every 10,000 agent steps, an update every 4. The paper used RMSProp
# (lr 2.5e-4, momentum 0.95, ε 0.01); this studio has Adam at the same lr. The paper clipped the TD error
# to ±1 (= the Huber loss); the gradient-norm clip of 10 is SB3's and rarely acts.
NATURE_2015 = DQNConfig(env="ALE/Breakout-v5", double=False, dueling=False, lr=2.5e-4, buffer_size=1_000_000,
                        batch_size=32, learning_starts=50_000, train_freq=4, gradient_steps=1, target_update=10_000,
                        tau=1.0, gamma=0.99, loss="huber", max_grad_norm=10.0, eps_start=1.0, eps_end=0.1,
                        eps_steps=1_000_000, eval_every=250_000, eval_episodes=10, eval_epsilon=0.05,
                        keep_replay=False)
# Clear learning on Breakout within half an hour on a 2-core CPU: RL-Zoo's Atari settings (replay 100,000,
# lr 1e-4, target copy every 1,000) with learning from step 5,000, ε down to 0.01 over 100,000 steps, Double
# DQN. Measured here: evaluation score 0.3 → 9.3 after 100,000 agent steps (15 min) → 21.3 after 200,000
# (31 min), at ~110 agent steps/s (benchmarks/results/atari_breakout_laptop.md).
LAPTOP_CPU = replace(NATURE_2015, env="ALE/Breakout-v5", double=True, lr=1e-4, buffer_size=100_000,
                     learning_starts=5_000, target_update=1_000, eps_end=0.01, eps_steps=100_000,
                     eval_every=25_000, eval_episodes=3)

PRESETS = {
    # RL-Zoo's tuned CartPole-v1 settings (net 256×2, lr 2.3e-3, batch 64, train 256 / 128 grad steps,
    # target every 10 steps, ε 1 → 0.04 over the first 16 % of 50,000 steps).
    "CartPole-v1 (tuned)": DQNConfig(),
    # The Nature DQN's recipe (hard target copies, Huber loss, an update every 4 steps, ε 1 → 0.1), its
    # step counts scaled down 10× for games far shorter than Atari's.
    "Nature recipe, CartPole scale": replace(DQNConfig(), double=False, lr=2.5e-4, batch_size=32, learning_starts=5_000,
                          train_freq=4, gradient_steps=1, target_update=1_000, eps_end=0.1, eps_steps=100_000),
    "Nature DQN (2015)": NATURE_2015,
    "Laptop CPU (Breakout)": LAPTOP_CPU,
}
DEFAULT_PRESET = "CartPole-v1 (tuned)"


def summary(values: dict) -> str:
    """What `main.py info` says of a DQN session's game and replay choice (from its saved config)."""
    env, size, keep = values.get("env", "?"), int(values.get("buffer_size", 0)), values.get("keep_replay", True)
    if is_atari(env):
        try:
            from studio.rl.atari_catalog import title
            name = f"{title(env)} ({env}), from pixels"
        except ConfigError:
            name = f"{env}, from pixels"
        cost = f" ({_gb(size)} when full)"
    else:
        name, cost = f"{env}, from its state vector", ""
    if not is_atari(env):
        kept = "kept in checkpoints: a resume is exact"
    elif replay_bytes(size) <= TIMED_REPLAY_BYTES:
        kept = f"kept in checkpoints (each up to {_gb(size)} more): a resume is exact"
    else:  # too big to save every few seconds (TIMED_REPLAY_BYTES)
        kept = (f"kept in the checkpoint taken at stop (up to {_gb(size)} more): a resume after a stop is exact; "
                "after a crash the memory is refilled")
    kept = (kept if keep else
            f"not kept in checkpoints: a resume refills {int(values.get('learning_starts', 0)):,} transitions first")
    return f"game: {name}; replay memory {size:,} transitions{cost}, {kept}"
