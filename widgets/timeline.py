"""One slider over every step at which a saved session has snapshots: moving it (dragging, ← →, Home /
End, or typing a step) shows every panel as it was at that step.

During a run the panels at the newest position show the run as it trains, newer than its newest snapshot:
the step box then reads "live" rather than a step the panels are past. For a session whose training went
on after its newest snapshot, the newest position says how far it went (the status bar's step)."""
import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QWidget

LIVE = "live"
STEP_TIP = "Type a step: panels show their last snapshot at or before it"
LIVE_TIP = ("The panels show the run as it trains (their titles say at which step); type a step or move "
            "the slider back to see a snapshot")


class StepBox(QSpinBox):
    """The timeline's step, written as the panel titles write it (1,500); reads "live" while `live` is set
    (typing a number leaves it)."""

    def __init__(self):
        super().__init__()
        self.live = False

    def textFromValue(self, value: int) -> str:
        return LIVE if self.live else f"{value:,}"

    def valueFromText(self, text: str) -> int:
        bare = self._bare(text)
        digits = bare.replace(",", "")
        return int(digits) if digits.isdigit() else self.maximum()  # "live": the newest

    def validate(self, text: str, pos: int):
        bare = self._bare(text).lower()
        digits = bare.replace(",", "")
        if not bare:
            state = QValidator.Intermediate
        elif LIVE.startswith(bare):
            state = QValidator.Acceptable if bare == LIVE else QValidator.Intermediate
        elif digits.isdigit():
            state = QValidator.Acceptable if self.minimum() <= int(digits) <= self.maximum() else QValidator.Intermediate
        else:
            state = QValidator.Invalid
        return state, text, pos

    def _bare(self, text: str) -> str:
        text = text.strip()
        return text[len(self.prefix()):].strip() if self.prefix() and text.startswith(self.prefix().strip()) else text

    def refresh(self) -> None:
        """Show the value again (after `live` or the prefix changed: the spin box would not)."""
        self.lineEdit().setText(self.prefix() + self.textFromValue(self.value()))


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
        self.step_box = StepBox()
        self.step_box.setPrefix("step ")
        self.step_box.setKeyboardTracking(False)  # jump when the typed step is complete
        self.step_box.setToolTip(STEP_TIP)
        self.step_box.valueChanged.connect(self._typed)
        row.addWidget(self.step_box)
        self.where = QLabel("")
        row.addWidget(self.where)
        self.steps = np.zeros(0, np.int64)
        self.live = False        # a run is on: its newest position shows the live pictures
        self.last_step = None    # how far training went (None: not known)

    def set_steps(self, steps: np.ndarray) -> None:
        """The snapshot steps; the slider goes to the last one."""
        self._set_range(steps)
        if len(self.steps):
            self.go_to(len(self.steps) - 1, force=True)
        else:
            self._label(0)

    def set_live(self, live: bool) -> None:
        """Whether the panels at the newest position show a run as it trains (not a snapshot)."""
        self.live = live
        self._label(self.slider.value())

    def set_last_step(self, step: int | None) -> None:
        """The last step trained, said at the newest position when it is past the newest snapshot."""
        self.last_step = step
        self._label(self.slider.value())

    def extend_steps(self, steps: np.ndarray) -> None:
        """More snapshot steps (a session still being written). A slider at the newest step follows the
        new ones; one the viewer moved back stays where it is."""
        index = self.slider.value()
        at_end = self.at_newest()
        self._set_range(steps)
        if at_end and len(self.steps):
            self.go_to(len(self.steps) - 1, force=True)
        else:
            self._label(index)

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
        self._label(index)
        self.stepChosen.emit(int(self.steps[index]))

    def _label(self, index: int) -> None:
        """The step box and the words beside it for position `index`."""
        n = len(self.steps)
        live = self.live and (n == 0 or index == n - 1)
        box = self.step_box
        box.blockSignals(True)
        box.live = live
        box.setPrefix("" if live else "step ")
        box.setValue(int(self.steps[index]) if n else 0)
        box.refresh()
        box.blockSignals(False)
        box.setToolTip(LIVE_TIP if live else STEP_TIP)
        if live:
            self.where.setText(f"{n} snapshot{'s' if n != 1 else ''} kept" if n else "")
        elif not n:
            self.where.setText("")
        else:
            text = f"snapshot {index + 1} of {n}"
            newest = int(self.steps[-1])
            if index == n - 1 and self.last_step is not None and self.last_step > newest:
                text += f"; trained on to step {self.last_step:,}"
            self.where.setText(text)
