"""Hover readout for the metric curves: a crosshair on the plot under the mouse and, in a label over
it, the exact value of each of that plot's series at that step (the newest point at or before it; raw
and smoothed), read from the kept points, not from the decimated drawing."""
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

HOVER_HZ = 30  # mouse moves are coalesced: a readout per frame is enough, per event would load the thread


def value_at(buf, step: float):
    """(step, raw, smoothed) of the newest kept point at or before `step`, or None."""
    i = int(np.searchsorted(buf.steps[: buf.n], step, side="right")) - 1
    if i < 0:
        return None
    return float(buf.steps[i]), float(buf.values[i]), float(buf.smooth[i])


def format_value(v: float) -> str:
    return f"{v:.4g}" if np.isfinite(v) else str(v)


class PlotReadout:
    def __init__(self, plots):
        self.plots = plots  # a MetricPlots
        self.lines: dict[str, pg.InfiniteLine] = {}
        self.label = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220), color="#222")
        self.label.setZValue(100)
        self._proxy = pg.SignalProxy(plots.view.scene().sigMouseMoved, rateLimit=HOVER_HZ, slot=self._moved)
        self.shown: tuple[str, list] | None = None  # (plot name, rows) of the readout on screen

    def reset(self) -> None:
        """The plots were rebuilt (another run): the old lines went with them."""
        self.lines.clear()
        if self.label.scene() is not None:
            self.label.scene().removeItem(self.label)
        self.shown = None

    def rows(self, plot_name: str, step: float) -> list[tuple[str, float, float, float | None]]:
        """(label, step, value, smoothed or None) for each series of a plot at `step`."""
        p = self.plots
        out = []
        for key, name in p.plot_of.items():
            if name != plot_name:
                continue
            found = value_at(p.buffers[key], step)
            if found is not None:
                at, raw, smooth = found
                out.append((p.labels.get(key, key), at, raw, None if key in p.unsmoothed else smooth))
        return out

    def text(self, rows) -> str:
        lines = []
        for label, at, raw, smooth in rows:
            extra = f" (smoothed {format_value(smooth)})" if smooth is not None and self.plots.beta > 0 else ""
            lines.append(f"{label}: {format_value(raw)}{extra} at step {at:,.0f}")
        return "\n".join(lines)

    def _moved(self, args) -> None:
        pos = args[0]
        for name, plot in self.plots.plots.items():
            box = plot.getViewBox()
            if box.sceneBoundingRect().contains(pos):
                self.show(name, box.mapSceneToView(pos).x())
                return
        self.hide()

    def show(self, plot_name: str, step: float) -> None:
        plot = self.plots.plots[plot_name]
        line = self.lines.get(plot_name)
        if line is None:
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#555", width=1, style=Qt.DotLine))
            plot.addItem(line, ignoreBounds=True)
            self.lines[plot_name] = line
        for name, other in self.lines.items():
            other.setVisible(name == plot_name)
        line.setValue(step)
        rows = self.rows(plot_name, step)
        self.shown = (plot_name, rows)
        if self.label.scene() is not plot.scene() or self.label.parentItem() is not plot.getViewBox():
            if self.label.scene() is not None:
                self.label.scene().removeItem(self.label)
            plot.addItem(self.label, ignoreBounds=True)
        self.label.setText(self.text(rows))
        (x0, x1), (y0, y1) = plot.viewRange()
        # The label sits beside the crosshair, on the side with more room.
        self.label.setAnchor((0, 0) if step < (x0 + x1) / 2 else (1, 0))
        self.label.setPos(step, y1)
        self.label.setVisible(bool(rows))

    def hide(self) -> None:
        for line in self.lines.values():
            line.setVisible(False)
        self.label.setVisible(False)
        self.shown = None
