"""Shows an image stack (n, H, W) uint8 as a grid, e.g. 8×8 generated digits, or one RGB frame (H, W, 3)
such as the game the agent plays."""
import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from widgets.pair_picker import PairPicker
from widgets.refresh import BudgetedRefresh, TimedGraphicsLayout, fix_two_lines

GRID_MIN_S, GRID_SHARE = 0.25, 0.01  # a few new grids a second, at most 1% of the GUI thread


def tile(stack: np.ndarray, cols: int, gap: int = 2) -> np.ndarray:
    """(n, H, W) -> one (rows·(H+gap)−gap, cols·(W+gap)−gap) image with dark gaps between tiles."""
    n, h, w = stack.shape
    rows = -(-n // cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), 40, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = stack[i]
    return out


class ImageGrid(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("")
        # A title whose width follows the step count would re-lay out (and repaint) the whole window.
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        fix_two_lines(self.title)
        layout.addWidget(self.title)
        self.view = TimedGraphicsLayout()
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        layout.addWidget(self.view)
        self.picker: PairPicker | None = None  # for a panel showing a path between two chosen items
        self.cols = 8
        self.frame = False  # one RGB picture rather than a grid of grey ones
        self.label = ""
        self.step = None
        self.source = None  # a callable returning (step, stack) or None: the newest picture to show
        self.refresher = BudgetedRefresh(self._pull, GRID_MIN_S, GRID_SHARE, self)
        self.view.refresher = self.refresher

    def _pull(self) -> None:
        found = self.source() if self.source is not None else None
        if found is not None:
            self.show_stack(*found)

    def setup(self, panel) -> None:
        self.frame = panel.kind == "frame"
        self.cols, self.label, self.step = getattr(panel, "cols", 1), panel.label, None
        self.image.clear()
        self.title.setText(panel.label)
        self.title.setToolTip(panel.label)
        if self.picker is not None:
            self.picker.setParent(None)
            self.picker = None
        if getattr(panel, "pick", 0):
            self.picker = PairPicker(panel.pick)
            self.layout().addWidget(self.picker)

    def show_stack(self, step: int, stack: np.ndarray) -> None:
        first = self.step is None
        self.step = step
        picture = stack if self.frame else tile(stack, self.cols)
        self.image.setImage(picture, levels=(0, 255), autoLevels=False)
        if first:
            self.box.autoRange(padding=0.01)
        self.title.setText(f"{self.label} — step {step:,}")
