"""Live metric curves: every point kept, a decimated view drawn, raw under a debiased EMA.

One plot per `Series.plot` group (losses, D outputs, …). Points arrive in batches; curves are
redrawn with pyqtgraph's peak downsampling and clip-to-view, so 100k+ steps stay fluid.
"""
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


class SeriesBuffer:
    """A growable (step, value, smoothed) store; smoothing is computed only for new points."""

    def __init__(self, capacity: int = 4096):
        self.n = 0
        self.steps = np.empty(capacity, np.float64)
        self.values = np.empty(capacity, np.float64)
        self.smooth = np.empty(capacity, np.float64)
        self._ema, self._weight = 0.0, 0.0

    def _grow(self, need: int) -> None:
        cap = len(self.steps)
        while cap < need:
            cap *= 2
        for name in ("steps", "values", "smooth"):
            old = getattr(self, name)
            new = np.empty(cap, np.float64)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def extend(self, steps, values, beta: float) -> None:
        m = len(steps)
        if self.n + m > len(self.steps):
            self._grow(self.n + m)
        self.steps[self.n: self.n + m] = steps
        self.values[self.n: self.n + m] = values
        self._smooth_from(self.n, self.n + m, beta)
        self.n += m

    def resmooth(self, beta: float) -> None:
        self._ema, self._weight = 0.0, 0.0
        self._smooth_from(0, self.n, beta)

    def _smooth_from(self, start: int, end: int, beta: float) -> None:
        # Debiased EMA (as Adam debiases its moments): early points are not pulled towards zero.
        ema, weight = self._ema, self._weight
        out, vals = self.smooth, self.values
        for i in range(start, end):
            v = vals[i]
            if np.isfinite(v):
                ema = beta * ema + (1 - beta) * v
                weight = beta * weight + (1 - beta)
            out[i] = ema / weight if weight > 0 else np.nan
        self._ema, self._weight = ema, weight

    def clear(self) -> None:
        self.n, self._ema, self._weight = 0, 0.0, 0.0


class MetricPlots(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.beta = 0.9
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Smoothing"))
        self.smoothing = QSlider(Qt.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(90)
        self.smoothing.setToolTip("Weight of the exponential moving average drawn over the raw curve (0: none)")
        self.smoothing.valueChanged.connect(self._set_smoothing)
        row.addWidget(self.smoothing)
        layout.addLayout(row)
        self.view = pg.GraphicsLayoutWidget()
        layout.addWidget(self.view)
        self.buffers: dict[str, SeriesBuffer] = {}
        self.curves: dict[str, tuple] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self._dirty = set()

    def setup(self, series) -> None:
        """Forget the old run and lay out empty plots for these series."""
        self.view.clear()
        self.buffers.clear(), self.curves.clear(), self.plots.clear(), self._dirty.clear()
        for i, s in enumerate(series):
            if s.plot not in self.plots:
                if self.plots:
                    self.view.nextRow()
                plot = self.view.addPlot(title=s.plot)
                plot.addLegend(offset=(-10, 10))
                plot.showGrid(x=True, y=True, alpha=0.2)
                plot.setLabel("bottom", "step")
                plot.setDownsampling(auto=True, mode="peak")
                plot.setClipToView(True)
                self.plots[s.plot] = plot
            plot = self.plots[s.plot]
            color = COLORS[i % len(COLORS)]
            raw = plot.plot(pen=pg.mkPen(pg.mkColor(color).lighter(160), width=1))
            smooth = plot.plot(pen=pg.mkPen(color, width=2), name=s.label)
            self.curves[s.key] = (raw, smooth)
            self.buffers[s.key] = SeriesBuffer()

    def add_batch(self, batch) -> None:
        for key, (steps, values) in batch.points.items():
            if key in self.buffers:
                self.buffers[key].extend(steps, values, self.beta)
                self._dirty.add(key)
        self.redraw()

    def redraw(self) -> None:
        for key in self._dirty:
            buf = self.buffers[key]
            raw, smooth = self.curves[key]
            n = buf.n
            # Views, not copies: pyqtgraph copies what it keeps.
            raw.setData(buf.steps[:n], buf.values[:n], connect="finite")
            smooth.setData(buf.steps[:n], buf.smooth[:n], connect="finite")
            raw.setVisible(self.beta > 0)
        self._dirty.clear()

    def _set_smoothing(self, value: int) -> None:
        self.beta = value / 100.0
        for key, buf in self.buffers.items():
            buf.resmooth(self.beta)
            self._dirty.add(key)
        self.redraw()

    def point_count(self) -> int:
        return sum(b.n for b in self.buffers.values())
