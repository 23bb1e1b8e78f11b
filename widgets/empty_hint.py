"""What the views area says while it has nothing to show: what to do first, or that a run is preparing."""
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

KEYS = (("Space", "Start, then Pause / Resume"), ("S", "one training step"), ("Ctrl+.", "Stop and save"),
        ("Ctrl+O", "open a saved session"), ("Ctrl+L", "the list of saved sessions"))


class EmptyHint(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.title.setFont(font)
        self.body = QLabel()  # lines broken by hand: a word-wrapped label centred in a layout gets cut off
        self.keys = QLabel(_key_table())
        for label in (self.title, self.body, self.keys):
            label.setAlignment(Qt.AlignHCenter)
            label.setTextInteractionFlags(Qt.NoTextInteraction)
        # The theme's muted text colour: a hint, not content, and readable on dark themes too.
        for label in (self.body, self.keys):
            label.setForegroundRole(QPalette.PlaceholderText)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addSpacing(10)
        layout.addWidget(self.body, 0, Qt.AlignHCenter)
        layout.addSpacing(22)
        layout.addWidget(self.keys, 0, Qt.AlignHCenter)
        # A data set's download while the run prepares (studio/data/download.py): one file at a time.
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(360)
        self.bar.setVisible(False)
        layout.addWidget(self.bar, 0, Qt.AlignHCenter)
        layout.addStretch(3)
        self.welcome()

    def welcome(self) -> None:
        self.bar.setVisible(False)
        self.title.setText("Ready to train")
        self.body.setText("Pick a model on the left, then press Space (or Start) to train.<br>"
                          "Open a saved session with Ctrl+O, or drop an .h5 file on the window.")
        self.keys.setVisible(True)

    def preparing(self) -> None:
        self.bar.setVisible(False)
        self.title.setText("Preparing the run…")
        self.body.setText("Loading the data and building the model.<br>The curves and samples appear here.")
        self.keys.setVisible(False)

    def download(self, label: str, done: int, total: int) -> None:
        """A data set's file coming in: its name, its size so far and a bar (busy, when the size is unknown)."""
        finished = total > 0 and done >= total
        self.title.setText("Preparing the run…")
        size = f"{_size(done)} of {_size(total)}" if total else _size(done)
        self.body.setText(f"{'Downloaded' if finished else 'Downloading'} {label}: {size}<br>"
                          "once only: later runs use the copy kept in the cache folder")
        self.bar.setVisible(True)
        self.bar.setRange(0, 1000 if total else 0)
        if total:
            self.bar.setValue(min(1000, int(1000 * done / total)))

    def text(self) -> str:
        return f"{self.title.text()} {self.body.text()}"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _key_table() -> str:
    rows = "".join(f"<tr><td align='right' style='padding: 2px 12px'><b>{key}</b></td><td>{what}</td></tr>"
                   for key, what in KEYS)
    return f"<table>{rows}</table>"
