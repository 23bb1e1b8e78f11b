"""Run ▸ Run Budget…: when the next run ends by itself (steps, minutes, or a metric reaching a value).
The form is the Budget config's own (studio/budget.py), so it refuses what the runner would refuse."""
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from studio.budget import Budget
from studio.errors import ConfigError
from widgets.config_form import ConfigForm


class BudgetDialog(QDialog):
    def __init__(self, budget: Budget, metrics: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Run Budget")
        layout = QVBoxLayout(self)
        intro = QLabel("The run stops and saves by itself at whichever comes first. 0 or empty: no limit.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = ConfigForm(Budget)
        self.form.set_values(budget)
        layout.addWidget(self.form)
        known = QLabel("Metrics of this model: " + ", ".join(metrics) if metrics else
                       "The model's metrics are listed here once it has run (its curves' keys).")
        known.setWordWrap(True)
        layout.addWidget(known)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.metrics = metrics
        self.budget = budget

    def _accept(self) -> None:
        try:
            budget = self.form.config()
        except ConfigError as exc:
            self.error.setText(str(exc))
            return
        if budget.metric and self.metrics and budget.metric not in self.metrics:
            self.error.setText(f"'{budget.metric}' is not a metric of this model (one of: {', '.join(self.metrics)})")
            return
        self.budget = budget
        self.accept()
