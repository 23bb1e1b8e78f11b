"""One slider over every step at which a saved session has snapshots: moving it (dragging, ← →, Home /
End, or typing a step) shows every panel as it was at that step.

During a run the panels at the newest position show the run as it trains, newer than its newest snapshot:
the step box then reads "live" rather than a step the panels are past. For a session whose training went
on after its newest snapshot, the newest position says how far it went (the status bar's step)."""
import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QWidget

from studio.viewer.state import ViewerState

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
    """A view of the viewer state's timeline (studio/viewer/state.py): it draws `steps`, the position,
    `live` and `last_step`, and writes the viewer's moves back to the state."""
    stepChosen = Signal(int)  # a step of the timeline (echoes the state's `step` event)

    def __init__(self, state: ViewerState | None = None, parent=None):
        super().__init__(parent)
        self.state = state if state is not None else ViewerState()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Timeline"))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Every panel as it was at this step (← → move one snapshot, Home / End)")
        self.slider.valueChanged.connect(lambda index: self.state.choose(index))
        row.addWidget(self.slider, 1)
        self.step_box = StepBox()
        self.step_box.setPrefix("step ")
        self.step_box.setKeyboardTracking(False)  # jump when the typed step is complete
        self.step_box.setToolTip(STEP_TIP)
        self.step_box.valueChanged.connect(lambda step: self.state.choose_step(step))
        row.addWidget(self.step_box)
        self.where = QLabel("")
        row.addWidget(self.where)
        ev = self.state.events
        self._bindings = [ev.steps.connect(lambda _s: self._render()), ev.step.connect(self._stepped),
                          ev.live.connect(lambda _l: self._render()), ev.last_step.connect(lambda _s: self._render())]
        self._render()

    # Kept for the callers and tests that drive the bar; each only changes the state.
    @property
    def steps(self) -> np.ndarray:
        return self.state.steps

    @property
    def live(self) -> bool:
        return self.state.live

    @property
    def last_step(self):
        return self.state.last_step

    def set_steps(self, steps: np.ndarray) -> None:
        """The snapshot steps; the slider goes to the last one."""
        self.state.set_steps(steps)

    def set_live(self, live: bool) -> None:
        self.state.set_live(live)

    def set_last_step(self, step: int | None) -> None:
        self.state.set_last_step(step)

    def extend_steps(self, steps: np.ndarray) -> None:
        """More snapshot steps (a session still being written). A slider at the newest step follows the
        new ones; one the viewer moved back stays where it is."""
        self.state.extend_steps(steps)

    def at_newest(self) -> bool:
        return self.state.at_newest

    def go_to(self, index: int, force: bool = False) -> None:
        self.state.choose(index, force)

    def unbind(self) -> None:
        for handle in self._bindings:
            handle.disconnect()

    def _stepped(self, step) -> None:
        self._render()
        if step is not None:
            self.stepChosen.emit(int(step))

    def _render(self) -> None:
        st = self.state
        n = len(st.steps)
        self.setEnabled(n > 0)
        for w in (self.slider, self.step_box):
            w.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.slider.setValue(st.index)
        self.step_box.setRange(0, int(st.steps[-1]) if n else 0)
        for w in (self.slider, self.step_box):
            w.blockSignals(False)
        self._label(st.index)

    def _label(self, index: int) -> None:
        """The step box and the words beside it for position `index`."""
        steps = self.state.steps
        n = len(steps)
        live = self.state.live and (n == 0 or index == n - 1)
        box = self.step_box
        box.blockSignals(True)
        box.live = live
        box.setPrefix("" if live else "step ")
        box.setValue(int(steps[index]) if n else 0)
        box.refresh()
        box.blockSignals(False)
        box.setToolTip(LIVE_TIP if live else STEP_TIP)
        if live:
            self.where.setText(f"{n} snapshot{'s' if n != 1 else ''} kept" if n else "")
        elif not n:
            self.where.setText("")
        else:
            text = f"snapshot {index + 1} of {n}"
            newest = int(steps[-1])
            last = self.state.last_step
            if index == n - 1 and last is not None and last > newest:
                text += f"; trained on to step {last:,}"
            self.where.setText(text)
