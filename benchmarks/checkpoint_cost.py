"""What a checkpoint costs, per model at its default preset (and the Atari agent at "Laptop CPU (Breakout)"):
the time the training thread spends per checkpoint (packing the state into bytes and handing it over), the
time the checkpoint thread takes to write it, the bytes per checkpoint, how long the training thread's own
writes (metric flushes, snapshots) waited behind a checkpoint write, and the steps/s of the same headless
run with checkpoints every 5 s (the default now) and every 60 s (the default before), each round a fresh
process, alternating. Then what an Atari replay memory of 100,000 transitions costs in the checkpoint taken
at stop (save replay memory on).

    python benchmarks/checkpoint_cost.py --seconds 60 --rounds 2

Short check that it works: --seconds 8 --rounds 1 --models gan --no-replay (results not written).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODELS = {"gan": "GAN (default preset)", "vae": "VAE (default preset)", "dqn": "DQN CartPole-v1 (tuned)",
          "atari": "DQN Atari, Laptop CPU (Breakout)"}


def _config(model: str):
    from studio.trainers.registry import trainer_class
    if model == "atari":
        from studio.trainers.dqn_config import LAPTOP_CPU
        return "dqn", LAPTOP_CPU
    cls = trainer_class(model)
    return model, cls.presets[cls.default_preset]


class TimedLock:
    """The session writer's lock on its file, timing how long each thread waited for it."""

    def __init__(self):
        self._lock = threading.Lock()
        self.waits: dict[str, list[float]] = {}

    def __enter__(self):
        start = time.perf_counter()
        self._lock.acquire()
        self.waits.setdefault(threading.current_thread().name, []).append(time.perf_counter() - start)
        return self

    def __exit__(self, *exc):
        self._lock.release()


def _timed(obj, name: str, into: list, extra=None) -> None:
    method = getattr(obj, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            into.append((time.perf_counter() - start, *(extra(*args, **kwargs) if extra else ())))
    setattr(obj, name, timed)


def child(model: str, seconds: float, cadence: float) -> None:
    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run

    kind, config = _config(model)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = new_run(kind, config, RunSettings(checkpoint_seconds=cadence), Path(tmp) / "s.h5")
        writer = prepared.writer
        writer._io = lock = TimedLock()
        sizes, writes, handed = [], [], []
        _timed(writer, "checkpoint", sizes, lambda step, blob: (len(blob),))
        _timed(writer._thread, "_write", writes, lambda step, blob: (len(blob),))
        control = Control()
        runner = make_runner(prepared, control, preview_seconds=None)
        _timed(runner, "_checkpoint", handed, lambda final=False: (final,))
        load = os.getloadavg()[0]
        threading.Timer(seconds, control.stop).start()
        start = time.perf_counter()
        runner.run()  # its closing checkpoint and close included
        elapsed = time.perf_counter() - start
        timed = [t for t, final in handed if not final]
        final = [t for t, f in handed if f]
        train_waits = lock.waits.get("MainThread", [0.0])
        print(json.dumps({
            "steps": prepared.trainer.step, "elapsed": elapsed, "steps_per_s": prepared.trainer.step / elapsed,
            "checkpoints": len(timed), "train_ms": [1e3 * t for t in timed], "final_ms": [1e3 * t for t in final],
            "write_ms": [1e3 * t for t, _ in writes], "bytes": [n for _, n in writes],
            "train_share": sum(t for t, *_ in handed) / elapsed,
            "wait_max_ms": 1e3 * max(train_waits), "wait_total_ms": 1e3 * sum(train_waits),
            "load_before": load, "load_after": os.getloadavg()[0]}))


def replay_at_stop() -> dict:
    """The Atari laptop preset with save replay memory on and its memory full (100,000 transitions): the
    checkpoint the run ends with, packed on the training thread, written by the checkpoint thread."""
    import numpy as np

    from studio.run_settings import RunSettings
    from studio.runs import new_run
    from studio.session.checkpoint import pack
    from studio.trainers.dqn_config import LAPTOP_CPU

    config = replace(LAPTOP_CPU, keep_replay=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = new_run("dqn", config, RunSettings(), Path(tmp) / "s.h5")
        trainer, writer = prepared.trainer, prepared.writer
        memory = trainer.game.replay
        frame = np.random.default_rng(0).integers(0, 255, memory.frame_shape, np.uint8)
        memory.frames[:] = frame            # every page touched, as in a memory that has been filled
        memory.written[:] = memory.slots
        t0 = time.perf_counter()
        light = pack(trainer.checkpoint_state(final=False))
        t1 = time.perf_counter()
        whole = pack(trainer.checkpoint_state(final=True))
        t2 = time.perf_counter()
        writer.checkpoint(0, whole)
        t3 = time.perf_counter()
        writer.wait_for_checkpoints()
        t4 = time.perf_counter()
        writer.close()
        return {"timed_bytes": len(light), "timed_pack_ms": 1e3 * (t1 - t0), "whole_bytes": len(whole),
                "whole_pack_ms": 1e3 * (t2 - t1), "handover_ms": 1e3 * (t3 - t2), "write_ms": 1e3 * (t4 - t3),
                "timed_is_whole": trainer.timed_state_is_whole()}


def _run(args_list: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args_list], capture_output=True, text=True, cwd=REPO)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mean(values) -> float:
    return sum(values) / len(values) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-replay", action="store_true", help="skip the Atari replay-memory part")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--cadence", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--results", type=Path, default=REPO / "benchmarks/results/checkpoint_cost.md")
    args = ap.parse_args()
    if args.child == "replay":
        print(json.dumps(replay_at_stop()))
        return
    if args.child:
        child(args.child, args.seconds, args.cadence)
        return
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    command = " ".join(["python benchmarks/checkpoint_cost.py", *sys.argv[1:]])
    lines = ["# Checkpoint cost: every 5 s on a thread of its own, against every 60 s", "",
             f"Command: `{command}` (each run a fresh process, cadences alternating)  ",
             f"Machine: {os.cpu_count()} cores; `uptime` before: `{uptime}`", "",
             "| model | cadence | steps/s (each round) | checkpoints | training thread per checkpoint, mean / max "
             "| write on the checkpoint thread, mean / max | MB per checkpoint | training thread's writes waiting "
             "behind one, max / total | share of the run spent checkpointing |",
             "|---|---|---|---|---|---|---|---|---|"]
    summary = {}
    for model in args.models.split(","):
        rows = {5.0: [], 60.0: []}
        for r in range(args.rounds):
            for cadence in ((5.0, 60.0) if r % 2 == 0 else (60.0, 5.0)):
                row = _run(["--child", model, "--seconds", str(args.seconds), "--cadence", str(cadence)])
                rows[cadence].append(row)
                print(model, cadence, {k: v for k, v in row.items() if not isinstance(v, list)}, flush=True)
        for cadence, runs in rows.items():
            train = [t for run in runs for t in run["train_ms"]]
            write = [t for run in runs for t in run["write_ms"]]
            sizes = [n for run in runs for n in run["bytes"]]
            rate = _mean([run["steps_per_s"] for run in runs])
            summary[(model, cadence)] = rate
            each = ", ".join(f"{run['steps_per_s']:.2f}" for run in runs)
            lines.append(
                f"| {MODELS[model]} | {cadence:g} s | {rate:.2f} ({each}) "
                f"| {sum(run['checkpoints'] for run in runs)} timed + {len(runs)} at stop "
                f"| {_mean(train):.1f} / {max(train, default=float('nan')):.1f} ms "
                f"| {_mean(write):.1f} / {max(write, default=float('nan')):.1f} ms "
                f"| {_mean(sizes) / 1e6:.2f} "
                f"| {max(run['wait_max_ms'] for run in runs):.1f} / "
                f"{_mean([run['wait_total_ms'] for run in runs]):.0f} ms "
                f"| {_mean([run['train_share'] for run in runs]) * 100:.2f} % |")
    lines.append("")
    for model in args.models.split(","):
        fast, slow = summary[(model, 5.0)], summary[(model, 60.0)]
        lines.append(f"- {MODELS[model]}: {fast:.2f} steps/s at 5 s against {slow:.2f} at 60 s "
                     f"({(fast / slow - 1) * 100:+.1f} %)")
    if not args.no_replay:
        rep = _run(["--child", "replay"])
        print("replay", rep, flush=True)
        lines += ["", "Atari, Laptop CPU (Breakout) with save replay memory on, the memory full (100,000 transitions):",
                  f"- timed checkpoint (every 5 s, without the memory): {rep['timed_bytes'] / 1e6:.1f} MB, packed in "
                  f"{rep['timed_pack_ms']:.0f} ms",
                  f"- the checkpoint at stop (with it): {rep['whole_bytes'] / 1e9:.3f} GB, packed in "
                  f"{rep['whole_pack_ms']:.0f} ms on the training thread, handed over in {rep['handover_ms']:.0f} ms, "
                  f"written in {rep['write_ms']:.0f} ms by the checkpoint thread"]
    lines.append(f"\n`uptime` after: `{subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}`")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.seconds >= 30 and args.rounds >= 1 and not args.no_replay:
        args.results.write_text(text)


if __name__ == "__main__":
    main()
