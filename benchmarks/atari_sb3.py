"""The Atari baseline for issue 12: Stable-Baselines3's DQN (CnnPolicy) with RL-Zoo's Atari
hyperparameters, measured the way the studio's Atari DQN will be, so the two can stand side by side.

Environment, exactly: `gym.make(ENV, frameskip=1, repeat_action_probability=0.0)` from ale-py (default
ENV ALE/Breakout-v5: minimal action set, the v5 cap of 108,000 frames per game), wrapped by SB3's
`AtariWrapper` with its defaults (30 no-ops, frameskip 4 with a max over the last two frames, a life
lost ends an episode for learning, FIRE on reset, 84×84 grey, rewards clipped to their sign), one env in
a DummyVecEnv, then `VecFrameStack(4)`. That is RL-Zoo's BreakoutNoFrameskip-v4 setup on ale-py 0.12,
which no longer registers the v4 names.

Hyperparameters: rl_zoo3/hyperparams/dqn.yml, entry `atari` (below, ZOO), except `learning_starts`,
which --learning-starts may lower for short runs; the exploration schedule follows --steps, as in SB3.

Measured:
  - agent steps/s over the learning phase only: from the step the learning starts to the end of
    learn(), evaluation time taken out (a callback times it); the filling phase before it on its own;
  - the replay buffer's bytes at 100,000 transitions, summed over its arrays (buffer_size is 100,000,
    so this is what SB3 allocates), and the process's RSS at the end (filled pages only);
  - evaluation scores: whole games (no end at a life lost), unclipped, ε = 0.05 (the Nature paper's
    protocol; a purely greedy Breakout agent can stall forever without pressing FIRE), every
    --eval-every agent steps and at the end, --eval-episodes games from reset seeds EVAL_SEED+i.

A second agent plugs in by adding a function `run_NAME(args) -> dict` to AGENTS returning the same
JSON fields (see `run_sb3`); `play_games` is the shared evaluation protocol.

    pip install -e '.[bench]'    # stable-baselines3 and OpenCV; not dependencies of the app
    python benchmarks/atari_sb3.py --env ALE/Breakout-v5 --steps 15000 --seed 0 \
        --learning-starts 5000 --json /tmp/sb3.json          # results/atari_sb3.md
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

ZOO = dict(buffer_size=100_000, learning_rate=1e-4, batch_size=32, learning_starts=100_000,
           target_update_interval=1000, train_freq=4, gradient_steps=1, exploration_fraction=0.1,
           exploration_final_eps=0.01, optimize_memory_usage=False)
ZOO_TIMESTEPS, FRAME_STACK = 10_000_000, 4
EVAL_SEED, EVAL_EPSILON = 10_000, 0.05


def _ale_env(env_id: str):
    import ale_py
    import gymnasium as gym
    gym.register_envs(ale_py)
    return gym.make(env_id, frameskip=1, repeat_action_probability=0.0)


def _rss_bytes() -> int:
    import psutil
    return psutil.Process().memory_info().rss


class StackedFrames:
    """An evaluation game as the agent saw it in training, in one process: SB3's AtariWrapper without
    the life-loss ending and the reward clipping, and the last 4 frames channels-first, zeros before
    the first (what VecFrameStack then VecTransposeImage give)."""

    def __init__(self, env_id: str):
        from stable_baselines3.common.atari_wrappers import AtariWrapper
        self.env = AtariWrapper(_ale_env(env_id), terminal_on_life_loss=False, clip_reward=False)
        self.stack = np.zeros((FRAME_STACK, 84, 84), np.uint8)

    def reset(self, seed: int) -> np.ndarray:
        frame, _ = self.env.reset(seed=seed)
        self.stack[:] = 0
        self.stack[-1] = frame[..., 0]
        return self.stack.copy()

    def step(self, action: int):
        frame, reward, terminated, truncated, _ = self.env.step(action)
        self.stack[:-1] = self.stack[1:]
        self.stack[-1] = frame[..., 0]
        return self.stack.copy(), float(reward), terminated or truncated

    def close(self):
        self.env.close()


def play_games(make_game, act, n_actions: int, episodes: int, seed: int = EVAL_SEED,
               epsilon: float = EVAL_EPSILON) -> list[float]:
    """Unclipped scores of `episodes` whole games, game i from reset seed seed+i; `act(obs (4, 84, 84)
    uint8) -> int` is the agent's greedy choice, replaced by a uniform random action with probability
    epsilon (its own generator, seeded, so both agents face the same coin flips per step index)."""
    rng = np.random.default_rng(seed)
    game, scores = make_game(), []
    try:
        for i in range(episodes):
            obs, total, done = game.reset(seed + i), 0.0, False
            while not done:
                a = int(rng.integers(n_actions)) if rng.random() < epsilon else act(obs)
                obs, reward, done = game.step(a)
                total += reward
            scores.append(total)
    finally:
        game.close()
    return scores


def _train_env(env_id: str, seed: int):
    from stable_baselines3.common.atari_wrappers import AtariWrapper
    from stable_baselines3.common.vec_env import DummyVecEnv, VecFrameStack
    venv = DummyVecEnv([lambda: AtariWrapper(_ale_env(env_id))])
    venv.seed(seed)
    return VecFrameStack(venv, FRAME_STACK)


def run_sb3(args) -> dict:
    import stable_baselines3
    import torch
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback

    if args.threads:
        torch.set_num_threads(args.threads)
    params = dict(ZOO, learning_starts=args.learning_starts, exploration_fraction=exploration_steps(args) / args.steps)
    model = DQN("CnnPolicy", _train_env(args.env, args.seed), seed=args.seed, device="cpu", verbose=0, **params)
    n_actions = int(model.action_space.n)

    def act(obs):
        return int(model.predict(obs, deterministic=True)[0])

    class Timer(BaseCallback):
        """Clock marks at the learning phase's start and end; evaluations run here, their time kept."""

        def __init__(self):
            super().__init__()
            self.marks, self.evals = {}, []
            self.eval_seconds = {"filling": 0.0, "learning": 0.0}
            self.rss_at_learn = None

        def evaluate(self):
            start = time.perf_counter()
            scores = play_games(lambda: StackedFrames(args.env), act, n_actions, args.eval_episodes)
            seconds = time.perf_counter() - start
            if "end" not in self.marks:  # inside learn(): taken out of the phase it fell in
                self.eval_seconds["learning" if "learn" in self.marks else "filling"] += seconds
            self.evals.append({"step": self.num_timesteps, "scores": scores, "mean": float(np.mean(scores)),
                               "seconds": seconds})
            print(f"sb3 eval at {self.num_timesteps}: {scores} ({time.strftime('%H:%M:%S')})", flush=True)

        def _on_training_start(self):
            self.marks["start"] = time.perf_counter()

        def _on_step(self):
            if self.num_timesteps == args.learning_starts:
                self.marks["learn"] = time.perf_counter()
                self.rss_at_learn = _rss_bytes()
            if args.eval_every and self.num_timesteps % args.eval_every == 0:
                self.evaluate()
            return True

        def _on_training_end(self):
            self.marks["end"] = time.perf_counter()

    timer = Timer()
    model.learn(total_timesteps=args.steps, callback=timer)
    if not timer.evals or timer.evals[-1]["step"] != args.steps:
        timer.evaluate()  # the final agent, if the schedule did not just do it
    rss_end = _rss_bytes()

    m = timer.marks
    learn_steps = args.steps - args.learning_starts
    learn_seconds = m["end"] - m["learn"] - timer.eval_seconds["learning"]
    fill_seconds = m["learn"] - m["start"] - timer.eval_seconds["filling"]
    buf = model.replay_buffer
    arrays = {name: int(getattr(buf, name).nbytes) for name in
              ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")
              if getattr(buf, name, None) is not None}
    return {
        "agent": "sb3",
        "versions": {"stable_baselines3": stable_baselines3.__version__, "torch": torch.__version__},
        "torch_threads": torch.get_num_threads(),
        "hyperparams": dict(params, n_timesteps=args.steps, policy="CnnPolicy", frame_stack=FRAME_STACK,
                            gamma=model.gamma, max_grad_norm=model.max_grad_norm),
        "q_net_params": sum(p.numel() for p in model.q_net.parameters()),
        "learning": {"steps": learn_steps, "seconds": learn_seconds, "steps_per_s": learn_steps / learn_seconds,
                     "updates": learn_steps // params["train_freq"]},
        "filling": {"steps": args.learning_starts, "seconds": fill_seconds,
                    "steps_per_s": args.learning_starts / fill_seconds},
        "buffer": {"capacity": buf.buffer_size, "bytes": sum(arrays.values()), "arrays": arrays,
                   "bytes_per_transition": sum(arrays.values()) / buf.buffer_size},
        "rss_bytes": {"at_learning_start": timer.rss_at_learn, "at_end": rss_end},
        "evals": timer.evals,
    }


def exploration_steps(args) -> int:
    """Agent steps over which ε falls: RL-Zoo's 10 % of the run, or --exploration-steps."""
    return args.exploration_steps or max(1, int(ZOO["exploration_fraction"] * args.steps))


def studio_config(args):
    """RL-Zoo's Atari entry in the studio's terms: the same net, replay size, learning rate, batch, target
    copies, update ratio, ε schedule (1 → 0.01 over 10 % of the run), γ, Huber loss, gradient-norm 10; plain
    DQN (no Double, no dueling), as SB3's DQN is."""
    from dataclasses import replace
    from studio.trainers.dqn_config import NATURE_2015
    return replace(NATURE_2015, env=args.env, double=False, dueling=False, lr=ZOO["learning_rate"],
                   buffer_size=ZOO["buffer_size"], batch_size=ZOO["batch_size"],
                   learning_starts=args.learning_starts, target_update=ZOO["target_update_interval"],
                   train_freq=ZOO["train_freq"], gradient_steps=ZOO["gradient_steps"], eps_start=1.0,
                   eps_end=ZOO["exploration_final_eps"], eps_steps=exploration_steps(args),
                   gamma=0.99, loss="huber", max_grad_norm=10.0, eval_every=10**8, eval_epsilon=EVAL_EPSILON,
                   keep_replay=False, record_episodes=False)


def run_studio(args) -> dict:
    """The studio as a user runs it from the command line (the Runner, its session file and
    checkpoints included), with the harness's evaluation points and protocol: whole games, unclipped,
    ε = 0.05, game i from seed EVAL_SEED+i (the studio's own evaluation games; their ε coin flips come
    from the studio's generator, not play_games')."""
    import tempfile
    import torch
    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run

    config = studio_config(args)
    out = tempfile.mkdtemp(prefix="atari-bench-") + "/studio.h5"
    prepared = new_run("dqn", config, RunSettings(seed=args.seed, device="cpu", threads=args.threads), out)
    trainer = prepared.trainer
    marks, evals, eval_seconds = {}, [], {"filling": 0.0, "learning": 0.0}
    rss_at_learn = None
    step_once = trainer.train_step

    def evaluate():
        start = time.perf_counter()
        scores = trainer.evaluate(args.eval_episodes, seed=EVAL_SEED)
        seconds = time.perf_counter() - start
        eval_seconds["learning" if "learn" in marks else "filling"] += seconds
        evals.append({"step": trainer.step, "scores": scores, "mean": float(np.mean(scores)), "seconds": seconds})
        print(f"studio eval at {trainer.step}: {scores} ({time.strftime('%H:%M:%S')})", flush=True)

    def timed_step():  # the same marks as SB3's callback: learning starts after step learning_starts
        nonlocal rss_at_learn
        out = step_once()
        if trainer.step == args.learning_starts:
            marks["learn"] = time.perf_counter()
            rss_at_learn = _rss_bytes()
        if args.eval_every and trainer.step % args.eval_every == 0:
            evaluate()
        return out

    trainer.train_step = timed_step
    runner = make_runner(prepared, Control(), max_steps=args.steps, preview_seconds=None)
    marks["start"] = time.perf_counter()
    runner.run()
    marks["end"] = time.perf_counter()
    if not evals or evals[-1]["step"] != args.steps:
        evaluate()
    rss_end = _rss_bytes()
    replay = trainer.buffer
    learn_steps = args.steps - args.learning_starts
    learn_seconds = marks["end"] - marks["learn"] - eval_seconds["learning"]
    fill_seconds = marks["learn"] - marks["start"] - eval_seconds["filling"]
    from studio import config as cfg
    return {
        "agent": "studio",
        "versions": {"torch": torch.__version__},
        "torch_threads": torch.get_num_threads(),
        "hyperparams": cfg.to_dict(config),
        "q_net_params": sum(p.numel() for p in trainer.q.parameters()),
        "learning": {"steps": learn_steps, "seconds": learn_seconds, "steps_per_s": learn_steps / learn_seconds,
                     "updates": learn_steps // config.train_freq},
        "filling": {"steps": args.learning_starts, "seconds": fill_seconds,
                    "steps_per_s": args.learning_starts / fill_seconds},
        "buffer": {"capacity": replay.capacity, "bytes": replay.nbytes, "arrays": {},
                   "bytes_per_transition": replay.nbytes / replay.capacity},
        "rss_bytes": {"at_learning_start": rss_at_learn, "at_end": rss_end},
        "evals": evals,
    }


AGENTS = {"sb3": run_sb3, "studio": run_studio}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agent", choices=sorted(AGENTS) + ["both"], default="sb3",
                    help="both: SB3 then the studio, each in a fresh process, in this one run")
    ap.add_argument("--env", default="ALE/Breakout-v5")
    ap.add_argument("--steps", type=int, default=ZOO_TIMESTEPS, help="agent steps in all (4 frames each)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--learning-starts", type=int, default=ZOO["learning_starts"])
    ap.add_argument("--exploration-steps", type=int, default=0,
                    help="agent steps over which ε falls to its end; 0: RL-Zoo's 10 %% of --steps")
    ap.add_argument("--eval-every", type=int, default=250_000, help="agent steps; 0: only at the end")
    ap.add_argument("--eval-episodes", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0: torch's default")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    if not 0 < args.learning_starts < args.steps:
        ap.error("--learning-starts must be above 0 and below --steps")
    if args.agent == "both":
        return both(argv, args)
    load_before = os.getloadavg()
    result = AGENTS[args.agent](args)
    result.update(env=args.env, seed=args.seed, steps=args.steps, machine={
        "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "load_before": load_before, "load_after": os.getloadavg()},
        eval_protocol={"episodes": args.eval_episodes, "every": args.eval_every, "epsilon": EVAL_EPSILON,
                       "seed": EVAL_SEED, "whole_games": True, "clipped": False})
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    learn, buf = result["learning"], result["buffer"]
    print(f"{args.agent}: learning phase {learn['steps']} steps in {learn['seconds']:.1f} s = "
          f"{learn['steps_per_s']:.1f} agent steps/s; filling {result['filling']['steps_per_s']:.0f} steps/s")
    print(f"replay buffer at {buf['capacity']:,} transitions: {buf['bytes'] / 1e9:.3f} GB; RSS at end "
          f"{result['rss_bytes']['at_end'] / 1e9:.3f} GB")
    for e in result["evals"]:
        print(f"eval at {e['step']}: mean {e['mean']:.1f} over {len(e['scores'])} games {e['scores']}")
    return result


def both(argv, args) -> dict:
    """Each agent in its own process, one after the other, then the ratios the issue asks for."""
    import subprocess
    import tempfile
    rest = list(argv if argv is not None else sys.argv[1:])
    i = rest.index("--agent")
    del rest[i:i + 2]
    if "--json" in rest:
        j = rest.index("--json")
        del rest[j:j + 2]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for agent in ("sb3", "studio"):
            path = f"{tmp}/{agent}.json"
            subprocess.run([sys.executable, __file__, "--agent", agent, "--json", path, *rest], check=True)
            with open(path) as f:
                results[agent] = json.load(f)
    sb3, studio = results["sb3"], results["studio"]
    results["ratio"] = {
        "learning_steps_per_s": studio["learning"]["steps_per_s"] / sb3["learning"]["steps_per_s"],
        "replay_bytes": studio["buffer"]["bytes"] / sb3["buffer"]["bytes"]}
    print(f"studio / SB3: learning-phase speed {results['ratio']['learning_steps_per_s']:.2f}x, "
          f"replay memory at 100,000 transitions {results['ratio']['replay_bytes']:.3f} of SB3's")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
