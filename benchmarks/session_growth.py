"""How fast a session file grows: trains a model headless (the CLI, default settings) for a fixed time
and records the file's size and the step reached once a minute. The finished file is also the input of
`scrub_redraw.py` (a long session to scrub through).

    python benchmarks/session_growth.py --minutes 60 --out /tmp/bench/gan-1h.h5
"""
import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from studio.session.reader import SessionReader  # noqa: E402


def step_of(path: Path) -> int:
    try:
        with SessionReader(path) as r:
            return r.last_step()
    except Exception:  # noqa: BLE001 - the file may be mid-creation
        return -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="gan")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--results", type=Path, default=REPO / "benchmarks/results/session_growth.md")
    args = ap.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "main.py", "train", args.model, "--steps", "100000000",
                             "--out", str(args.out)], cwd=REPO, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    rows = []
    try:
        while True:
            time.sleep(60)
            elapsed = time.monotonic() - t0
            size = args.out.stat().st_size if args.out.exists() else 0
            rows.append((elapsed / 60, step_of(args.out), size / 1e6))
            print(f"{rows[-1][0]:6.1f} min  step {rows[-1][1]:>8}  {rows[-1][2]:8.2f} MB", flush=True)
            if elapsed >= args.minutes * 60:
                break
    finally:
        proc.send_signal(signal.SIGINT)  # a clean stop: final checkpoint and close
        proc.wait(timeout=120)
    size = args.out.stat().st_size / 1e6
    steps = step_of(args.out)
    with SessionReader(args.out) as r:
        n_snap = {k: len(r.snapshot_steps(k)) for k in r.panel_keys()}
        ckpt = r.latest_checkpoint()
    lines = [f"# Session file growth ({args.model}, default settings)", "",
             f"Command: `python benchmarks/session_growth.py --model {args.model} --minutes {args.minutes:g} "
             f"--out {args.out}`", "",
             f"- trained {rows[-1][0]:.1f} min, {steps:,} steps; final file {size:.2f} MB "
             f"({size / max(rows[-1][0], 1e-9) * 60:.1f} MB per hour, {size * 1e6 / max(steps, 1):.0f} bytes per step)",
             f"- snapshots per panel: {n_snap}",
             f"- latest checkpoint: step {ckpt[0] if ckpt else None}, {len(ckpt[1]) / 1e6 if ckpt else 0:.2f} MB "
             "(two slots are kept)", "", "| minutes | step | MB |", "|---:|---:|---:|"]
    lines += [f"| {m:.1f} | {s:,} | {mb:.2f} |" for m, s, mb in rows]
    args.results.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
