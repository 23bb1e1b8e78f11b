"""Training in the window on a CPU shared with other programs: quiet, beside 1 and beside 2 busy programs.

Each busy program is one single-threaded CPU-bound process (a Python busy loop, as a browser tab or a
compiler would be). For every model and load, a fresh process opens the real window (offscreen),
trains the model's default preset for `--seconds`, and reports:
- steps/s (the runner's own count over its training time),
- the event-loop lag (a 10 ms QTimer's lateness) p50/p99/max,
- how live the views looked: the longest gap between two redraws of the sample/game panels, of the
  curves and of the status bar's step counter (after the first 5 s),
- the torch thread counts the run used.
`--modes tuned,fixed` compares the thread tuner (studio/threads.py) with torch's default thread count
held fixed (what the app did before), in the same run. Run by hand:

    .venv/bin/python benchmarks/shared_cpu.py --models gan,vae,dqn --loads 0,1,2 --seconds 60
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("TRAINING_STUDIO_SESSIONS", tempfile.mkdtemp(prefix="studio-bench-"))

BUSY = "while True: pass"
WARMUP_S = 5.0


def one(model: str, seconds: float, mode: str) -> dict:
    """One measurement in this fresh process: the window trains `model` for `seconds`."""
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    if mode == "fixed":  # torch's default thread count throughout, as before the tuner
        import studio.runs
        studio.runs.thread_tuner_for = lambda prepared: None
    from studio.trainers.registry import trainer_class
    from widgets.main_window import MainWindow

    app = QApplication([])
    window = MainWindow()
    window.setup.select_model(model)
    cls = trainer_class(model)
    window.setup.form.set_values(cls.presets[cls.default_preset])
    window.resize(1280, 800)
    window.show()
    clock = QElapsedTimer()
    clock.start()
    lags, last = [], [None]
    draws = {"panels": [], "curves": [], "status": []}
    statuses = []

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last[0] is not None:
            lags.append(now - last[0] - 10.0)
        last[0] = now

    def timed(fn, key):
        def wrapper(*a, **k):
            draws[key].append(clock.nsecsElapsed() / 1e9)
            return fn(*a, **k)
        return wrapper

    def started(_info):
        for grid in window.grids.values():
            grid.show_content = timed(grid.show_content, "panels")
        window.plots.refresher.refresh = timed(window.plots.refresher.refresh, "curves")
        window.status_refresh.refresh = timed(window.status_refresh.refresh, "status")
        probe.start()
        QTimer.singleShot(int(seconds * 1000), loop.quit)

    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    loop = QEventLoop()
    window.start()
    window.run.sink.signals.started.connect(started)
    window.run.sink.signals.status_ready.connect(statuses.append)
    t0 = clock.nsecsElapsed() / 1e9
    loop.exec()
    probe.stop()
    window.close()  # the window stays until the run has saved and its thread has ended
    while window.run is not None and window.run.is_running():
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()
    s = statuses[-1]
    threads = sorted({x.threads for x in statuses if x.threads is not None})

    def longest_gap(times):
        times = [t for t in times if t - t0 >= WARMUP_S]
        return float(np.diff(times).max()) if len(times) > 1 else None

    lags = np.array(lags)
    return {"rate": s.step / s.elapsed_s, "lag_p50": float(np.percentile(lags, 50)),
            "lag_p99": float(np.percentile(lags, 99)), "lag_max": float(lags.max()),
            "gaps": {k: longest_gap(v) for k, v in draws.items()}, "threads": threads}


def measure(model: str, seconds: float, mode: str, load: int) -> dict:
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(load)]
    try:
        cmd = [sys.executable, __file__, "--one", model, "--seconds", str(seconds), "--modes", mode]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 4 + 120)
        if out.returncode != 0:
            raise SystemExit(f"{model} {mode} load {load} failed:\n{out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for p in busy:
            p.kill()
            p.wait()


def fmt_gap(x):
    return "–" if x is None else f"{x:.2f} s"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="gan,vae,dqn")
    p.add_argument("--loads", default="0,1,2", help="how many busy programs run beside, per measurement")
    p.add_argument("--modes", default="tuned,fixed")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.seconds, args.modes)))
        return
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, load before: {os.getloadavg()[0]:.2f}, {args.seconds:.0f} s each")
    print("| model | busy programs | threads | steps/s | of quiet | lag p50 | lag p99 | lag max "
          "| longest gap: panels | curves | step counter |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in args.models.split(","):
        quiet = {}
        for mode in args.modes.split(","):
            for load in (int(x) for x in args.loads.split(",")):
                r = measure(model, args.seconds, mode, load)
                if load == 0:
                    quiet[mode] = r["rate"]
                share = f"{r['rate'] / quiet[mode]:.2f}" if mode in quiet else "–"
                g = r["gaps"]
                label = "tuned " + "/".join(map(str, r["threads"])) if mode == "tuned" else "fixed (torch default)"
                print(f"| {model} | {load} | {label} | {r['rate']:.1f} | {share} | {r['lag_p50']:.1f} ms "
                      f"| {r['lag_p99']:.1f} ms | {r['lag_max']:.0f} ms | {fmt_gap(g['panels'])} "
                      f"| {fmt_gap(g['curves'])} | {fmt_gap(g['status'])} |", flush=True)


if __name__ == "__main__":
    main()
