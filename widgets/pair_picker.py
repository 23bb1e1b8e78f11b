"""Chooses two items (held-out digits), A and B, for a panel that shows a path between them: by number, at
random, or (through `choose`) by two clicks in the latent scatter."""
import random

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget


class PairPicker(QWidget):
    chosen = Signal(int, int)        # A, B
    enabledChanged = Signal(bool)    # the scatter takes clicks only while the picker does

    def __init__(self, count: int, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.spin_a, self.spin_b = QSpinBox(), QSpinBox()
        for spin, tip in ((self.spin_a, "A: the held-out digit the path starts from (or click a point in the "
                                        "latent scatter, then B)"),
                          (self.spin_b, "B: the held-out digit the path ends at (or the second point you "
                                        "click in the latent scatter)")):
            spin.setRange(0, max(0, count - 1))
            spin.setToolTip(tip)
            spin.valueChanged.connect(self._changed)
        self.random = QPushButton("Random")  # short: the picker must fit a narrow panel column
        self.random.setToolTip("Two held-out digits chosen at random")
        self.random.clicked.connect(self.pick_random)
        layout.setSpacing(4)
        layout.addWidget(QLabel("A"))
        layout.addWidget(self.spin_a)
        layout.addWidget(QLabel("→ B"))
        layout.addWidget(self.spin_b)
        layout.addWidget(self.random)
        layout.addStretch(1)
        self.count = count

    def pair(self) -> tuple[int, int]:
        return self.spin_a.value(), self.spin_b.value()

    def set_pair(self, a: int, b: int) -> None:
        """Show a pair without announcing it (it is already the trainer's)."""
        for spin, value in ((self.spin_a, a), (self.spin_b, b)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def choose(self, a: int, b: int) -> None:
        """Show a new pair and announce it once (not once per end)."""
        self.set_pair(a, b)
        self._changed()

    def pick_random(self) -> None:
        if self.count < 2:
            return
        self.choose(*random.sample(range(self.count), 2))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.EnabledChange:
            self.enabledChanged.emit(self.isEnabled())

    def _changed(self, *_):
        self.chosen.emit(*self.pair())
