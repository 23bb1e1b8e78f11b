"""GUI overhead and responsiveness of a live run.

Alternates the same trainer run headless (session file only) and in the real window (session file +
live curves + sample grid), each in a fresh process with the same settings, and reports steps/s of
each and their ratio. Fresh processes matter: once one thread of a process has run torch, a second
thread's torch ops run ~8 % slower (two OpenMP thread teams), which would bias an in-process
comparison against whichever variant runs second.
While the window trains, a 10 ms QTimer probes the event loop; its lateness is the lag a person
feels. Run by hand:

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_overhead.py --model gan --seconds 30 --rounds 3
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_overhead.py --model dqn --seconds 60 --play
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_overhead.py --model dqn \
        --preset "Laptop CPU (Breakout)" --set env=ALE/Breakout-v5 --seconds 90 [--play --looks]
"""
import argparse
import os
from dataclasses import replace
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRAINING_STUDIO_SESSIONS", tempfile.mkdtemp(prefix="studio-bench-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402


SETS: list[str] = []  # --set KEY=VALUE changes to the preset, the same for both variants


def preset_of(kind: str, preset: str | None):
    from studio import config as cfg
    from studio.trainers.registry import trainer_class
    cls = trainer_class(kind)
    config = cls.presets[preset or cls.default_preset]
    if SETS:
        config = cfg.from_dict(type(config), dict(item.split("=", 1) for item in SETS), base=config)
    return preset or cls.default_preset, config


def headless(kind: str, seconds: float, threads: int, preset: str | None = None) -> float:
    """Steps/s of the runner with only the session writer attached, stopped after `seconds`."""
    import threading

    from studio import config as cfg
    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run
    # threads 0: the app's default, torch's threads tuned to the machine's load (studio/threads.py)
    prepared = new_run(kind, preset_of(kind, preset)[1], cfg.from_dict(RunSettings, {"threads": threads}))
    control = Control()
    runner = make_runner(prepared, control, preview_seconds=None)
    timer = threading.Timer(seconds, control.stop)
    timer.start()
    runner.run()
    return (prepared.trainer.step) / runner.elapsed


def windowed(app, kind: str, seconds: float, threads: int, probe_on: bool = True, preset: str | None = None,
             play: bool = False, looks: bool = False):
    """Steps/s of the same run in the window, the event-loop lag samples (ms) meanwhile, and the
    share of one core the GUI thread used."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from widgets import metric_plots
    from widgets.main_window import MainWindow

    # Count the curve redraws that had new points to draw: the refresh rate a person sees.
    redraws = [0]
    plain_redraw = metric_plots.MetricPlots.redraw

    def counted(self):
        redraws[0] += bool(self._dirty)
        plain_redraw(self)
    metric_plots.MetricPlots.redraw = counted

    window = MainWindow()
    # The same thread policy as the headless run: a fixed count, or (0) the tuner the window uses by default.
    plain_settings = window.setup.settings
    window.setup.settings = lambda: replace(plain_settings(), threads=threads)
    window.setup.select_model(kind)
    window.setup.form.set_values(preset_of(kind, preset)[1])
    window.show()
    lags, clock = [], QElapsedTimer()
    probe = QTimer()
    probe.setInterval(10)
    last = [None]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last[0] is not None:
            lags.append(now - last[0] - 10.0)
        last[0] = now

    probe.timeout.connect(tick)
    window.start()
    replay = QTimer()
    if play:  # a person watching the recorded episodes over and over while the agent trains
        def again():
            player = window.player
            if player is None or player.episode is None:
                return
            if looks and not player.btn_looks.isChecked():  # "where it looks" computed as it plays
                player.btn_looks.setChecked(True)
            if not player.playing:
                player.toggle_play()
        replay.timeout.connect(again)
        replay.start(500)
    statuses = []
    window.run.sink.signals.status_ready.connect(statuses.append)
    loop = QEventLoop()
    if probe_on:
        window.run.sink.signals.started.connect(lambda _info: (clock.start(), probe.start()))
    # Run the real event loop (not a polling loop, which would itself cost CPU and GIL time).
    window.run.sink.signals.started.connect(lambda _info: QTimer.singleShot(int(seconds * 1000), loop.quit))
    gui_cpu = time.thread_time()
    loop.exec()
    gui_cpu = time.thread_time() - gui_cpu
    probe.stop()
    replay.stop()
    game = window.grids.get("game")
    sal = window.player._saliency if window.player is not None else None
    extra = {"game_fps": getattr(game, "frames_drawn", 0) / seconds,
             "saliency_maps": len(sal.grids) if sal is not None else 0, "curve_hz": redraws[0] / seconds}
    window.close()
    last = statuses[-1]  # the runner's own count of steps and of training time (pauses excluded)
    return last.step / last.elapsed_s, np.array(lags), gui_cpu / seconds, extra


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="gan")
    p.add_argument("--preset", help="a preset of the model (default: its default preset)")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads in both variants (0: the app's default, tuned to the machine's load)")
    p.add_argument("--one", choices=("headless", "window"), help=argparse.SUPPRESS)
    p.add_argument("--probe", choices=("on", "off"), default="on",
                   help="the 10 ms lag probe wakes the GUI thread 100 times a second, which itself costs "
                        "training some speed: measure the speed ratio with it off, the lag with it on")
    p.add_argument("--play", action="store_true",
                   help="DQN: keep playing the newest recorded episode in the player while it trains")
    p.add_argument("--looks", action="store_true",
                   help="with --play on an Atari game: 'where the network looks' on while it plays")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change a hyperparameter of the preset (both variants)")
    args = p.parse_args()
    SETS[:] = args.set
    if args.one:
        return one(args)
    import json
    import subprocess
    heads, guis, all_lags, loads = [], [], [], []
    for r in range(args.rounds):
        for variant in ("headless", "window"):
            cmd = [sys.executable, __file__, "--one", variant, "--model", args.model, "--seconds",
                   str(args.seconds), *(["--preset", args.preset] if args.preset else []),
                   "--threads", str(args.threads), "--probe", args.probe, *(["--play"] if args.play else []),
                   *(["--looks"] if args.looks else []), *[a for item in args.set for a in ("--set", item)]]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            if variant == "headless":
                heads.append(result["rate"])
            else:
                guis.append(result["rate"])
                all_lags.append(np.array(result["lags"]))
                loads.append(result["gui_load"])
                extras = f", curves redrawn {result['curve_hz']:.1f}/s"
                extras += f", live game {result['game_fps']:.1f} frames/s" if result.get("game_fps") else ""
                extras += f", saliency maps {result['saliency_maps']}" if result.get("saliency_maps") else ""
        lags = all_lags[-1]
        lag_text = (f"lag p50 {np.percentile(lags, 50):.1f} ms p99 {np.percentile(lags, 99):.1f} ms "
                    f"max {lags.max():.1f} ms, " if len(lags) else "")
        print(f"round {r + 1}: headless {heads[-1]:.2f} steps/s, window {guis[-1]:.2f} steps/s, "
              f"{lag_text}GUI thread CPU {loads[-1]:.0%}{extras}", flush=True)
    print(f"\n{args.model} ({preset_of(args.model, args.preset)[0]}{'; ' + ', '.join(args.set) if args.set else ''}), torch threads {args.threads or 'tuned (the default)'}, "
          f"{args.rounds}×{args.seconds:.0f} s each, "
          f"fresh process per run:")
    print(f"  headless {np.mean(heads):.2f} steps/s, window {np.mean(guis):.2f} steps/s, "
          f"ratio {np.mean(guis) / np.mean(heads):.3f}")
    lags = np.concatenate(all_lags)
    if len(lags):
        print(f"  event-loop lag over {len(lags)} probes: p50 {np.percentile(lags, 50):.1f} ms, "
              f"p99 {np.percentile(lags, 99):.1f} ms, max {lags.max():.1f} ms")


def one(args) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    import json
    threads = args.threads
    if threads:
        torch.set_num_threads(threads)
    if args.one == "headless":
        print(json.dumps({"rate": headless(args.model, args.seconds, threads, args.preset)}))
        return
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    rate, lags, load, extra = windowed(app, args.model, args.seconds, threads, args.probe == "on", args.preset, args.play,
                                args.looks)
    print(json.dumps({"rate": rate, "lags": [x for x in lags.tolist() if x == x], "gui_load": load, **extra}))

if __name__ == "__main__":
    main()
