"""Chooses two items (held-out digits) for a panel that shows a path between them."""
import random

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget


class PairPicker(QWidget):
    chosen = Signal(int, int)  # from, to

    def __init__(self, count: int, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.spin_a, self.spin_b = QSpinBox(), QSpinBox()
        for spin, tip in ((self.spin_a, "The held-out digit the path starts from (or left-click a point in the "
                                        "latent scatter)"),
                          (self.spin_b, "The held-out digit the path ends at (or right-click, or shift-click, "
                                        "a point in the latent scatter)")):
            spin.setRange(0, max(0, count - 1))
            spin.setToolTip(tip)
            spin.valueChanged.connect(self._changed)
        self.random = QPushButton("Random pair")
        self.random.setToolTip("Two held-out digits chosen at random")
        self.random.clicked.connect(self.pick_random)
        layout.addWidget(QLabel("from digit #"))
        layout.addWidget(self.spin_a)
        layout.addWidget(QLabel("to #"))
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

    def pick(self, index: int, end: int) -> None:
        """Set one end (0: from, 1: to) and announce the new pair."""
        (self.spin_a if end == 0 else self.spin_b).setValue(index)

    def pick_random(self) -> None:
        if self.count < 2:
            return
        a, b = random.sample(range(self.count), 2)
        self.set_pair(a, b)
        self._changed()

    def _changed(self, *_):
        self.chosen.emit(*self.pair())
