"""Shows a points panel (x, y, class) as a scatter coloured by class, e.g. held-out digits in the latent
plane. Clicking a point chooses it as one end of the interpolation: left click 'from', right click or
shift-click 'to'."""
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel

from widgets.panel_view import PanelView
from widgets.refresh import fix_two_lines
# Ten distinguishable colours (the common 'tab10' categorical palette).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
PICK_RADIUS_PX = 12  # a click further than this from every point chooses nothing


class LatentScatter(PanelView):
    pointPicked = Signal(int, int)  # point index, end (0: from, 1: to)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = self.layout()
        # The colour key sits beside the plot's title, not over the points as a legend would.
        self.key = QLabel("")
        fix_two_lines(self.key)
        layout.addWidget(self.key)
        self.plot = self.view.addPlot()
        self.plot.setMenuEnabled(False)       # the right button chooses a point instead
        self.plot.hideButtons()
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        layout.addWidget(self.view)
        self.items: list[pg.ScatterPlotItem] = []
        self.marks = pg.ScatterPlotItem(size=15, pen=pg.mkPen("k", width=2), brush=None, symbol="o")
        self.marks.setZValue(10)
        self.mark_labels = [pg.TextItem(t, color="k", anchor=(0, 1)) for t in ("A", "B")]
        self.points = np.zeros((0, 3), np.float32)
        self.pair: tuple[int, int] | None = None

    def setup(self, panel) -> None:
        super().setup(panel)
        self.title.setToolTip(f"{panel.label}\nLeft-click a point: interpolate from it; right-click or "
                              "shift-click: to it.")
        self.plot.clear()
        self.key.setText(" ".join(f'<span style="color:{PALETTE[i % len(PALETTE)]}">●</span>{name}'
                                       for i, name in enumerate(panel.classes)))
        self.plot.setLabel("bottom", panel.x_label)
        self.plot.setLabel("left", panel.y_label)
        self.items = []
        for i, name in enumerate(panel.classes):
            item = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(PALETTE[i % len(PALETTE)]))
            self.plot.addItem(item)
            self.items.append(item)
        self.plot.addItem(self.marks)
        for text in self.mark_labels:
            self.plot.addItem(text)
        self.points = np.zeros((0, 3), np.float32)

    def show_content(self, step: int, points: np.ndarray) -> None:
        self.points = points
        labels = points[:, 2].astype(np.int64)
        for i, item in enumerate(self.items):
            mine = labels == i
            item.setData(points[mine, 0], points[mine, 1])
        self._draw_marks()
        self._titled(step)

    def mark(self, a: int, b: int) -> None:
        """Ring the two chosen points."""
        self.pair = (a, b)
        self._draw_marks()

    def _draw_marks(self) -> None:
        if self.pair is None or not len(self.points) or max(self.pair) >= len(self.points):
            self.marks.setData([], [])
            for text in self.mark_labels:
                text.setVisible(False)
            return
        xy = self.points[list(self.pair), :2]
        self.marks.setData(xy[:, 0], xy[:, 1])
        for text, (x, y) in zip(self.mark_labels, xy):
            text.setPos(float(x), float(y))
            text.setVisible(True)

    def nearest(self, x: float, y: float) -> int | None:
        """Index of the point nearest the view position (x, y), if within PICK_RADIUS_PX on screen."""
        if not len(self.points):
            return None
        sx, sy = self.plot.getViewBox().viewPixelSize()  # data units per screen pixel
        d = np.hypot((self.points[:, 0] - x) / sx, (self.points[:, 1] - y) / sy)
        i = int(d.argmin())
        return i if d[i] <= PICK_RADIUS_PX else None

    def _clicked(self, ev) -> None:
        box = self.plot.getViewBox()
        if not box.sceneBoundingRect().contains(ev.scenePos()):
            return
        pos = box.mapSceneToView(ev.scenePos())
        i = self.nearest(pos.x(), pos.y())
        if i is None:
            return
        to = ev.button() == Qt.RightButton or bool(ev.modifiers() & Qt.ShiftModifier)
        ev.accept()
        self.pointPicked.emit(i, 1 if to else 0)
