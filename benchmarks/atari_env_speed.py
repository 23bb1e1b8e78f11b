"""Agent steps per second of three ways to run Atari games with the Nature preprocessing, to choose the
engine of studio/rl/atari.py (issue 12). Random actions; every engine gives 84×84 uint8 frames, raw
rewards and lives, frame skip 4 with the max over the last two screens, up to 30 no-op starts, no sticky
actions, whole games (a game that ends is started again):
  (a) ale_py.vector_env.AtariVectorEnv — C++, threaded, stack_num=1, no reward clipping, FIRE reset;
  (b) gymnasium gym.make("ALE/…-v5", frameskip=1) + AtariPreprocessing (OpenCV resize), N of them in a
      SyncVectorEnv;
  (c) studio.rl.atari.AtariEnvs — ALEInterface per game, skip/max/resize in Python (the studio's layer).
Also: the colour frame and the save/restore cost of each where it has one, (a) asked for full-size
colour frames (its only way to give colour), the resize alone (integer taps vs float32 matrix products
vs OpenCV INTER_AREA), and the catalogue's cost at start-up. Engines alternate, best of --repeats.

    pip install -e '.[bench]'                       # OpenCV, for (b) and the resize comparison
    python benchmarks/atari_env_speed.py [--steps 2000] [--repeats 3]   # ~3 min; results/atari_env_speed.md
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GAMES = {"Breakout": "breakout", "Pong": "pong"}


def engine_vector(game, n, grayscale=True):
    from ale_py.vector_env import AtariVectorEnv

    size = dict(img_height=84, img_width=84) if grayscale else dict(img_height=210, img_width=160)
    env = AtariVectorEnv(GAMES[game], n, stack_num=1, grayscale=grayscale, reward_clipping=False,
                         repeat_action_probability=0.0, noop_max=30, use_fire_reset=True, life_loss_info=False,
                         **size)
    env.reset(seed=0)
    n_actions = env.single_action_space.n

    def step(actions):
        obs, rewards, terminated, truncated, info = env.step(actions.astype(np.int32))
        return obs, rewards, info["lives"]
    return step, n_actions, env.close


def engine_gymnasium(game, n):
    import ale_py
    import gymnasium as gym
    from gymnasium.wrappers import AtariPreprocessing

    gym.register_envs(ale_py)

    def make():
        env = gym.make(f"ALE/{game}-v5", frameskip=1, repeat_action_probability=0.0)
        return AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, grayscale_obs=True)
    envs = gym.vector.SyncVectorEnv([make for _ in range(n)])
    envs.reset(seed=0)

    def step(actions):
        obs, rewards, terminated, truncated, info = envs.step(actions)
        return obs, rewards, info["lives"]
    return step, envs.single_action_space.n, envs.close


def engine_studio(game, n):
    from studio.rl.atari import AtariEnvs

    envs = AtariEnvs(f"ALE/{game}-v5", n, seed=0)
    envs.reset()

    def step(actions):
        out = envs.step(actions)
        ended = np.flatnonzero(out.game_over | out.truncated)  # whole games, as the other two play
        if len(ended):
            envs.restart(ended)
        return out.frames, out.rewards, envs.lives
    return step, envs.n_actions, envs.close


def steps_per_second(make, game, n, steps):
    step, n_actions, close = make(game, n)
    actions = np.random.default_rng(0).integers(0, n_actions, (steps, n))
    step(actions[0])  # first call outside the clock
    start, cpu = time.perf_counter(), time.process_time()  # CPU time: all of the process's threads
    for row in actions[1:]:
        step(row)
    rate = (steps - 1) * n / (time.perf_counter() - start)
    cpu_ms = (time.process_time() - cpu) * 1000 / ((steps - 1) * n)
    close()
    return rate, cpu_ms


def timed(fn, repeat=200):
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6  # µs


def extras():
    """Colour and save/restore of one game, per engine where it exists; the resize alone."""
    import ale_py
    import gymnasium as gym
    from gymnasium.wrappers import AtariPreprocessing

    from studio.rl.atari import AtariEnvs
    from studio.rl.atari_frames import Shrinker, area_weights

    rows = {}
    envs = AtariEnvs("ALE/Breakout-v5", 1, seed=0)
    envs.reset()
    rows["(c) colour frame, env 0 (`AtariEnvs.colour`)"] = timed(lambda: envs.colour(0))
    rows["(c) save state of 1 game (`AtariEnvs.state`)"] = timed(envs.state)
    saved = envs.state()
    rows["(c) restore state of 1 game (`load_state`)"] = timed(lambda: envs.load_state(saved))
    gym.register_envs(ale_py)
    env = AtariPreprocessing(gym.make("ALE/Breakout-v5", frameskip=1, repeat_action_probability=0.0))
    env.reset(seed=0)
    rows["(b) colour frame (`env.unwrapped.ale.getScreenRGB`)"] = timed(env.unwrapped.ale.getScreenRGB)
    rows["(b) clone emulator state (`unwrapped.clone_state(include_rng=True)`)"] = timed(
        lambda: env.unwrapped.clone_state(include_rng=True))
    rng = np.random.default_rng(0)
    older, newer = (rng.integers(0, 256, (210, 160), dtype=np.uint8) for _ in range(2))
    out = np.empty((84, 84), np.uint8)
    shrink = Shrinker()
    rows["resize: max + exact integer area taps (the layer's `Shrinker`)"] = timed(lambda: shrink(older, newer, out))
    rows_w, cols_w = area_weights(210, 84).astype(np.float32), area_weights(160, 84).T.astype(np.float32).copy()
    pooled = np.maximum(older, newer)
    rows["resize: max + two float32 matrix products (numpy's OpenBLAS, default threads)"] = timed(
        lambda: rows_w @ np.maximum(older, newer).astype(np.float32) @ cols_w)
    one_thread = subprocess.run(  # OpenBLAS reads its thread count at start-up only: a fresh process
        [sys.executable, "-c", "import time, numpy as np, sys; sys.path.insert(0, '.')\n"
         "from studio.rl.atari_frames import area_weights\n"
         "r, c = area_weights(210, 84).astype(np.float32), area_weights(160, 84).T.astype(np.float32).copy()\n"
         "a = np.random.default_rng(0).integers(0, 256, (2, 210, 160), dtype=np.uint8)\n"
         "f = lambda: r @ np.maximum(a[0], a[1]).astype(np.float32) @ c\n"
         "f(); t = time.perf_counter()\n[f() for _ in range(200)]\n"
         "print((time.perf_counter() - t) / 200 * 1e6)"],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    rows["resize: max + two float32 matrix products, OpenBLAS on 1 thread"] = float(one_thread.stdout)
    try:
        import cv2

        rows["resize: max + cv2.resize INTER_AREA"] = timed(
            lambda: cv2.resize(np.maximum(older, newer), (84, 84), interpolation=cv2.INTER_AREA))
        exact = shrink(older, newer, out).astype(int)
        diff = np.abs(cv2.resize(pooled, (84, 84), interpolation=cv2.INTER_AREA).astype(int) - exact)
        rows["cv2 INTER_AREA against the exact resize: largest difference, share of pixels differing"] = \
            (int(diff.max()), float((diff > 0).mean()))
    except ImportError:
        pass
    return rows


def catalogue_cost():
    """Cold, in a fresh process (numpy and gymnasium already imported, as in the app): the game list,
    then the action names of one game."""
    code = ("import time, numpy, gymnasium\n"
            "t = time.perf_counter()\n"
            "from studio.rl import atari_catalog as c\n"
            "ids = c.games(); titles = [c.title(i) for i in ids]\n"
            "t1 = time.perf_counter(); c.action_names('ALE/Seaquest-v5'); t2 = time.perf_counter()\n"
            "print(len(ids), (t1 - t) * 1e3, (t2 - t1) * 1e3)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    n, listing, actions = out.stdout.split()
    return int(n), float(listing), float(actions)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="agent steps per env per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/atari_env_speed.md"))
    args = parser.parse_args()
    engines = {"(a) AtariVectorEnv": engine_vector, "(b) gymnasium + AtariPreprocessing": engine_gymnasium,
               "(c) studio AtariEnvs": engine_studio,
               "(a′) AtariVectorEnv, colour 210×160 frames": lambda g, n: engine_vector(g, n, grayscale=False)}
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    best, cpu = {}, {}
    for rep in range(args.repeats):
        for game in GAMES:
            for n in (1, 4):
                for name, make in engines.items():
                    rate, cpu_ms = steps_per_second(make, game, n, args.steps)
                    best[name, game, n] = max(best.get((name, game, n), 0.0), rate)
                    cpu[name, game, n] = min(cpu.get((name, game, n), 1e9), cpu_ms)
                    print(f"rep {rep} {name} {game} n={n}: {rate:,.0f} agent steps/s, "
                          f"{cpu_ms:.3f} CPU ms per agent step", flush=True)
    extra = extras()
    n_games, listing_ms, actions_ms = catalogue_cost()
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    lines = ["# Atari engines: agent steps per second (issue 12)", "",
             f"`python benchmarks/atari_env_speed.py --steps {args.steps} --repeats {args.repeats}` on "
             f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()}-core CPU shared with other work, "
             f"ale-py {__import__('ale_py').__version__}, numpy {np.__version__}.",
             f"Load: before `{uptime_before}`; after `{uptime_after}`.", "",
             "Random actions, best of the repeats; whole games. Agent step = 4 emulator frames.", "",
             "Wall-clock agent steps per second (all games together):", "",
             "| engine | Breakout n=1 | Breakout n=4 | Pong n=1 | Pong n=4 |", "|---|---|---|---|---|"]
    for name in engines:
        lines.append(f"| {name} | " + " | ".join(f"{best[name, g, n]:,.0f}" for g in GAMES for n in (1, 4)) + " |")
    lines += ["", "CPU milliseconds per agent step of one game (the process's CPU time over all its threads, "
              "divided by agent steps; less sensitive to the machine's other load than the wall clock):", "",
              "| engine | Breakout n=1 | Breakout n=4 | Pong n=1 | Pong n=4 |", "|---|---|---|---|---|"]
    for name in engines:
        lines.append(f"| {name} | " + " | ".join(f"{cpu[name, g, n]:.3f}" for g in GAMES for n in (1, 4)) + " |")
    lines += ["", "| one-off cost | µs |", "|---|---|"]
    for name, value in extra.items():
        lines.append(f"| {name} | {value:,.0f} |" if not isinstance(value, tuple)
                     else f"| {name} | {value[0]} level, {value[1]:.1%} of pixels |")
    lines += ["", f"Catalogue, cold in a fresh process: {n_games} games listed with titles in {listing_ms:.0f} ms "
              f"(importing ale-py included); the action names of one game (loads its ROM) {actions_ms:.0f} ms.", ""]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
