"""Shows an image stack (n, H, W) uint8 as a grid, e.g. 8×8 generated digits, or one RGB frame (H, W, 3)
such as the game the agent plays."""
import numpy as np
import pyqtgraph as pg

from studio.images import tile
from widgets.pair_picker import PairPicker
from widgets.panel_view import PanelView


class ImageGrid(PanelView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.layout().addWidget(self.view)
        self.picker: PairPicker | None = None  # for a panel showing a path between two chosen items
        self.cols = 8
        self.frame = False  # one RGB picture rather than a grid of grey ones

    def setup(self, panel) -> None:
        super().setup(panel)
        self.frame = panel.kind == "frame"
        self.cols = getattr(panel, "cols", 1)
        self.image.clear()
        if self.picker is not None:
            self.picker.setParent(None)
            self.picker = None
        if getattr(panel, "pick", 0):
            self.picker = PairPicker(panel.pick)
            self.layout().addWidget(self.picker)

    def show_content(self, step: int, stack: np.ndarray) -> None:
        first = self.step is None
        picture = stack if self.frame else tile(stack, self.cols)
        # uint8 is drawn as it is (levels None skips a rescaling pass over every pixel)
        self.image.setImage(picture, levels=None if picture.dtype == np.uint8 else (0, 255), autoLevels=False)
        if first:
            self.box.autoRange(padding=0.01)
        self._titled(step)
