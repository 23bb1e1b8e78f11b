"""What "where the network looks" costs: rebuilding a recorded Atari game's inputs (playing it again from
its seed) and one perturbation-saliency map (17 × 17 blurred copies of the input through the Nature CNN),
on this CPU at 1 and 2 torch threads, with the network and the newest recorded game of a DQN session.

    .venv/bin/python benchmarks/saliency_speed.py SESSION.h5 [--maps 40]     # results/saliency_speed.md
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "saliency_speed.md"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("session")
    p.add_argument("--maps", type=int, default=40)
    args = p.parse_args()
    from studio.rl.episode_saliency import EpisodeSaliency, network_from_session
    from studio.session.reader import SessionReader

    with SessionReader(args.session) as r:
        spec = r.episode_spec()
        episode = r.episode(len(r.episode_index()) - 1)
    step, net = network_from_session(args.session)
    load = os.getloadavg()
    lines = [f"# Saliency cost ({spec.env}, the game recorded at step {episode.step:,}, {len(episode)} frames)", "",
             f"Command: `.venv/bin/python benchmarks/saliency_speed.py {args.session} --maps {args.maps}`; "
             f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", ""]
    for threads in (1, 2):
        torch.set_num_threads(threads)
        sal = EpisodeSaliency(spec.env, episode, net, step)
        start = time.perf_counter()
        sal.prepare()
        rebuild = time.perf_counter() - start
        frames = np.linspace(0, len(episode) - 1, args.maps).astype(int)
        sal.map(int(frames[0]))  # warm-up
        times = []
        for t in frames[1:]:
            start = time.perf_counter()
            sal.map(int(t))
            times.append(time.perf_counter() - start)
        ms = np.array(times) * 1000
        lines.append(f"- {threads} torch thread{'s' if threads > 1 else ''}: the game played again in "
                     f"{rebuild:.2f} s; one map {np.median(ms):.0f} ms median ({ms.min():.0f}–{ms.max():.0f}, "
                     f"{len(ms)} maps): {1000 / np.median(ms):.1f} maps/s")
    text = "\n".join(lines) + "\n"
    print(text)
    with RESULTS.open("a") as f:
        f.write("\n" + text)


if __name__ == "__main__":
    main()
