"""Scrubbing a long session's timeline: opens the file in the real window (offscreen) and times each
slider step — reading every panel's snapshot at that step, drawing it and painting the window — for
every position in order (the → key) and for random jumps.

    python benchmarks/scrub_redraw.py /tmp/bench/gan-1h.h5
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("session", type=Path)
    ap.add_argument("--jumps", type=int, default=300)
    ap.add_argument("--results", type=Path, default=REPO / "benchmarks/results/scrub_redraw.md")
    args = ap.parse_args()

    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    w = MainWindow()
    w.resize(1280, 800)
    w.show()
    app.processEvents()
    t0 = time.perf_counter()
    if not w.open_session(args.session):
        sys.exit(w.banner.text())
    app.processEvents()
    open_s = time.perf_counter() - t0
    bar = w.timeline
    n = len(bar.steps)

    def timed(action) -> float:
        t = time.perf_counter()
        action()
        app.processEvents()  # the paint of what changed
        return (time.perf_counter() - t) * 1000

    bar.go_to(0)
    app.processEvents()
    bar.slider.setFocus()
    right = QKeyEvent(QKeyEvent.KeyPress, Qt.Key_Right, Qt.NoModifier)
    forward = [timed(lambda: QApplication.sendEvent(bar.slider, right)) for _ in range(n - 1)]
    rng = random.Random(0)
    jumps = [timed(lambda: bar.go_to(rng.randrange(n))) for _ in range(args.jumps)]

    def stats(ms):
        a = np.array(ms)
        return (f"median {np.median(a):.1f} ms, p95 {np.percentile(a, 95):.1f} ms, max {a.max():.1f} ms, "
                f"{(a < 50).mean() * 100:.1f} % under 50 ms")

    size = args.session.stat().st_size / 1e6
    lines = ["# Scrubbing a long session's timeline", "",
             f"Command: `python benchmarks/scrub_redraw.py {args.session}` (window 1280×800, offscreen)", "",
             f"- file: {size:.1f} MB, {w.viewed.reader.last_step():,} steps, {n} timeline positions, panels "
             f"{', '.join(w.grids)}",
             f"- open (read, draw curves and the newest snapshots): {open_s:.2f} s",
             f"- → key through all {n - 1} positions: {stats(forward)}",
             f"- {args.jumps} random jumps: {stats(jumps)}"]
    args.results.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    w.close()


if __name__ == "__main__":
    main()
