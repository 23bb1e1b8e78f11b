"""One slider over every step at which a saved session has snapshots: moving it (dragging, ← →, Home /
End, or typing a step) shows every panel as it was at that step."""
import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QWidget


class TimelineBar(QWidget):
    stepChosen = Signal(int)  # a step of the timeline

    def __init__(self, parent=None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Timeline"))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Every panel as it was at this step (← → move one snapshot, Home / End)")
        self.slider.valueChanged.connect(self._slid)
        row.addWidget(self.slider, 1)
        self.step_box = QSpinBox()
        self.step_box.setPrefix("step ")
        self.step_box.setKeyboardTracking(False)  # jump when the typed step is complete
        self.step_box.setToolTip("Type a step: panels show their last snapshot at or before it")
        self.step_box.valueChanged.connect(self._typed)
        row.addWidget(self.step_box)
        self.where = QLabel("")
        row.addWidget(self.where)
        self.steps = np.zeros(0, np.int64)

    def set_steps(self, steps: np.ndarray) -> None:
        """The snapshot steps; the slider goes to the last one."""
        self._set_range(steps)
        if len(self.steps):
            self.go_to(len(self.steps) - 1, force=True)

    def extend_steps(self, steps: np.ndarray) -> None:
        """More snapshot steps (a session still being written). A slider at the newest step follows the
        new ones; one the viewer moved back stays where it is."""
        index = self.slider.value()
        at_end = self.at_newest()
        self._set_range(steps)
        if at_end and len(self.steps):
            self.go_to(len(self.steps) - 1, force=True)
        else:
            self.where.setText(f"snapshot {index + 1} of {len(self.steps)}")

    def _set_range(self, steps: np.ndarray) -> None:
        self.steps = np.asarray(steps, np.int64)
        n = len(self.steps)
        self.setEnabled(n > 0)
        for w in (self.slider, self.step_box):
            w.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.step_box.setRange(0, int(self.steps[-1]) if n else 0)
        for w in (self.slider, self.step_box):
            w.blockSignals(False)

    def at_newest(self) -> bool:
        """Whether the slider is on the newest step (or there is none yet)."""
        return len(self.steps) == 0 or self.slider.value() == len(self.steps) - 1

    def go_to(self, index: int, force: bool = False) -> None:
        index = int(np.clip(index, 0, len(self.steps) - 1))
        changed = index != self.slider.value()
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        if changed or force:
            self._show(index)

    def _slid(self, index: int) -> None:
        self._show(index)

    def _typed(self, step: int) -> None:
        index = max(0, int(np.searchsorted(self.steps, step, side="right")) - 1)
        self.go_to(index, force=True)

    def _show(self, index: int) -> None:
        step = int(self.steps[index])
        self.step_box.blockSignals(True)
        self.step_box.setValue(step)
        self.step_box.blockSignals(False)
        self.where.setText(f"snapshot {index + 1} of {len(self.steps)}")
        self.stepChosen.emit(step)
