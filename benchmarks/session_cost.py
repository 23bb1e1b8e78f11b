"""What writing the session costs, measured two ways: the time spent inside the session writer's calls
as a share of the run, and the steps/s of the same headless training (default settings and cadence: metric
points flushed every second, a snapshot every 100 steps, a checkpoint every 60 s) with and without its
session file, each round a fresh process, alternating, for a fixed wall-clock time.

    python benchmarks/session_cost.py --model gan --seconds 150 --rounds 3
"""
import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def child(model: str, seconds: float, save: bool) -> None:
    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run
    from studio.trainers.registry import trainer_class

    cls = trainer_class(model)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = new_run(model, cls.presets[cls.default_preset], RunSettings(), Path(tmp) / "s.h5", save=save)
        spent = [0.0]
        if save:  # time every call into the writer: its share of the run is its direct cost
            _time_calls(prepared.writer, spent)
        control = Control()
        runner = make_runner(prepared, control, preview_seconds=None)
        threading.Timer(seconds, control.stop).start()
        t0 = time.perf_counter()
        runner.run()  # with the file: its closing checkpoint and close are part of the cost
        elapsed = time.perf_counter() - t0
        size = (Path(tmp) / "s.h5").stat().st_size if save else 0
        print(json.dumps({"steps_per_s": prepared.trainer.step / elapsed, "bytes": size,
                          "steps": prepared.trainer.step, "writer_share": spent[0] / elapsed}))


def _time_calls(writer, spent) -> None:
    for name in ("metrics", "snapshot", "episode", "event", "checkpoint", "flush", "finish"):
        method = getattr(writer, name)

        def timed(*args, _method=method):
            t = time.perf_counter()
            try:
                return _method(*args)
            finally:
                spent[0] += time.perf_counter() - t
        setattr(writer, name, timed)


def _mean(rows, key) -> float:
    return sum(r[key] for r in rows) / len(rows)


def _each(rows, key, fmt) -> str:
    return ", ".join(fmt.format(r[key]) for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="gan")
    ap.add_argument("--seconds", type=float, default=150.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", choices=("save", "nosave"))
    ap.add_argument("--results", type=Path, default=REPO / "benchmarks/results/session_cost.md")
    args = ap.parse_args()
    if args.child:
        child(args.model, args.seconds, args.child == "save")
        return
    results = {"save": [], "nosave": []}
    for r in range(args.rounds):
        for mode in (("save", "nosave") if r % 2 == 0 else ("nosave", "save")):
            out = subprocess.run([sys.executable, __file__, "--model", args.model, "--seconds", str(args.seconds),
                                  "--child", mode], capture_output=True, text=True, check=True, cwd=REPO)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            results[mode].append(row)
            print(mode, row, flush=True)
    with_file = sum(x["steps_per_s"] for x in results["save"]) / args.rounds
    without = sum(x["steps_per_s"] for x in results["nosave"]) / args.rounds
    lines = [f"# Cost of writing the session ({args.model}, default settings)", "",
             f"Command: `python benchmarks/session_cost.py --model {args.model} --seconds {args.seconds:g} "
             f"--rounds {args.rounds}` (each round a fresh process, alternating order)", "",
             f"- without a session file: {without:.2f} steps/s "
             f"({_each(results['nosave'], 'steps_per_s', '{:.2f}')})",
             f"- with the session file: {with_file:.2f} steps/s "
             f"({_each(results['save'], 'steps_per_s', '{:.2f}')})",
             f"- cost: {(1 - with_file / without) * 100:.1f} % of throughput by the steps/s of separate processes "
             "(their spread between rounds is larger than the cost)",
             f"- time spent inside the session writer's calls: **{_mean(results['save'], 'writer_share') * 100:.2f} %** "
             f"of the run ({_each(results['save'], 'writer_share', '{:.4f}')}) — its direct cost",
             f"- file after {args.seconds:g} s: {_each(results['save'], 'bytes', '{:.0f} bytes')}"]
    args.results.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
