"""The studio's DQN against Stable-Baselines3's DQN on CartPole-v1, side by side in one run.

Both train 50,000 environment steps per seed, each run in a fresh process, studio and SB3 alternating
so that any drift of the machine falls on both. SB3 gets RL-Zoo's tuned CartPole-v1 hyperparameters
(rl_zoo3/hyperparams/dqn.yml); the studio its default preset, with everything a user gets: its session
file, the periodic evaluations and the recorded episodes. Measured for each:
  - env steps per second: 50,000 / wall seconds of training (studio: Runner.run including the session
    writes; SB3: model.learn);
  - the greedy return of 20 episodes after 50,000 steps (reset seeds 10,000…10,019, the same for both);
  - for the studio, whether its own periodic greedy evaluations reached 500 within the 50,000 steps.

    pip install "stable-baselines3==2.9.2"      # for this benchmark only; not a dependency of the app
    python benchmarks/dqn_vs_sb3.py [--seeds 1 2 3 4 5] [--steps 50000]   # ~30 min; results/dqn_vs_sb3.md
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL_SEED, EVAL_EPISODES = 10_000, 20
ZOO = dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000, gamma=0.99,
           target_update_interval=10, train_freq=256, gradient_steps=128, exploration_fraction=0.16,
           exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]))


def greedy_returns(act, env_id: str = "CartPole-v1") -> list[float]:
    import gymnasium as gym
    env = gym.make(env_id)
    returns = []
    for i in range(EVAL_EPISODES):
        obs, _ = env.reset(seed=EVAL_SEED + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return returns


def run_studio(seed: int, steps: int) -> dict:
    from studio import config as cfg
    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run
    from studio.session.reader import SessionReader
    from studio.trainers.dqn_config import DEFAULT_PRESET, PRESETS

    out = Path(tempfile.mkdtemp(prefix="dqn-bench-")) / f"studio-{seed}.h5"
    prepared = new_run("dqn", PRESETS[DEFAULT_PRESET], RunSettings(seed=seed, device="cpu"), out)
    runner = make_runner(prepared, Control(), max_steps=steps, preview_seconds=None)
    start = time.perf_counter()
    runner.run()
    seconds = time.perf_counter() - start
    trainer = prepared.trainer
    returns = trainer.evaluate(EVAL_EPISODES, seed=EVAL_SEED)
    with SessionReader(out) as r:
        evals = r.series("eval_return")[1].tolist()
        episodes = len(r.episode_index())
        size_mb = out.stat().st_size / 1e6
    return {"steps_per_s": steps / seconds, "seconds": seconds, "returns": returns, "evals": evals,
            "episodes_recorded": episodes, "file_mb": size_mb, "config": cfg.to_dict(trainer.config)}


def run_sb3(seed: int, steps: int) -> dict:
    import gymnasium as gym
    from stable_baselines3 import DQN

    model = DQN("MlpPolicy", gym.make("CartPole-v1"), seed=seed, device="cpu", verbose=0, **ZOO)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    seconds = time.perf_counter() - start
    returns = greedy_returns(lambda obs: int(model.predict(obs, deterministic=True)[0]))
    import stable_baselines3
    return {"steps_per_s": steps / seconds, "seconds": seconds, "returns": returns,
            "version": stable_baselines3.__version__}


def one(which: str, seed: int, steps: int) -> None:
    result = (run_studio if which == "studio" else run_sb3)(seed, steps)
    print("RESULT " + json.dumps(result))


def spawn(which: str, seed: int, steps: int) -> dict:
    cmd = [sys.executable, __file__, "--one", which, "--seed", str(seed), "--steps", str(steps)]
    print("$", " ".join(cmd[1:]), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        sys.exit(f"{which} seed {seed} failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(line[7:])
    print(f"  {which} seed {seed}: {result['steps_per_s']:.0f} steps/s, greedy return "
          f"{np.mean(result['returns']):.1f}" + (f", evals {[round(v) for v in result['evals']]}"
                                                  if "evals" in result else ""), flush=True)
    return result


def report(results: dict, seeds: list[int], steps: int) -> str:
    import torch
    lines = ["# DQN on CartPole-v1: the studio's default preset against Stable-Baselines3 (RL-Zoo params)", "",
             f"`python benchmarks/dqn_vs_sb3.py --seeds {' '.join(map(str, seeds))} --steps {steps}` on "
             f"{time.strftime('%Y-%m-%d')}, 2-core CPU, torch {torch.__version__}, SB3 "
             f"{results['sb3'][0]['version']}; each run a fresh process, studio and SB3 alternating.", "",
             "| seed | studio steps/s | SB3 steps/s | studio greedy return (20 ep.) | SB3 greedy return (20 ep.) "
             "| studio evals reached 500 |", "|---|---|---|---|---|---|"]
    for i, seed in enumerate(seeds):
        s, b = results["studio"][i], results["sb3"][i]
        lines.append(f"| {seed} | {s['steps_per_s']:.0f} | {b['steps_per_s']:.0f} | {np.mean(s['returns']):.1f} | "
                     f"{np.mean(b['returns']):.1f} | {'yes' if max(s['evals']) >= 500 else 'no'} "
                     f"({', '.join(str(round(v)) for v in s['evals'])}) |")
    rate = {k: [r["steps_per_s"] for r in v] for k, v in results.items()}
    final = {k: [float(np.mean(r["returns"])) for r in v] for k, v in results.items()}
    reached = sum(max(r["evals"]) >= 500 for r in results["studio"])
    lines += ["", f"- steps/s, mean over seeds: studio **{np.mean(rate['studio']):.0f}**, SB3 "
                  f"**{np.mean(rate['sb3']):.0f}** (ratio {np.mean(rate['studio']) / np.mean(rate['sb3']):.2f})",
              f"- greedy return after {steps:,} steps (20 episodes), mean over seeds: studio "
              f"**{np.mean(final['studio']):.1f}**, SB3 **{np.mean(final['sb3']):.1f}**; seeds at 500: studio "
              f"{sum(v >= 500 for v in final['studio'])}/{len(seeds)}, SB3 {sum(v >= 500 for v in final['sb3'])}/{len(seeds)}",
              f"- studio seeds whose periodic evaluation (5 greedy episodes every 5,000 steps) reached 500 within "
              f"{steps:,} steps: **{reached}/{len(seeds)}**",
              f"- studio session files: {np.mean([r['file_mb'] for r in results['studio']]):.1f} MB on average, "
              f"with {results['studio'][0]['episodes_recorded']} recorded episodes each"]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--one", choices=("studio", "sb3"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "dqn_vs_sb3.md")
    a = p.parse_args()
    if a.one:
        one(a.one, a.seed, a.steps)
        return
    results = {"studio": [], "sb3": []}
    for seed in a.seeds:
        results["studio"].append(spawn("studio", seed, a.steps))
        results["sb3"].append(spawn("sb3", seed, a.steps))
    text = report(results, a.seeds, a.steps)
    a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
