"""What a recorded Atari evaluation game costs in the session file: one whole Pong game (untrained agent,
evaluation ε 0.05, as the presets set it) recorded by the DQN trainer and written by the session writer;
reports the recorded frames (one per agent step, 210×160×3 colour), the bytes the episode group grew by in
the HDF5 file, MB per 1,000 frames, and what a game at the 108,000-emulator-frame cap (27,000 agent steps)
would take at that rate. --session F.h5 plays the game with that session's trained agent instead (its game
and its newest checkpoint), written to a fresh file the same way.

    .venv/bin/python benchmarks/atari_episode_size.py [--env ALE/Pong-v5] [--seed 0] [--session F.h5]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "atari_episode_size.md"
CAP_STEPS = 108_000 // 4


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--env", default="ALE/Pong-v5")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--session", help="play with this DQN session's trained agent (and its game)")
    args = p.parse_args()

    import h5py
    import torch
    from dataclasses import replace

    from studio.run_settings import RunSettings
    from studio.runs import load_trainer, new_run
    from studio.trainers.dqn_config import PRESETS

    torch.set_num_threads(1)
    player = load_trainer(args.session, "cpu")[0] if args.session else None
    if player is not None:
        args.env = player.config.env
    config = replace(PRESETS["Laptop CPU (Breakout)"], env=args.env, buffer_size=1000)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "episode.h5"
        prepared = new_run("dqn", config, RunSettings(seed=args.seed, device="cpu"), path)
        prepared.writer.flush()
        before = path.stat().st_size
        t0 = time.perf_counter()
        player = player or prepared.trainer
        scores = player.evaluate(1, seed=args.seed, record=True)
        [episode] = player.take_episodes()
        played = time.perf_counter() - t0
        prepared.writer.episode(episode)
        prepared.writer.finish("finished")
        after = path.stat().st_size
        with h5py.File(path, "r") as f:
            stored = sum(f["episodes"][name].id.get_storage_size() for name in ("frames", "actions", "q_values",
                                                                                 "rewards"))
            frames_only = f["episodes"]["frames"].id.get_storage_size()
    n = len(episode)
    mb_per_k = stored / 1e6 / n * 1000
    lines = [
        f"# Recorded Atari evaluation game: size in the session file ({args.env})", "",
        f"Command: `.venv/bin/python benchmarks/atari_episode_size.py --env {args.env} --seed {args.seed}"
        + (f" --session {args.session}`" if args.session else "`"),
        f"Load at the start: `{load}`", "",
        f"- one whole game, {'the trained agent of step %s' % f'{player.step:,}' if args.session else 'untrained agent'}, "
        f"evaluation ε {config.eval_epsilon}: score {scores[0]:g}, "
        f"{n:,} recorded frames (agent steps + the final state), played and recorded in {played:.1f} s",
        f"- episode datasets in the file: {stored / 1e6:.2f} MB ({frames_only / 1e6:.2f} MB of it frames); "
        f"the file grew by {(after - before) / 1e6:.2f} MB",
        f"- **{mb_per_k:.2f} MB per 1,000 frames**; a game at the frame cap ({CAP_STEPS:,} agent steps) would take "
        f"{mb_per_k * CAP_STEPS / 1000:.0f} MB; a 20 MB budget holds {20 / mb_per_k * 1000:,.0f} frames",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    with RESULTS.open("a") as f:  # each measurement appended under the ones before
        f.write("\n" + text)


if __name__ == "__main__":
    main()
