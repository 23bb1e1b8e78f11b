"""The status bar's numbers, a view of the viewer state: the run's state, step, speed, training time, device,
session file, and the run budget's ETA. It renders state events only; nobody else writes these labels."""
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar

from studio.progress import format_clock
from studio.viewer.sources import LiveRun
from widgets.refresh import BudgetedRefresh

NO_STEP, NO_RATE, NO_CLOCK = "step –", "– steps/s", "0:00:00"  # the status bar without a run


class StatusLabels(QObject):
    def __init__(self, state, bar: QStatusBar, budget_text=None, parent=None):
        """`budget_text(status)`: the budget label's text for a live status, or None to leave it."""
        super().__init__(parent)
        self.state, self.budget_text = state, budget_text
        self.step, self.rate, self.time = QLabel(NO_STEP), QLabel(NO_RATE), QLabel(NO_CLOCK)
        self.device, self.run_state, self.file = QLabel(""), QLabel(""), QLabel("")
        self.budget = QLabel("")
        # Fixed widths: a label that grows with its text would re-lay out the window at every update.
        metrics = bar.fontMetrics()
        for label, template in ((self.run_state, "preparing…"), (self.step, "step 00,000,000"),
                                (self.rate, NO_RATE), (self.time, "000:00:00"), (self.device, "CPU (00 threads)")):
            label.setFixedWidth(metrics.horizontalAdvance(template) + 12)
            bar.addWidget(label)
        # The state may grow, rarely (a followed session's "live (read-only)"), rather than be cut.
        self.run_state.setMinimumWidth(self.run_state.maximumWidth())
        self.run_state.setMaximumWidth(16777215)
        self._fit_rate(False)
        self.budget.setFixedWidth(metrics.horizontalAdvance("budget 00,000,000 steps · 000:00:00 left") + 12)
        bar.addWidget(self.budget)
        bar.addPermanentWidget(self.file)
        self.last_status = None
        # A status arrives several times a second; the labels are redrawn within a small share of the GUI thread.
        self.refresh = BudgetedRefresh(self._show, 0.5, 0.005, self)
        events = state.events
        events.run_state.connect(self._run_state)
        events.source.connect(self._source)
        events.status.connect(self._on_status)
        events.last_step.connect(self._last_step)
        events.following.connect(lambda _on: self.run_state.setText(state.state_label()))

    def _fit_rate(self, frames: bool) -> None:
        template = "00000.0 steps/s" + (" · 00,000 frames/s" if frames else "")
        self.rate.setFixedWidth(self.rate.fontMetrics().horizontalAdvance(template) + 12)

    def reset(self) -> None:
        """No run's numbers: a new run or another model must not show the old ones."""
        self.last_status = None  # a redraw still pending shows nothing
        for label, text in ((self.step, NO_STEP), (self.rate, NO_RATE), (self.time, NO_CLOCK),
                            (self.device, ""), (self.file, "")):
            label.setText(text)

    def _run_state(self, _state: str) -> None:
        if self.state.preparing:
            self.reset()
        self.run_state.setText(self.state.state_label())

    def _source(self, source) -> None:
        self.reset()
        if isinstance(source, LiveRun):
            info = source.info
            if info is not None:
                self.device.setText(info.device_name)
                self._fit_rate(bool(info.frames_per_step))
                self.rate.setToolTip(f"agent steps per second; each is {info.frames_per_step} frames of the game"
                                     if info.frames_per_step else "training steps per second")
                self.file.setText(info.session_path or "")
        elif source is not None:  # an opened session
            self.step.setText(f"step {source.last_step():,}")
            # The file holds no speed or training time: the last run's figures must not stay beside its step.
            self.rate.setText("– steps/s")
            self.time.setText("–")
            self.device.setText(source.reader.device)
            self.file.setText(source.path)
        self.run_state.setText(self.state.state_label())

    def _last_step(self, step) -> None:
        if step is not None and self.state.source is not None and self.state.live_run is None:
            self.step.setText(f"step {step:,}")  # a followed session grew

    def _on_status(self, status) -> None:
        self.last_status = status
        if self.state.run_state == "running":
            self.refresh.request()
        else:
            self.refresh.now()

    def _show(self) -> None:
        status = self.last_status
        if status is None:
            return
        self.step.setText(f"step {status.step:,}")
        run = self.state.live_run
        per = run.info.frames_per_step if run is not None and run.info is not None else 0
        frames = f" · {status.steps_per_s * per:,.0f} frames/s" if per else ""
        self.rate.setText(f"{status.steps_per_s:.1f} steps/s{frames}")
        self.time.setText(format_clock(status.elapsed_s))
        if status.threads is not None:  # the run tunes its CPU threads to the machine's load
            self.device.setText(f"CPU ({status.threads} thread{'s' if status.threads != 1 else ''})")
        text = self.budget_text(status) if self.budget_text is not None else None
        if text is not None:
            self.budget.setText(text)
