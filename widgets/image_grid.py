"""Shows an image stack (n, H, W) uint8 as a grid, e.g. 8×8 generated digits."""
import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


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
        layout.addWidget(self.title)
        self.view = pg.GraphicsLayoutWidget()
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        layout.addWidget(self.view)
        self.cols = 8
        self.label = ""
        self.step = None

    def setup(self, panel) -> None:
        self.cols, self.label, self.step = panel.cols, panel.label, None
        self.image.clear()
        self.title.setText(panel.label)

    def show_stack(self, step: int, stack: np.ndarray) -> None:
        first = self.step is None
        self.step = step
        self.image.setImage(tile(stack, self.cols), levels=(0, 255), autoLevels=False)
        if first:
            self.box.autoRange(padding=0.01)
        self.title.setText(f"{self.label} — step {step:,}")
