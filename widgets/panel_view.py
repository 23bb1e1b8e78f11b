"""What every live panel view shares: a two-line title with the step, a timed graphics view, and a
budgeted pull of the newest content from its `source` (see refresh.py)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.refresh import BudgetedRefresh, TimedGraphicsLayout, fix_two_lines

MIN_S, SHARE = 0.25, 0.01  # a few redraws a second, at most 1% of the GUI thread


class PanelView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("")
        fix_two_lines(self.title)
        layout.addWidget(self.title)
        self.view = TimedGraphicsLayout()
        self.label = ""
        self.in_dock = False  # a dock's title bar says the label: the view's own title then says the step
        self.step = None
        self.source = None  # a callable returning (step, content) or None: the newest content to show
        self.refresher = BudgetedRefresh(self._refresh, MIN_S, SHARE, self)
        self.view.refresher = self.refresher

    def _refresh(self) -> None:
        self._pull()
        self.view.settle()

    def _pull(self) -> None:
        found = self.source() if self.source is not None else None
        if found is not None:
            self.show_content(*found)

    def setup(self, panel) -> None:
        self.label, self.step = panel.label, None
        self.title.setText(panel.label)
        self.title.setToolTip(panel.label)

    def docked(self, lines: int = 1) -> None:
        """The view sits in a dock titled with its label: its own title keeps to the step (and notes)."""
        self.in_dock = True
        self.title.setFixedHeight(lines * self.title.fontMetrics().lineSpacing() + 4)
        self.title.setText("")

    @property
    def heading(self) -> str:
        """The label where the view's own title must say it (not in a dock)."""
        return "" if self.in_dock else self.label

    def show_content(self, step: int, content) -> None:
        """Draw one snapshot of the panel (an image stack, a frame, points) taken at `step`."""
        raise NotImplementedError

    def _titled(self, step: int) -> None:
        self.step = step
        self.title.setText(f"{self.heading} — step {step:,}" if self.heading else f"step {step:,}")
