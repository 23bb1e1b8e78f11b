"""Time from the launch command to the first painted window, on a real X server, and where it goes.

Each launch runs `.venv/bin/python main.py` as a person would (no test hooks) and polls the X server:
the window counts as shown when `xdotool` finds it mapped, and as painted when a grab of it by
ImageMagick's `import` holds more than a few colours (an unpainted window is one flat colour). Then
the breakdown: the interpreter's start, the imports by package (`-X importtime`), and, in a process of
this script's own, the QApplication, the MainWindow and its first exposure.

    Xvfb :99 -screen 0 1280x800x24 &
    DISPLAY=:99 python benchmarks/first_window.py --launches 5 --png /tmp/first_window.png

Needs xdotool and ImageMagick (apt-get install xvfb xdotool imagemagick) and the xcb libraries
(python -m studio.desktop_libs says which are missing).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TITLE = "Training Studio"
PAINTED_COLOURS = 16  # a flat, unpainted window has 1; the painted window has hundreds
POLL_S = 0.02


def _env(display: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    return env


def _window(pid: int, env: dict) -> str | None:
    out = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(pid), "--name", TITLE],
                         capture_output=True, text=True, env=env).stdout.split()
    return out[0] if out else None


def _colours(window: str, env: dict) -> int:
    out = subprocess.run(["import", "-window", window, "-format", "%k", "info:"],
                         capture_output=True, text=True, env=env).stdout.strip()
    return int(out) if out.isdigit() else 0


def launch(python: str, env: dict, png: Path | None, timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from the command to the window mapped and to it painted; the app is closed after."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([python, "main.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        window = mapped = None
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                sys.exit(f"error: the app exited with code {proc.returncode}: {proc.stderr.read().strip()}")
            if window is None:
                window = _window(proc.pid, env)
                mapped = time.perf_counter() - t0 if window else None
            elif _colours(window, env) > PAINTED_COLOURS:
                painted = time.perf_counter() - t0
                if png:
                    subprocess.run(["import", "-window", window, str(png)], env=env, check=True)
                return mapped, painted
            time.sleep(POLL_S)
        sys.exit(f"error: no painted window within {timeout:.0f} s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def interpreter_start(python: str) -> float:
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def import_times(python: str) -> tuple[dict[str, float], float]:
    """Seconds of import by top-level package (each module's own time), and their total, for what the
    window path imports."""
    proc = subprocess.run([python, "-X", "importtime", "-c", "import main, studio.cli, widgets.app, "
                           "widgets.main_window"], cwd=REPO, capture_output=True, text=True, check=True)
    by_package = defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        top = name.split(".")[0]
        top = "PySide6" if top in ("PySide6", "shiboken6", "shibokensupport") else top
        by_package[top] += int(self_us) / 1e6
    return dict(by_package), sum(by_package.values())


_PHASES = """
import sys, time
t = time.perf_counter()
import main, studio.cli, widgets.app
from PySide6.QtWidgets import QApplication
from widgets.main_window import MainWindow
marks = {"imports": time.perf_counter()}
app = QApplication(sys.argv[:1])
marks["QApplication"] = time.perf_counter()
window = MainWindow()
marks["MainWindow()"] = time.perf_counter()
window.show()
while not (window.windowHandle() and window.windowHandle().isExposed()):
    app.processEvents()
app.processEvents()  # the first paint of the exposed window
marks["show, exposed, painted"] = time.perf_counter()
for name, at in marks.items():
    print(f"{name}\\t{at - t:.4f}")
    t = at
"""


def phases(python: str, env: dict) -> dict[str, float]:
    """Seconds of each start-up phase, measured inside one process of this script's own."""
    out = subprocess.run([python, "-c", _PHASES], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True).stdout
    return {name: float(s) for name, s in (line.split("\t") for line in out.splitlines())}


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    return f"{os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--launches", type=int, default=5)
    ap.add_argument("--display", default=os.environ.get("DISPLAY", ":99"))
    ap.add_argument("--python", default=str(REPO / ".venv/bin/python"))
    ap.add_argument("--png", type=Path, help="save a grab of the last launch's painted window here")
    ap.add_argument("--results", type=Path, default=REPO / "benchmarks/results/first_window.md")
    args = ap.parse_args()
    env = _env(args.display)
    if subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True).returncode:
        sys.exit(f"error: no X server on {args.display}; start one: Xvfb {args.display} -screen 0 1280x800x24 &")

    load_before = _uptime()
    runs = []
    for i in range(args.launches):
        runs.append(launch(args.python, env, args.png if i == args.launches - 1 else None))
        print(f"launch {i + 1}: mapped {runs[-1][0]:.2f} s, painted {runs[-1][1]:.2f} s", flush=True)
        time.sleep(1.0)  # let the last app's exit settle
    start = interpreter_start(args.python)
    imports, imports_total = import_times(args.python)
    steps = phases(args.python, env)
    load_after = _uptime()

    painted = [p for _, p in runs]
    mapped = [m for m, _ in runs]
    lines = [
        "# First painted window",
        "",
        f"`DISPLAY={args.display} python benchmarks/first_window.py --launches {args.launches}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {_cpu()}, X server: Xvfb 1280x800x24.",
        "",
        f"- load before: `{load_before}`",
        f"- load after: `{load_after}`",
        "",
        "Time from `python main.py` to the window (each launch a fresh process):",
        "",
        "| launch | mapped s | painted s |",
        "|---:|---:|---:|",
        *(f"| {i + 1} | {m:.2f} | {p:.2f} |" for i, (m, p) in enumerate(runs)),
        "",
        f"**Painted: median {statistics.median(painted):.2f} s** (min {min(painted):.2f}, max {max(painted):.2f}); "
        f"mapped: median {statistics.median(mapped):.2f} s. The polling (every {POLL_S * 1000:.0f} ms, one "
        "`xdotool` or `import` process each time) adds up to about 0.05 s.",
        "",
        "## Where the time goes",
        "",
        f"Interpreter start (`python -c pass`): {start:.3f} s.",
        "",
        f"Imports of the window path (`python -X importtime -c \"import main, studio.cli, widgets.app, "
        f"widgets.main_window\"`), each module's own time summed by package, total {imports_total:.2f} s:",
        "",
        "| package | s |",
        "|---|---:|",
        *(f"| {name} | {s:.3f} |" for name, s in sorted(imports.items(), key=lambda kv: -kv[1])[:10]),
        "",
        "Phases inside one process (this script's own, on the same X server):",
        "",
        "| phase | s |",
        "|---|---:|",
        *(f"| {name} | {s:.3f} |" for name, s in steps.items()),
        "",
    ]
    args.results.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
