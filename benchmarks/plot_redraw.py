"""How long the live curves take to take in one batch and repaint, as the history grows.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/plot_redraw.py
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def main():
    from PySide6.QtWidgets import QApplication

    from studio.sinks import MetricBatch
    from studio.trainers.gan import GANTrainer
    from widgets.metric_plots import MetricPlots

    app = QApplication([])
    plots = MetricPlots()
    plots.resize(900, 650)
    plots.show()
    series = GANTrainer.series.fget(None)
    plots.setup(series)
    rng = np.random.default_rng(0)
    step, batch = 0, 10  # 10 steps per batch: ~100 steps/s at the 100 ms emission cadence
    for target in (1_000, 10_000, 100_000, 1_000_000):
        # Fill the history quickly in big batches, then time typical live batches at that size.
        while step < target:
            n = min(5000, target - step)
            steps = np.arange(step + 1, step + n + 1)
            plots.add_batch(MetricBatch({s.key: (steps, rng.normal(1, 0.1, n)) for s in series}))
            step += n
        times = []
        for _ in range(20):
            steps = np.arange(step + 1, step + batch + 1)
            t0 = time.perf_counter()
            plots.add_batch(MetricBatch({s.key: (steps, rng.normal(1, 0.1, batch)) for s in series}))
            plots.redraw()  # what the throttle timer does at most every REDRAW_MS
            plots.view.repaint()
            app.processEvents()
            times.append((time.perf_counter() - t0) * 1000)
            step += batch
        print(f"{step:>8,} steps × {len(series)} curves: batch + repaint median {np.median(times):.1f} ms, "
              f"max {np.max(times):.1f} ms")


if __name__ == "__main__":
    main()
