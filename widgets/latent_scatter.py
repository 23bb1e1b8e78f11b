"""Shows a points panel (x, y, class) as a scatter coloured by class, e.g. held-out digits in the latent
plane, and lets the viewer pick two of its points as the ends of an interpolation: the first click sets
A, the second B, a third starts a new pair; Escape drops a half-made pick. While the pointer is over the
panel, or a pick is half made, new live content is held back (the newest is drawn when the hold ends), so
points do not move under the cursor."""
import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel

from widgets.panel_view import PanelView
from widgets.refresh import fix_two_lines
# Ten distinguishable colours (the common 'tab10' categorical palette).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
PICK_RADIUS_PX = 12  # a click further than this from every point chooses nothing
HELD = " (held while you pick)"


class LatentScatter(PanelView):
    pairPicked = Signal(int, int)  # A, B: sent by the click that completes a pick

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = self.layout()
        # The colour key sits beside the plot's title, not over the points as a legend would. Its text is
        # set once per run, so it may take the lines it needs (one for digits): the plot is small.
        self.key = QLabel("")
        self.key.setWordWrap(True)
        layout.addWidget(self.key)
        # What the next click does, in words. Two fixed lines: a height that followed the text would
        # move the plot, and so the points, at the click that changes it.
        self.prompt = QLabel("")
        fix_two_lines(self.prompt)
        self.prompt.setTextFormat(Qt.RichText)
        self.prompt.linkActivated.connect(lambda _: self.pick_again())
        layout.addWidget(self.prompt)
        self.view.ci.layout.setContentsMargins(2, 2, 8, 2)  # not pyqtgraph's 9 px all round: the plot is small
        self.plot = self.view.addPlot()
        self.plot.setMenuEnabled(False)  # its axis and export options are noise on a panel this small
        self.plot.hideButtons()
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        layout.addWidget(self.view)
        self.items: list[pg.ScatterPlotItem] = []
        self.marks = pg.ScatterPlotItem(size=15, pen=pg.mkPen("k", width=2), brush=None, symbol="o")
        self.marks.setZValue(10)
        self.mark_labels = [pg.TextItem(t, color="k", anchor=(0, 1)) for t in ("A", "B")]
        self.escape = QShortcut(QKeySequence(Qt.Key_Escape), self, self.cancel_pick)
        self.escape.setContext(Qt.WindowShortcut)  # the pointer may have left the panel after A
        self.escape.setEnabled(False)
        self.classes: tuple = ()
        self.points = np.zeros((0, 3), np.float32)
        self.pair: tuple[int, int] | None = None
        self.picking = False    # clicks choose only while a live run takes the choice
        self.first: int | None = None   # A of a half-made pick
        self.asked = False      # "Pick again" was pressed: say how to start
        self.hovered = False
        self.waiting = None     # the newest (step, points) held back while picking

    def setup(self, panel) -> None:
        super().setup(panel)
        self.plot.clear()
        self.classes = tuple(panel.classes)
        self.key.setText(" ".join(f'<span style="color:{PALETTE[i % len(PALETTE)]}">●</span>{name}'
                                       for i, name in enumerate(panel.classes)))
        self.prompt.setVisible(bool(panel.pick_for))
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
        self.pair, self.first, self.waiting = None, None, None
        self._say()

    # --- content, and holding it back while the viewer aims ---
    def holding(self) -> bool:
        return self.picking and (self.hovered or self.first is not None)

    def _pull(self) -> None:
        found = self.source() if self.source is not None else None
        if found is None:
            return
        if self.holding():
            self.waiting = found  # only the newest is kept: on release it is drawn once, not replayed
            self._retitle()
            return
        self.show_content(*found)

    def show_content(self, step: int, points: np.ndarray) -> None:
        # Drawn directly too (the timeline): what the viewer asked for replaces anything held back.
        self.waiting = None
        self.points = points
        labels = points[:, 2].astype(np.int64)
        for i, item in enumerate(self.items):
            mine = labels == i
            item.setData(points[mine, 0], points[mine, 1])
        self._draw_marks()
        self._titled(step)
        self._say()  # the labels named in the words may be new

    def _release(self) -> None:
        if not self.holding() and self.waiting is not None:
            self.show_content(*self.waiting)
        self._retitle()

    def _retitle(self) -> None:
        if self.step is None:
            return
        if self.waiting is None or not self.holding():
            self._titled(self.step)
            return
        tail = f" — step {self.step:,}" if self.heading else f"step {self.step:,}"
        # The title has two lines: the label gives up its last words rather than the note being clipped.
        metrics, box = self.title.fontMetrics(), QRect(0, 0, max(1, self.title.contentsRect().width()), 10**4)
        words = self.heading.split()
        text = self.heading + tail + HELD
        lines = 2 * metrics.lineSpacing()
        while self.heading and len(words) > 1 and metrics.boundingRect(box, Qt.TextWordWrap, text).height() > lines:
            words.pop()
            text = " ".join(words) + "…" + tail + HELD
        self.title.setText(text)

    def enterEvent(self, event) -> None:
        super().enterEvent(event)
        self.hovered = True

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.hovered = False
        self._release()

    # --- picking ---
    def set_picking(self, on: bool) -> None:
        """Clicks choose points only while someone takes the choice (a running or paused run)."""
        self.picking = on
        if not on:
            self.first = None
            self.escape.setEnabled(False)
            self._draw_marks()
        self._release()
        self._say()

    def mark(self, a: int, b: int) -> None:
        """Ring the two chosen points (a pair chosen here, by number or at random)."""
        self.pair, self.first, self.asked = (a, b), None, False
        self.escape.setEnabled(False)
        self._draw_marks()
        self._release()
        self._say()

    def click_point(self, i: int) -> None:
        """What a click on point i does: set A, or B and so complete the pair."""
        if not self.picking:
            return
        if self.first is None:
            self.first, self.asked = i, False
            self.escape.setEnabled(True)
            self._draw_marks()
            self._say()
        elif i != self.first:  # B = A would be a path of one digit: keep waiting for another
            a = self.first
            self.mark(a, i)
            self.pairPicked.emit(a, i)

    def cancel_pick(self) -> None:
        """Escape: forget a half-made pick; the pair stays what it was."""
        if self.first is None:
            return
        self.first = None
        self.escape.setEnabled(False)
        self._draw_marks()
        self._release()
        self._say()

    def pick_again(self) -> None:
        self.asked = True
        self._say()

    def _clicked(self, ev) -> None:
        # A double click also arrives as a click: it would set A and B to the same point.
        if not self.picking or ev.button() != Qt.LeftButton or ev.double():
            return
        box = self.plot.getViewBox()
        if not box.sceneBoundingRect().contains(ev.scenePos()):
            return
        pos = box.mapSceneToView(ev.scenePos())
        i = self.nearest(pos.x(), pos.y())
        if i is None:
            return
        ev.accept()
        self.click_point(i)

    def nearest(self, x: float, y: float) -> int | None:
        """Index of the point nearest the view position (x, y), if within PICK_RADIUS_PX on screen."""
        if not len(self.points):
            return None
        sx, sy = self.plot.getViewBox().viewPixelSize()  # data units per screen pixel
        d = np.hypot((self.points[:, 0] - x) / sx, (self.points[:, 1] - y) / sy)
        i = int(d.argmin())
        return i if d[i] <= PICK_RADIUS_PX else None

    # --- what the viewer sees of the pick ---
    def named(self, i: int) -> str:
        """'#123 (a 7)': the point's number and, once points are shown, its class."""
        if i >= len(self.points) or not self.classes:
            return f"#{i}"
        name = self.classes[int(self.points[i, 2]) % len(self.classes)]
        article = "an" if name[:1].lower() in "aeiou8" else "a"
        return f"#{i} ({article} {name})"

    def _say(self) -> None:
        pair = self.pair and f"A = {self.named(self.pair[0])} → B = {self.named(self.pair[1])}"
        if not self.picking:
            text = html.escape(pair or "")
        elif self.first is not None:
            text = html.escape(f"A = {self.named(self.first)}. Now click B (Esc cancels)")
        elif pair is None or self.asked:
            text = "Click a point to choose A"
        else:
            text = f'{html.escape(pair)} &nbsp;<a href="again">Pick&nbsp;again</a>'
        self.prompt.setText(f"<b>{text}</b>" if self.picking and self.first is not None else text)

    def _draw_marks(self) -> None:
        chosen = (self.first,) if self.first is not None else self.pair
        if chosen is None or not len(self.points) or max(chosen) >= len(self.points):
            chosen = ()
        xy = self.points[list(chosen), :2]
        self.marks.setData(xy[:, 0], xy[:, 1])
        for k, text in enumerate(self.mark_labels):
            text.setVisible(k < len(chosen))
            if k < len(chosen):
                text.setPos(float(xy[k, 0]), float(xy[k, 1]))
