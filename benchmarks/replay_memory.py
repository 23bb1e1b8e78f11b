"""Memory and speed of the frame-once replay memory (studio/rl/frame_replay.py) at Atari size: for each
size, a fresh process allocates it, fills it completely (cheap frame pattern, episodes of ~250 steps), and
reports the process's RSS before and after, the time per add() / current() / sample(32) / sample(256), and
the bytes a full-stack layout (SB3's: obs and next_obs, 2 × 4 × 84 × 84 per transition) would take. The
100k process also times one Nature-CNN update on a batch of 32 (Adam), the cost sampling must stay far below.

    .venv/bin/python benchmarks/replay_memory.py            # 100k and 1M transitions, 4 envs (~2 min)
    .venv/bin/python benchmarks/replay_memory.py --sizes 100000
"""
import argparse
import copy
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "replay_memory.md"


def child(capacity: int, n_envs: int, time_update: bool) -> None:
    import numpy as np
    import psutil
    import torch

    from studio.rl.frame_replay import FrameReplay

    proc = psutil.Process()
    FrameReplay.check_fits(capacity, n_envs)
    rss0 = proc.memory_info().rss
    store = FrameReplay(capacity, n_envs)
    rss_alloc = proc.memory_info().rss
    frames = np.zeros((n_envs, 84, 84), np.uint8)
    actions, rewards, no = np.zeros(n_envs, np.int64), np.zeros(n_envs, np.float32), np.zeros(n_envs, bool)
    store.begin(np.arange(n_envs), frames)
    steps = store.slots + 10  # every slot of every env written at least once
    offsets = np.arange(n_envs) * 61  # envs end their episodes at different steps
    t0 = time.perf_counter()
    for t in range(steps):
        frames[:] = t % 251  # touches every byte of the new frames, as real frames would
        ended = (t + offsets) % 250 == 249
        store.add(actions, rewards, no, frames, ended)
        if ended.any():
            store.begin(np.flatnonzero(ended), frames[ended])
    fill = time.perf_counter() - t0
    rss_full = proc.memory_info().rss
    gen = torch.Generator().manual_seed(0)
    timings = {"add_us": fill / steps * 1e6, "current_us": _median(lambda: store.current(), 200) * 1e6}
    for batch in (32, 256):
        timings[f"sample{batch}_ms"] = _median(lambda: store.sample(batch, gen, "cpu"), 200) * 1e3
    if time_update:
        timings["update32_ms"] = _nature_update_ms(store, gen)
    print(json.dumps({"capacity": capacity, "n_envs": n_envs, "frames_held": store.frames_held,
                      "transitions": len(store), "nbytes": store.nbytes,
                      "estimate": FrameReplay.estimate_nbytes(capacity, n_envs), "state_nbytes": store.state_nbytes(),
                      "rss_before": rss0, "rss_alloc": rss_alloc, "rss_full": rss_full, "fill_s": fill,
                      "torch_threads": torch.get_num_threads(), **timings}))


def _median(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def _nature_update_ms(store, gen) -> float:
    """One DQN update of the Nature CNN (Mnih et al. 2015) on a sampled batch of 32, median of 30."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    net = nn.Sequential(nn.Conv2d(4, 32, 8, 4), nn.ReLU(), nn.Conv2d(32, 64, 4, 2), nn.ReLU(),
                        nn.Conv2d(64, 64, 3, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(),
                        nn.Linear(512, 6))
    target = copy.deepcopy(net)
    opt = torch.optim.Adam(net.parameters(), 1e-4)

    def update():
        b = store.sample(32, gen, "cpu")
        q = net(b["obs"].float() / 255).gather(1, b["actions"][:, None])[:, 0]
        with torch.no_grad():
            y = b["rewards"] + 0.99 * (1 - b["terminated"]) * target(b["next_obs"].float() / 255).max(1).values
        loss = F.smooth_l1_loss(q, y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        update()
    return _median(update, 30) * 1e3


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.envs, args.child == min(args.sizes))
        return
    load_before, rows = _uptime(), []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size), "--envs", str(args.envs),
                              "--sizes", *map(str, args.sizes)], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    load_after = _uptime()
    _write(rows, args, load_before, load_after)


def _write(rows, args, load_before, load_after) -> None:
    gb = 1e9
    lines = ["# Replay memory for DQN from pixels (frame-once store)", "",
             f"Command: `.venv/bin/python benchmarks/replay_memory.py --sizes {' '.join(map(str, args.sizes))} "
             f"--envs {args.envs}` (each size in a fresh process; the memory filled completely, episodes ~250 steps)",
             "", f"Load before: `{load_before}`  ", f"Load after: `{load_after}`", "",
             "| transitions | frames held | sampleable | allocated (nbytes) | RSS growth after fill | full stacks "
             "(2×4×84×84×N) | fill | add() | current() | sample(32) | sample(256) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        naive = 2 * 4 * 84 * 84 * r["capacity"]
        lines.append(f"| {r['capacity']:,} | {r['frames_held']:,} | {r['transitions']:,} | {r['nbytes'] / gb:.3f} GB "
                     f"| {(r['rss_full'] - r['rss_before']) / gb:.3f} GB | {naive / gb:.2f} GB "
                     f"({naive / r['nbytes']:.1f}×) | {r['fill_s']:.1f} s | {r['add_us']:.0f} µs "
                     f"| {r['current_us']:.0f} µs | {r['sample32_ms']:.2f} ms | {r['sample256_ms']:.2f} ms |")
    lines += ["", "RSS right after allocating (before filling), growth over the process's baseline: " + ", ".join(
        f"{r['capacity']:,}: {(r['rss_alloc'] - r['rss_before']) / 1e6:.0f} MB" for r in rows)
        + " — numpy's zeros are paged in only as they fill, which is why `check_fits` must run before a run starts.",
        "", "Frames held: n_envs × (ceil(N / n_envs) + 4). Sampleable: N less one transition per episode start "
        "in the memory (each episode's first frame takes a slot) — with the ~250-step episodes here, 0.4 %.",
        "", "Times are medians of 200 calls (add(): the mean over the fill) with torch on "
        f"{rows[0]['torch_threads']} thread(s)."]
    upd = [r for r in rows if "update32_ms" in r]
    if upd:
        r = upd[0]
        lines.append(f"One Nature-CNN DQN update on a batch of 32 (sampling included, Adam), same process and load: "
                     f"{r['update32_ms']:.1f} ms; sample(32) is {r['sample32_ms'] / r['update32_ms'] * 100:.1f} % "
                     f"of it.")
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
