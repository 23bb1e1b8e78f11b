"""Live metric curves: every point kept (up to MAX_POINTS a curve), a decimated view drawn, raw under a
debiased EMA.

One plot per `Series.plot` group (losses, D outputs, …). Points arrive in batches and are kept;
what is drawn is a min/max decimation of the visible range to about one bucket per pixel, so a curve
of a million steps costs the GUI thread what one of a thousand does; redraws keep to a time budget.
"""
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from widgets.plot_readout import PlotReadout
from widgets.refresh import BudgetedRefresh, TimedGraphicsLayout

REDRAW_MIN_S, REDRAW_SHARE = 0.2, 0.02  # at most 5 redraws/s, and at most 2% of the GUI thread's time
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


# Points kept in memory per curve (24 MB). A longer curve (a DQN's ε, a point per agent step, passes a
# million within the hour) keeps every other point it has, and from then on every other new one (every
# fourth after the next thinning, …): hours in the window cost the memory of one. The file keeps every point.
MAX_POINTS = 1 << 20


class SeriesBuffer:
    """A growable (step, value, smoothed) store; smoothing is computed only for new points."""

    def __init__(self, capacity: int = 4096):
        self.n = 0
        self.steps = np.empty(capacity, np.float64)
        self.values = np.empty(capacity, np.float64)
        self.smooth = np.empty(capacity, np.float64)
        self._ema, self._weight = 0.0, 0.0
        self.stride, self._received = 1, 0  # see extend

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
        # Position i of the buffer holds the curve's point number i × stride (counted from its first point);
        # a thinned curve takes new points on its stride only, so its resolution stays even.
        numbers = self._received + np.arange(len(steps))
        self._received += len(steps)
        while True:
            on = numbers % self.stride == 0
            m = int(on.sum())
            if self.n == 0 or self.n + m <= MAX_POINTS:
                break
            self._thin()
        if m < len(steps):
            steps, values = np.asarray(steps)[on], np.asarray(values)[on]
        if self.n + m > len(self.steps):
            self._grow(self.n + m)
        self.steps[self.n: self.n + m] = steps
        self.values[self.n: self.n + m] = values
        self._smooth_from(self.n, self.n + m, beta)
        self.n += m
        while self.n > MAX_POINTS:  # a long curve arrived at once (a session opened)
            self._thin()

    def _thin(self) -> None:
        """Keep every other point (numbers 0, 2×stride, …): the resolution halves evenly along the curve."""
        keep = self.n // 2 + self.n % 2
        for name in ("steps", "values", "smooth"):
            arr = getattr(self, name)
            arr[:keep] = arr[: self.n: 2]
        self.n, self.stride = keep, self.stride * 2

    def resmooth(self, beta: float) -> None:
        self._ema, self._weight = 0.0, 0.0
        self._smooth_from(0, self.n, beta)

    def _smooth_from(self, start: int, end: int, beta: float) -> None:
        out, self._ema, self._weight = debiased_ema(self.values[start:end], beta, self._ema, self._weight)
        self.smooth[start:end] = out

    def clear(self) -> None:
        self.n, self._ema, self._weight = 0, 0.0, 0.0
        self.stride, self._received = 1, 0


def debiased_ema(values: np.ndarray, beta: float, ema: float = 0.0, weight: float = 0.0):
    """EMA of `values` continuing from (ema, weight), debiased as Adam debiases its moments, so early
    points are not pulled towards zero. NaN points are skipped (the curve holds its last value).
    Vectorised in chunks short enough that beta**-k stays well inside float64. Returns
    (smoothed, ema, weight)."""
    out = np.full(len(values), np.nan)
    ema0, weight0 = ema, weight
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) == 0:
        if weight > 0:
            out[:] = ema / weight
        return out, ema, weight
    x = values[finite]
    if beta <= 1e-12:
        sm, ema, weight = x.copy(), float(x[-1]), 1.0
    else:
        chunk = max(1, int(12 / -np.log10(beta)))
        sm = np.empty(len(x))
        for a in range(0, len(x), chunk):
            part = x[a:a + chunk]
            k = np.arange(1, len(part) + 1)
            decay = beta ** k                                          # beta^(j+1)
            acc = np.cumsum(part * beta ** -(k - 1)) * beta ** (k - 1)  # sum_i beta^(j-i) x_i
            e = decay * ema + (1 - beta) * acc
            w = decay * weight + (1 - decay)
            sm[a:a + len(part)] = e / w
            ema, weight = float(e[-1]), float(w[-1])
    out[finite] = sm
    # NaN positions show the last smoothed value before them (none before the first finite point).
    idx = np.maximum.accumulate(np.where(np.isfinite(values), np.arange(len(values)), -1))
    known = idx >= 0
    out[known] = out[idx[known]]
    out[~known] = ema0 / weight0 if weight0 > 0 else np.nan
    return out, ema, weight


def decimate(x: np.ndarray, y: np.ndarray, lo: float, hi: float, buckets: int):
    """The points of (x, y) within [lo, hi] (plus one either side), reduced to a min and a max per
    bucket when there are more than 2·buckets of them: peaks and NaN gaps survive, nothing is sampled."""
    i0 = max(0, int(np.searchsorted(x, lo, "left")) - 1)
    i1 = min(len(x), int(np.searchsorted(x, hi, "right")) + 1)
    xs, ys = x[i0:i1], y[i0:i1]
    if len(xs) <= 2 * buckets:
        return xs, ys
    k = len(xs) // buckets
    m = k * buckets
    blocks = ys[:m].reshape(-1, k)
    out_y = np.empty(2 * buckets)
    out_y[0::2] = np.fmin.reduce(blocks, axis=1)  # fmin/fmax skip NaN unless a whole bucket is NaN
    out_y[1::2] = np.fmax.reduce(blocks, axis=1)
    out_x = np.repeat(xs[:m:k], 2)
    out_x[1::2] = xs[k - 1:m:k]
    return np.concatenate([out_x, xs[m:]]), np.concatenate([out_y, ys[m:]])


def legend_below(layout, plot: pg.PlotItem, columns: int = 1) -> pg.LegendItem:
    """The plot's legend in the layout row under it, outside the data, so that it never hides the
    newest points (top right, where a legend usually sits, is where a falling curve ends). The plot's
    named curves join it as they are added."""
    layout.nextRow()
    legend = pg.LegendItem(colCount=columns, horSpacing=12, verSpacing=-6)
    layout.addItem(legend)
    grid = (layout.ci if hasattr(layout, "ci") else layout).layout
    grid.setRowStretchFactor(grid.rowCount() - 1, 0)  # the plots take the height; a legend its own lines
    grid.setRowStretchFactor(grid.rowCount() - 2, 1)
    plot.legend = legend
    return legend


def fit_legend(legend: pg.LegendItem, width: float, most: int = 3) -> None:
    """As many columns as the width holds (a legend wider than its plot would push the plot's right
    edge out of sight)."""
    widths = [sample.boundingRect().width() + label.item.boundingRect().width() + 12
              for sample, label in legend.items]
    if not widths:
        return
    cols = max(1, min(most, len(widths), int(width // max(widths))))
    if cols != legend.columnCount:
        legend.setColumnCount(cols)
    rows = -(-len(widths) // cols)
    legend.setMaximumHeight(rows * (max(label.item.boundingRect().height() for _, label in legend.items) - 4) + 8)


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
        self.smoothing.setTracking(False)  # re-smooth the whole history once, on release
        self.smoothing.valueChanged.connect(self._set_smoothing)
        row.addWidget(self.smoothing)
        layout.addLayout(row)
        self.view = TimedGraphicsLayout()
        layout.addWidget(self.view)
        self.buffers: dict[str, SeriesBuffer] = {}
        self.curves: dict[str, tuple] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self.plot_of: dict[str, str] = {}
        self.unsmoothed: set[str] = set()  # keys drawn as points joined by lines, no moving average
        self.markers: dict[str, pg.InfiniteLine] = {}  # where the timeline is, one line per plot
        self.labels: dict[str, str] = {}  # series key -> its name on screen
        self.log_y = False
        self.line_width = 1.0
        self._dirty = set()
        self.refresher = BudgetedRefresh(self.redraw, REDRAW_MIN_S, REDRAW_SHARE, self)
        self.view.refresher = self.refresher
        self.readout = PlotReadout(self)

    def setup(self, series) -> None:
        """Forget the old run and lay out empty plots for these series."""
        self.readout.reset()
        self.view.clear()
        for d in (self.buffers, self.curves, self.plots, self.plot_of, self.unsmoothed, self.markers, self.labels):
            d.clear()
        self._dirty.clear()
        groups = {}
        for s in series:
            groups.setdefault(s.plot, []).append(s)
        for g, name in enumerate(groups):
            if g:
                self.view.nextRow()
            plot = self.view.addPlot(title=name)
            # Height is short with four plots in a small window: a lone series' legend would only repeat
            # its plot's title, and "step" is said once, under the last plot.
            last = g == len(groups) - 1
            plot.setLabel("bottom", "step" if last else None)
            if len(groups[name]) > 1:
                legend_below(self.view, plot)
            else:
                plot.legend = pg.LegendItem()  # kept off screen: the series' name and colour, for export
            # Fixed axis sizes: an axis that resizes to its tick labels re-lays out and repaints
            # the plot several times for every update.
            plot.getAxis("left").setWidth(52)
            plot.getAxis("bottom").setHeight(36 if last else 22)
            # Zooming or panning shows other points: redraw that plot's curves for the new range.
            plot.sigXRangeChanged.connect(lambda _vb, _r, name=name: self._range_changed(name))
            plot.setLogMode(y=self.log_y)
            self.plots[name] = plot
        for i, s in enumerate(series):
            plot = self.plots[s.plot]
            color = COLORS[i % len(COLORS)]
            raw = plot.plot(pen=pg.mkPen(pg.mkColor(color).lighter(165), width=1))
            # Wide pens paint slowly. Sparse series mark their points: an evaluation every few hundred
            # steps is a measurement there, not a straight line between.
            marks = {} if not s.sparse else {"symbol": "o", "symbolSize": 4, "symbolBrush": color, "symbolPen": None}
            smooth = plot.plot(pen=pg.mkPen(color, width=1), name=s.label, **marks)
            self.curves[s.key] = (raw, smooth)
            self.buffers[s.key] = SeriesBuffer()
            self.plot_of[s.key] = s.plot
            if self.line_width != 1.0:
                self._widen(raw, smooth)
            self.labels[s.key] = s.label
            if not s.smooth:
                self.unsmoothed.add(s.key)
        self._fit_legends()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_legends(event.size().width())  # (the view inside has not been resized yet)

    def _fit_legends(self, width: int | None = None) -> None:
        width = self.view.width() if width is None else width
        for plot in self.plots.values():
            if plot.legend.scene() is not None:  # (a lone series has none on screen)
                fit_legend(plot.legend, width - 24)
        # A legend that was wider a moment ago leaves the layout wide until the next resize: fit it now.
        self.view.ci.setGeometry(QRectF(0, 0, width, self.view.height()))

    def add_batch(self, batch) -> None:
        for key, (steps, values) in batch.points.items():
            if key in self.buffers:
                self.buffers[key].extend(steps, values, self.beta)
                self._dirty.add(key)
        self.refresher.request()

    def _range_changed(self, plot_name: str) -> None:
        if self.plots[plot_name].getViewBox().autoRangeEnabled()[0]:
            return  # following the data: what is drawn already spans the whole range
        self._dirty.update(k for k, p in self.plot_of.items() if p == plot_name)
        self.refresher.request()

    def redraw(self) -> None:
        for key in self._dirty:
            buf = self.buffers[key]
            if buf.n == 0:
                continue
            raw, smooth = self.curves[key]
            plot = self.plots[self.plot_of[key]]
            steps = buf.steps[: buf.n]
            if plot.getViewBox().autoRangeEnabled()[0]:
                lo, hi = steps[0], steps[-1]
            else:
                lo, hi = plot.viewRange()[0]
            buckets = max(100, int(plot.width()))
            raw_xy = decimate(steps, buf.values[: buf.n], lo, hi, buckets)
            if key in self.unsmoothed:  # the strong line shows the raw points themselves
                raw.setVisible(False)
                smooth.setData(*raw_xy, connect="finite")
                continue
            raw.setData(*raw_xy, connect="finite")
            smooth.setData(*decimate(steps, buf.smooth[: buf.n], lo, hi, buckets), connect="finite")
            raw.setVisible(self.beta > 0)
        self._dirty.clear()
        self.view.settle()  # the auto-range and transforms now, not in the paint, which would paint twice

    def _set_smoothing(self, value: int) -> None:
        self.beta = value / 100.0
        for key, buf in self.buffers.items():
            buf.resmooth(self.beta)
            self._dirty.add(key)
        self.refresher.now()

    def mark_step(self, step: int | None) -> None:
        """A dashed vertical line at the timeline's step on every plot (None: no line)."""
        for name, plot in self.plots.items():
            line = self.markers.get(name)
            if line is None:
                line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1, style=Qt.DashLine))
                line.setZValue(-10)
                plot.addItem(line, ignoreBounds=True)  # the line must not widen the auto-range
                self.markers[name] = line
            line.setVisible(step is not None)
            if step is not None:
                line.setValue(step)

    def set_line_width(self, width: float) -> None:
        """Thicker curves for a projector (presentation mode); 1 is the fast default."""
        self.line_width = width
        for raw, smooth in self.curves.values():
            self._widen(raw, smooth)

    def _widen(self, raw, smooth) -> None:
        """Both curves of a series at the line width: the smoothed one twice as wide once it is over 1."""
        for curve, w in ((raw, self.line_width), (smooth, self.line_width * (2 if self.line_width > 1 else 1))):
            pen = pg.mkPen(curve.opts["pen"])
            pen.setWidthF(w)
            curve.setPen(pen)

    def set_log_y(self, on: bool) -> None:
        """Log-scale y on every plot (losses spanning decades); points ≤ 0 are left out of the drawing."""
        self.log_y = on
        for plot in self.plots.values():
            plot.setLogMode(y=on)
        self._dirty.update(self.buffers)
        self.refresher.now()

    def save_picture(self, path: str) -> None:
        """The curves as they are on screen, as PNG or SVG (by the file's suffix)."""
        self.readout.hide()
        if not str(path).lower().endswith(".svg"):
            from pyqtgraph.exporters import ImageExporter
            ImageExporter(self.view.scene()).export(str(path))
            return
        # Qt's own SVG painter: pyqtgraph's SVGExporter fails on the path data Qt 6 writes.
        from PySide6.QtCore import QRectF, QSize
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator
        size = self.view.size()
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(QSize(size.width(), size.height()))
        gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
        gen.setTitle("Training Studio curves")
        gen.setResolution(self.view.logicalDpiX())  # else 90 dpi: the drawing is scaled against its own axes
        painter = QPainter(gen)
        try:
            self.view.render(painter)
        finally:
            painter.end()
        if not Path(path).exists():
            raise OSError(f"{path} could not be written")

    def point_count(self) -> int:
        return sum(b.n for b in self.buffers.values())
