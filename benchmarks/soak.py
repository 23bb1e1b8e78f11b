"""Soak (issue 15): long runs in the real window, for leaks and for a GUI that slows down with time.

One hour of GAN training in the window (offscreen), then one hour of DQN with the live game view and
recorded episodes arriving, each phase in a fresh process so that the first hour's memory does not mix
with the second's. Every `--sample-seconds` the phase records its resident memory (RSS), the steps
trained, the episodes recorded and the event-loop lag of that interval (a 20 ms QTimer's lateness, as
in gui_overhead.py). At the end it stops the run as the Stop button does, closes the window and opens
the session file with SessionReader. The criteria, judged from the measured numbers:

- memory: the highest RSS after minute 5 at most 100 MB above the RSS at minute 5;
- lag: the p99 of minutes 5–15 against the p99 of the last 10 minutes; "no drift" is taken to be the
  late p99 at most max(1.5 × early, early + 10 ms) (a 20 ms timer's p99 moves by a few ms between
  minutes on a 2-core machine even when nothing changes);
- the session file opens afterwards and holds the steps trained.

The DQN runs its default preset, "CartPole-v1 (tuned)": it has the live game view and records an
evaluation episode every 5,000 steps. Not Atari: its replay memory (~0.7 GB at 100,000 transitions)
fills during the first half hour by design, which is growth, not a leak, and would hide one.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/soak.py      # 2 h; writes results/soak.md
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/soak.py --gan-minutes 2 --dqn-minutes 2 \
        --sample-seconds 20 --results /tmp/soak_trial.md              # a trial of the benchmark itself

A phase shorter than 25 minutes scales the 5- and 10-minute windows down and says so: its verdicts
check the benchmark, not the app. A run with a phase under 10 minutes prints its results and writes
them only where --results says (never over results/soak.md by default).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

PROBE_MS = 20        # the lag probe's interval: 50 wake-ups a second cost the training little over an hour
RSS_LIMIT_MB = 100
WARMUP_MIN, WINDOW_MIN = 5.0, 10.0  # the "after the first 5 minutes" and the drift windows


def windows_for(minutes: float) -> tuple[float, float]:
    """(warm-up, drift window) in minutes: the issue's 5 and 10, scaled down for a phase under 25 minutes."""
    warmup = min(WARMUP_MIN, minutes / 4)
    return warmup, min(WINDOW_MIN, (minutes - warmup) / 2)


# --- one phase, in a fresh process -------------------------------------------------------------------
def phase(args) -> None:
    """Train `args.one` in the window for args.minutes; print a JSON line per sample and a final one."""
    import psutil
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.session.reader import SessionReader
    from studio.trainers.registry import trainer_class
    from widgets.main_window import MainWindow

    def emit(**row):
        print(json.dumps(row), flush=True)

    def rss_mb() -> float:
        return me.memory_info().rss / 2**20

    app = QApplication([])  # noqa: F841 - the application must exist as long as the window
    me = psutil.Process()
    cls = trainer_class(args.one)
    preset = args.preset or cls.default_preset
    window = MainWindow()
    window.setup.select_model(args.one)
    window.setup.preset.setCurrentText(preset)   # as a person picks a preset
    window.setup.form.set_values(cls.presets[preset])
    window.show()
    app.processEvents()

    # Every lag of the phase in one array, allocated and written (pages committed) before the baseline, so
    # keeping them does not show up as growth; each sample covers lags[since:count].
    lags = np.full(int(args.minutes * 60_000 / PROBE_MS * 1.2) + 1000, np.nan)
    count, since, last = 0, 0, None
    clock = QElapsedTimer()

    def tick():
        nonlocal count, last
        now = clock.nsecsElapsed() / 1e6
        if last is not None and count < len(lags):
            lags[count] = now - last - PROBE_MS
            count += 1
        last = now

    seen = {"step": 0, "episodes": 0}
    # The viewer state's events arrive on the GUI thread (a plain callable on the run's own signals may not).
    window.viewer.events.status.connect(lambda status: seen.__setitem__("step", status.step))
    window.viewer.events.episode_added.connect(lambda _e: seen.__setitem__("episodes", seen["episodes"] + 1))
    samples, bounds = [], []   # bounds: (minutes at the sample's end, lags index at its end)
    n_samples = max(1, round(args.minutes * 60 / args.sample_seconds))
    loop = QEventLoop()

    def sample():
        nonlocal since
        part = lags[since:count]
        since = count
        minutes = clock.elapsed() / 60_000
        row = {"minutes": minutes, "rss_mb": rss_mb(), "step": seen["step"], "episodes": seen["episodes"],
               "lag_p50": float(np.percentile(part, 50)) if len(part) else None,
               "lag_p99": float(np.percentile(part, 99)) if len(part) else None,
               "lag_max": float(part.max()) if len(part) else None}
        samples.append(row)
        bounds.append((minutes, count))
        emit(sample=row)
        if len(samples) >= n_samples:
            loop.quit()

    probe, sampler = QTimer(), QTimer()
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(tick)
    sampler.setInterval(int(args.sample_seconds * 1000))
    sampler.setTimerType(Qt.PreciseTimer)  # samples on the minute, not within a coarse timer's 5 %
    sampler.timeout.connect(sample)

    def on_source(source):
        if source is not None and not clock.isValid():  # the run has started: minute 0
            clock.start()
            probe.start()
            sampler.start()
    window.viewer.events.source.connect(on_source)
    # A run that fails or ends on its own ends the phase early (the final line says how it ended).
    window.viewer.events.run_state.connect(lambda state: loop.quit() if state == "idle" else None)
    rss_before = rss_mb()
    window.start()
    loop.exec()
    probe.stop()
    sampler.stop()

    # Stop as the Stop button does, and wait for the thread's end (state idle) with a limit.
    stop_s = time.monotonic()
    if window.viewer.active:
        window.stop()
        wait = QEventLoop()
        window.viewer.events.run_state.connect(lambda state: wait.quit() if state == "idle" else None)
        QTimer.singleShot(300_000, wait.quit)
        if window.state != "idle":
            wait.exec()
    stop_s = time.monotonic() - stop_s
    final = {"rss_before_mb": rss_before, "rss_end_mb": rss_mb(), "stopped": window.state == "idle",
             "stop_s": stop_s, "outcome": window.viewer.outcome, "message": window.viewer.message[0],
             "preset": preset, "last_status_step": seen["step"], "episodes": seen["episodes"]}
    path = window.session_path
    window.close()
    app.processEvents()

    # Drift: all lags of the samples ending in (warm-up, warm-up + window] against those ending in the last
    # window (half a sample's slack: a sample ends a few ms after its minute).
    half = args.sample_seconds / 120

    def pooled(lo, hi):
        idx = [(a[1], b[1]) for a, b in zip([(0.0, 0)] + bounds, bounds) if lo + half < b[0] <= hi + half]
        part = np.concatenate([lags[i:j] for i, j in idx]) if idx else np.zeros(0)
        return float(np.percentile(part, 99)) if len(part) else None
    end = bounds[-1][0] if bounds else 0.0
    final["lag_p99_early"] = pooled(args.warmup, args.warmup + args.window)
    final["lag_p99_late"] = pooled(end - args.window, end)

    # "The session must open afterwards": the reader the app and `main.py info` use.
    final["session"] = path
    try:
        t0 = time.monotonic()
        with SessionReader(path) as reader:
            final.update(opened=True, open_s=time.monotonic() - t0, last_step=reader.last_step(),
                         summary=reader.summary(), file_mb=Path(path).stat().st_size / 1e6,
                         checkpoint=(reader.latest_checkpoint() or (None,))[0])
    except Exception as exc:  # noqa: BLE001 - whatever goes wrong here is the result
        final.update(opened=False, error=f"{type(exc).__name__}: {exc}")
    emit(final=final)


# --- the parent: runs the phases, writes the results -------------------------------------------------
def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_phase(kind: str, minutes: float, args, env: dict) -> dict:
    warmup, window = windows_for(minutes)
    cmd = [sys.executable, __file__, "--one", kind, "--minutes", str(minutes), "--sample-seconds",
           str(args.sample_seconds), "--warmup", str(warmup), "--window", str(window),
           *(["--preset", args.dqn_preset] if kind == "dqn" and args.dqn_preset else [])]
    samples, final = [], None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) as child:
        for line in child.stdout:  # one JSON line per sample as it comes: progress for a two-hour run
            try:
                row = json.loads(line)
            except ValueError:
                print(line, end="", file=sys.stderr)  # the app's own output
                continue
            if "sample" in row:
                s = row["sample"]
                samples.append(s)
                print(f"{kind} {s['minutes']:6.1f} min  RSS {s['rss_mb']:7.1f} MB  step {s['step']:>9,}  "
                      f"lag p99 {fmt(s['lag_p99'])} ms  episodes {s['episodes']}", flush=True)
            else:
                final = row["final"]
    if final is None:
        final = {"opened": False, "error": f"the phase's process ended ({child.returncode}) without a result"}
    return {"kind": kind, "minutes": minutes, "warmup": warmup, "window": window, "samples": samples, **final}


def fmt(x, digits=1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def verdicts(p: dict) -> list[str]:
    lines = []
    s, w = p["samples"], p["warmup"]
    ref = min(s, key=lambda r: abs(r["minutes"] - w), default=None)  # the sample at the warm-up's end
    after = [r["rss_mb"] for r in s if ref is not None and r["minutes"] > ref["minutes"]]
    if ref is None or not after:
        lines.append("- memory: not judged (no samples after the warm-up)")
    else:
        growth = max(after) - ref["rss_mb"]
        lines.append(f"- memory: RSS {ref['rss_mb']:.1f} MB at minute {ref['minutes']:.1f}, highest after "
                     f"{max(after):.1f} MB: {growth:+.1f} MB (limit +{RSS_LIMIT_MB} MB) — "
                     f"**{'PASS' if growth <= RSS_LIMIT_MB else 'FAIL'}**")
    early, late = p.get("lag_p99_early"), p.get("lag_p99_late")
    if early is None or late is None:
        lines.append("- lag drift: not judged (no lag samples in one of the windows)")
    else:
        ok = late <= max(1.5 * early, early + 10)
        lines.append(f"- lag drift: p99 {early:.1f} ms in minutes {w:g}–{w + p['window']:g}, {late:.1f} ms in the "
                     f"last {p['window']:g} min (limit max(1.5×, +10 ms)) — **{'PASS' if ok else 'FAIL'}**")
    if p.get("opened"):
        ok = p["last_step"] > 0 and p["checkpoint"] is not None  # it holds the training and can be resumed
        lines.append(f"- session opened afterwards: yes, in {p['open_s']:.2f} s; last step {p['last_step']:,} "
                     f"(the run's last status: {p['last_status_step']:,}), latest usable checkpoint at step "
                     f"{p['checkpoint']}, {p['file_mb']:.1f} MB — **{'PASS' if ok else 'FAIL'}**")
    else:
        lines.append(f"- session opened afterwards: no ({p.get('error')}) — **FAIL**")
    return lines


def report(phases: list[dict], args, started: str, load_start: str, load_end: str) -> str:
    from importlib.metadata import version

    from PySide6 import __version__ as pyside
    cpu = platform.processor() or platform.machine()
    if Path("/proc/cpuinfo").exists():
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), cpu)
    out = ["# Soak: hours of training in the window", "",
           f"Command: `QT_QPA_PLATFORM=offscreen python benchmarks/soak.py {' '.join(sys.argv[1:])}`", "",
           f"Measured {started}–{time.strftime('%H:%M UTC', time.gmtime())}; {cpu}, {os.cpu_count()} cores, "
           f"torch {version('torch')}, PySide6 {pyside}, Qt {os.environ['QT_QPA_PLATFORM']}.",
           f"Load at start: `{load_start}`", f"Load at end: `{load_end}`", ""]
    for p in phases:
        scaled = p["warmup"] < WARMUP_MIN or p["window"] < WINDOW_MIN
        out += [f"## {p['kind'].upper()} ({p.get('preset', '?')}), {p['minutes']:g} min, a sample every "
                f"{args.sample_seconds:g} s", ""]
        if scaled:
            out += [f"A short phase: warm-up {p['warmup']:g} min and drift windows of {p['window']:g} min instead "
                    "of 5 and 10; these verdicts check the benchmark, not the issue's criteria.", ""]
        out += verdicts(p)
        stop = f"Stop took {p['stop_s']:.2f} s" if p.get("stopped") else "**The run did not stop within 5 min**"
        ended = f"\"{p.get('outcome') or '?'}\"" + (f" ({p['message']})" if p.get("message") else "")
        out += ["", f"RSS after the window was shown, before Start: {fmt(p.get('rss_before_mb'))} MB; after the "
                f"stop: {fmt(p.get('rss_end_mb'))} MB. {stop}; the run ended {ended}.", "",
                "| minute | RSS MB | steps | lag p50 ms | lag p99 ms | lag max ms | episodes |",
                "|---:|---:|---:|---:|---:|---:|---:|"]
        out += [f"| {r['minutes']:.1f} | {r['rss_mb']:.1f} | {r['step']:,} | {fmt(r['lag_p50'])} | "
                f"{fmt(r['lag_p99'])} | {fmt(r['lag_max'])} | {r['episodes'] if p['kind'] == 'dqn' else '–'} |"
                for r in p["samples"]]
        if p.get("summary"):
            out += ["", "The session file as `main.py info` shows it:", "", "```", p["summary"], "```"]
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gan-minutes", type=float, default=60, help="0 leaves the phase out")
    ap.add_argument("--dqn-minutes", type=float, default=60, help="0 leaves the phase out")
    ap.add_argument("--sample-seconds", type=float, default=60)
    ap.add_argument("--dqn-preset", help="default: the DQN's default preset, CartPole-v1 (tuned)")
    ap.add_argument("--results", type=Path, help="default results/soak.md (only for phases of 10 minutes or more)")
    ap.add_argument("--one", choices=("gan", "dqn"), help=argparse.SUPPRESS)
    ap.add_argument("--minutes", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--preset", help=argparse.SUPPRESS)
    ap.add_argument("--warmup", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--window", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return phase(args)
    if args.dqn_preset:  # refused now rather than after the GAN's hour
        from studio.trainers.registry import trainer_class
        if args.dqn_preset not in trainer_class("dqn").presets:
            ap.error(f"no DQN preset {args.dqn_preset!r}: {', '.join(trainer_class('dqn').presets)}")
    runs = [(k, m) for k, m in (("gan", args.gan_minutes), ("dqn", args.dqn_minutes)) if m > 0]
    if not runs:
        ap.error("both phases are 0 minutes long")
    results = args.results
    if results is None and min(m for _, m in runs) >= 10:
        results = ROOT / "benchmarks/results/soak.md"
    # Private sessions, settings and logs: the soak neither reads nor changes a person's own.
    private = Path(tempfile.mkdtemp(prefix="studio-soak-"))
    env = dict(os.environ, TRAINING_STUDIO_SESSIONS=str(private / "sessions"),
               TRAINING_STUDIO_SETTINGS=str(private / "studio.ini"), TRAINING_STUDIO_LOGS=str(private / "logs"))
    started, load_start = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), uptime()
    try:
        phases = [run_phase(kind, minutes, args, env) for kind, minutes in runs]
    finally:
        shutil.rmtree(private, ignore_errors=True)  # an hour's DQN session with its episodes is large
    text = report(phases, args, started, load_start, uptime())
    print("\n" + text)
    if results is None:
        print("(a short run: not written; --results PATH keeps it)")
    else:
        results.write_text(text)
        print(f"written to {results}")


if __name__ == "__main__":
    main()
