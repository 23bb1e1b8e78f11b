"""The main window: setup on the left, live curves and samples in the middle, the run's state below."""
import time
from pathlib import Path

import pyqtgraph as pg

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QPlainTextEdit,
                               QStackedWidget, QStyle, QToolBar, QVBoxLayout, QWidget)

from studio.budget import NOTE as BUDGET_NOTE, Budget, eta_seconds
from studio.errors import ConfigError
from studio.progress import format_clock
from studio.runs import new_run
from studio.session.paths import folder_is_writable, new_session_path, sessions_dir
from studio.viewer.sources import LiveRun
from studio.viewer.state import ViewerState
from widgets.empty_hint import EmptyHint
from widgets.episode_player import EpisodePlayer
from widgets.game_view import GameView
from widgets.main_thread_gc import install_main_thread_gc
from widgets.menus import Menus
from widgets.panel_docks import PanelDocks, make_dock
from widgets.notifier import Notifier
from widgets.themes import Appearance, restyle
from widgets.metric_plots import MetricPlots
from widgets.recovery_dialog import CrashRecovery
from widgets.run_bridge import RunBridge
from widgets.run_keys import RunKeys
from widgets.session_actions import SessionActions
from widgets.setup_panel import SetupPanel
from widgets.status_labels import StatusLabels
from widgets.timeline import TimelineBar
from widgets.view_bindings import LogBinding, PanelBinding, PlayerBinding, PlotsBinding
from widgets.window_memory import WindowMemory
from widgets.worker import TrainingThread


CLOSE_WAIT_MS = 5000  # how long closing waits for the current step before it keeps the window open


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        install_main_thread_gc()  # before any worker thread exists: collections only on this thread
        self.setWindowTitle("Training Studio")
        self.resize(1280, 800)
        self.run: TrainingThread | None = None
        self.viewer = ViewerState()    # what is on screen; every view renders it (studio/viewer/state.py)
        self.info = None               # RunInfo of the current run
        self.current_config = None     # the config the trainer runs with now

        self.setup = SetupPanel()
        self.plots = MetricPlots()
        self.docks = PanelDocks(self)      # one dock per panel of the model, and the episode player
        self.timeline = TimelineBar(self.viewer)
        self.timeline.setVisible(False)
        self.sessions = SessionActions(self)     # open, follow, resume saved sessions
        self.setAcceptDrops(True)
        self._bindings = []   # the panel views' subscriptions to the viewer state, let go with the panels
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("Events of the run: setting changes, checkpoints, warnings.")

        # The middle: the banner, the timeline and the curves (or the hint while there is nothing to
        # show). Everything else is a dock around it.
        self.views = self.plots
        self.plots.setMinimumWidth(340)  # the docks around may not squeeze the curves' axes and legends
        self.hint = EmptyHint()
        self.view_stack = QStackedWidget()
        self.view_stack.addWidget(self.hint)
        self.view_stack.addWidget(self.plots)
        middle = QWidget()
        mid = QVBoxLayout(middle)
        mid.setContentsMargins(0, 0, 0, 0)
        mid.addWidget(self.banner)
        mid.addWidget(self.timeline)
        mid.addWidget(self.view_stack, 1)
        self.setCentralWidget(middle)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks | QMainWindow.AllowNestedDocks)
        self.settings_dock = make_dock(self, "dock:settings", "Settings", self.setup)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.settings_dock)
        self.events_dock = make_dock(self, "dock:events", "Events", self.log)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.events_dock)
        self.resizeDocks([self.settings_dock], [330], Qt.Horizontal)
        self.resizeDocks([self.events_dock], [110], Qt.Vertical)

        self._make_actions()
        self.appearance = Appearance()
        self.budget = Budget()          # the next run's (Run ▸ Run Budget…)
        self._budget_from, self._ended_note = None, ""
        self.notifier = Notifier(self)
        self.memory = WindowMemory(self)   # before the menus: View ▸ Reset Layout and Open Recent use it
        self.menus = Menus(self)
        self.sessions.opened.connect(self.memory.settings.add_recent)
        self.recovery = CrashRecovery(self)  # sessions a crash left open; widgets/app.py asks at launch
        self._make_status_bar()
        self.setup.model_chosen.connect(self._model_chosen)
        self._fixed_bindings = [PlotsBinding(self.plots, self.viewer), LogBinding(self.log, self.viewer)]
        self.viewer.events.source.connect(self._source_changed)
        self.viewer.events.steps.connect(lambda steps: self.timeline.setVisible(len(steps) > 0))
        self.viewer.events.run_state.connect(lambda _s: self._render_run_state())
        self.viewer.events.message.connect(self._render_message)
        self._render_run_state()
        self.memory.restore()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):  # Qt ≥ 6.5: the desktop switched between light and dark
            hints.colorSchemeChanged.connect(lambda *_: self.set_appearance() if self.appearance.choice == "system" else None)

    # --- construction ---
    def _make_actions(self):
        bar = QToolBar("Run")
        bar.setObjectName("run-toolbar")  # saveState() names what it saves by objectName
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        icon = self.style().standardIcon
        self._icons = {"play": icon(QStyle.SP_MediaPlay), "pause": icon(QStyle.SP_MediaPause)}
        self.act_start = QAction(self._icons["play"], "Start", self, shortcut=QKeySequence(Qt.Key_Space),
                                 triggered=self.start_or_pause)
        self.act_start.setToolTip("Start training (Space); Space again pauses and resumes")
        self.act_start.setAutoRepeat(False)  # a held Space must not flicker between pause and resume
        self.act_step = QAction(icon(QStyle.SP_MediaSkipForward), "Step", self, shortcut=QKeySequence("S"),
                                triggered=self.step_once)
        self.act_step.setToolTip("Run one training step, then stay paused (S)")
        self.act_stop = QAction(icon(QStyle.SP_MediaStop), "Stop", self, shortcut=QKeySequence("Ctrl+."),
                                triggered=self.stop)
        self.act_stop.setToolTip("Stop and save the session (Ctrl+.)")
        for act in (self.act_start, self.act_step, self.act_stop):
            bar.addAction(act)
        self.run_keys = RunKeys(self, (self.act_start, self.act_step, self.act_stop, self.sessions.act_resume))
        bar.addSeparator()
        bar.addAction(self.sessions.act_resume)

    def _make_status_bar(self):
        self.status_labels = StatusLabels(self.viewer, self.statusBar(), self._budget_text, self)
        labels = self.status_labels  # plain references: the tests and the screenshot script read them
        self.lbl_step, self.lbl_rate, self.lbl_time = labels.step, labels.rate, labels.time
        self.lbl_device, self.lbl_state, self.lbl_file = labels.device, labels.run_state, labels.file
        self.lbl_budget = labels.budget  # the run budget and its ETA (Run ▸ Run Budget…)

    # --- state ---
    @property
    def state(self) -> str:
        return self.viewer.run_state

    def _set_state(self, state: str):
        self.viewer.set_run_state(state)

    def _render_run_state(self) -> None:
        state = self.viewer.run_state
        self.act_start.setText({"idle": "Start", "running": "Pause", "paused": "Resume",
                                "stopping": "Stopping…"}[state])
        self.act_start.setIcon(self._icons["pause" if state == "running" else "play"])
        self.act_start.setEnabled(state != "stopping")
        active = self.viewer.active  # a run that takes orders (running or paused)
        self.act_step.setEnabled(active)
        self.act_stop.setEnabled(active)
        self.setup.set_mode({"idle": "all", "paused": "live"}.get(state, "none"))

    def _model_chosen(self, _kind: str) -> None:
        """Another model picked: the previous one's curves, panels and numbers go, and the hint is back.
        An opened session is closed too: the form showed its model's settings, and a session under
        another model's form would be ambiguous (what would Start or Resume continue?)."""
        if self.state != "idle":
            return  # the combo is disabled while a run is on
        self.close_viewed()
        self.clear_views()

    def clear_views(self) -> None:
        """Nothing on screen: no curves, panels, timeline, events or run numbers; the hint says what to do."""
        self.viewer.close_source()
        self.info = self.current_config = None
        self.show_message("")
        self.hint.welcome()
        self.view_stack.setCurrentWidget(self.hint)

    def show_message(self, text: str, error: bool = False):
        self.viewer.say(text, error)

    def _render_message(self, text: str, error: bool) -> None:
        theme = self.appearance.theme
        color = theme.banner_error if error else theme.banner_ok
        self.banner.setStyleSheet(f"background: {color}; color: {theme.banner_text}; padding: 6px; border-radius: 3px;")
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def set_appearance(self, choice: str | None = None, presentation: bool | None = None) -> None:
        """View ▸ Theme and Presentation Mode: the app's palette and fonts, every plot of this window and
        of its compare windows, the curves' line width and the banner."""
        a = self.appearance
        choice = a.choice if choice is None else choice
        presentation = a.presentation if presentation is None else presentation
        a.set(choice, presentation, roots=[self] + list(self.sessions.comparisons))
        self.plots.set_line_width(2.0 if presentation else 1.0)
        self.plots.readout.label.fill = pg.mkBrush(*a.theme.readout_fill)
        self._render_message(*self.viewer.message)
        self.menus.show_appearance(a.choice, a.presentation)

    # --- user actions ---
    def new_run(self) -> None:
        """File ▸ New Run: an empty window with the form, ready for Start (a run on screen goes on)."""
        if self.state != "idle":
            self.show_message("A run is on: stop it (Ctrl+.) before setting up a new one.", error=True)
            return
        self.close_viewed()
        self.clear_views()

    def start_or_pause(self):
        if self.state == "idle":
            self.start()
        elif self.state == "running":
            self.pause()
        elif self.state == "paused":
            self.resume()

    # --- saved sessions (widgets/session_actions.py) ---
    @property
    def viewed(self):
        """The saved session on screen (File ▸ Open), or None."""
        return self.sessions.viewed

    @property
    def session_path(self) -> str | None:
        """The session file on screen: the run's own, or the opened one."""
        return self.viewer.session_path

    @property
    def live(self) -> LiveRun | None:
        """The run on screen (running, or ended and kept in memory), or None."""
        return self.viewer.live_run

    def open_session(self, path) -> bool:
        return self.sessions.open(path)

    def close_viewed(self) -> None:
        self.sessions.close()

    def show_setup_of(self, reader) -> None:
        """The form shows the opened session's model and settings (a start from here repeats them)."""
        from studio import config as cfg
        from studio.errors import StudioError
        from studio.trainers.registry import TRAINERS
        if reader.kind not in TRAINERS:
            return
        self.setup.show_model(reader.kind)
        try:
            self.setup.form.set_values(cfg.from_dict(TRAINERS[reader.kind].config_cls, reader.config))
        except (StudioError, TypeError, ValueError):
            pass  # settings this version no longer knows: the form keeps the model's defaults

    def dragEnterEvent(self, event):
        urls = event.mimeData().urls()
        if self.state == "idle" and len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event):
        self.open_session(event.mimeData().urls()[0].toLocalFile())

    # --- runs ---
    def start(self):
        kind = self.setup.kind()
        try:
            config, settings = self.setup.config(), self.setup.settings()
        except ConfigError as exc:
            self.show_message(f"Not started: {exc}", error=True)
            return
        out = None
        if not folder_is_writable(sessions_dir()):
            out, _ = QFileDialog.getSaveFileName(
                self, f"The sessions folder {sessions_dir()} cannot be written: save this session where?",
                str(Path.home() / new_session_path(kind).name), "Training Studio sessions (*.h5)")
            if not out:
                self.show_message(f"Not started: {sessions_dir()} cannot be written and no other place was "
                                  "chosen for the session.", error=True)
                return
        self.show_message("")
        self.close_viewed()
        self.launch(lambda progress: new_run(kind, config, settings, out, progress=progress))
        self.current_config = config

    def launch(self, prepare, carry=None) -> None:
        """Run `prepare(progress)` (a new or resumed PreparedRun; `progress` hears of a data set's download)
        and its training in the worker thread; `carry`: what a resumed session's views go on from."""
        self.log.clear()
        self.current_config = None  # known once the run has started (a resumed one brings its own)
        self.hint.preparing()  # until the run has started and built its views
        self.view_stack.setCurrentWidget(self.hint)
        self.run = TrainingThread(prepare, budget=self.budget if self.budget.is_set() else None)
        self._budget_from = None  # (step, training time) where this run began, from its first status
        self._ended_note = ""
        self.bridge = RunBridge(self.viewer, self.run, self)  # first: the views exist before _on_started
        signals = self.run.sink.signals
        signals.started.connect(self._on_started)
        signals.event_ready.connect(self._on_event)
        signals.download.connect(self.hint.download)
        self.run.worker.finished.connect(self._on_finished)
        self.run.worker.failed.connect(self._on_failed)
        self.run.thread.finished.connect(self._on_thread_done)
        self.viewer.prepare_run(carry)
        self.run.start()

    def pause(self):
        if self.run:
            self.run.control.pause()
            self._set_state("paused")

    def _send_config(self) -> bool:
        """Hand edited live fields to the trainer; False (and a message) when a value is invalid."""
        try:
            new = self.setup.config(base=self.current_config)
        except ConfigError as exc:
            self.show_message(f"Not applied: {exc}", error=True)
            return False
        if new != self.current_config:
            self.run.control.set_config(new)
            self.current_config = new
        self.show_message("")
        return True

    def resume(self):
        if self.run and self._send_config():
            self.run.control.resume()
            self._set_state("running")

    def step_once(self):
        if not self.run or self.state not in ("running", "paused"):
            return
        if self.state == "running":
            self.pause()
        if self.run.control.steps_pending:  # key auto-repeat must not queue up steps
            return
        if self._send_config():
            self.run.control.step(1)

    def stop(self):
        if self.run and self.state in ("running", "paused"):
            self.run.control.stop()
            self._set_state("stopping")

    # --- from the worker ---
    def _on_started(self, info):
        """The run has started (its views were built from the viewer state's new source): the form shows
        its settings, the status bar its device and file."""
        self.info = info
        self.current_config = info.config
        self.setup.show_model(info.kind)
        self.setup.form.set_values(info.config)  # a resumed run goes on with its checkpoint's settings
        if info.session_path:
            self.memory.settings.add_recent(info.session_path)

    @property
    def grids(self) -> dict:
        return self.docks.grids

    @property
    def player(self) -> EpisodePlayer | None:
        return self.docks.player

    def _source_changed(self, source) -> None:
        """Another source on screen (a run that started, an opened or reloaded session, or nothing): the
        curves and panel docks are rebuilt from what it declares, each view subscribed to the state."""
        if source is None:
            self.plots.setup([])
            self._remove_panels()
            return
        self.plots.setup(source.series)
        self.build_panels(source.panels, source.episode_spec)
        if isinstance(source, LiveRun):
            info = source.info
            for grid in self.grids.values():
                if isinstance(grid, GameView) and info.frames is not None:  # the game at its own pace
                    grid.stream_from(info.frames, live=lambda: self.viewer.showing_live)
            self._connect_choices(info)

    def build_panels(self, panels, episodes) -> None:
        """Replace the panel docks by one per panel (and an episode player for a game agent), each bound
        to the viewer state, and show the views; the arrangement last made for these panels comes back."""
        self._remove_panels()
        self.docks.build(panels, episodes)
        self._bindings = [PanelBinding(view, key, self.viewer) for key, view in self.grids.items()]
        if self.player is not None:
            self._bindings.append(PlayerBinding(self.player, self.viewer))
        self.view_stack.setCurrentWidget(self.plots)
        self.memory.restore_docks()
        restyle(self, self.appearance.theme, self.appearance.scale)
        self.menus.show_panels(self.docks.toggle_actions())

    def _remove_panels(self) -> None:
        for binding in self._bindings:
            binding.unbind()
        self._bindings = []
        if self.docks.docks:
            self.memory.save_docks()
        self.docks.remove()
        self.menus.show_panels([])

    def _connect_choices(self, info) -> None:
        """Pair pickers send the viewer's choice to the trainer; scatters choose by two clicks (A, then B),
        ring the pair, and take clicks only while their picker is enabled (a running or paused run)."""
        for panel in info.panels:
            picker = getattr(self.grids[panel.key], "picker", None)
            if picker is None:
                continue
            rings = [self.grids[p.key] for p in info.panels if p.kind == "points" and p.pick_for == panel.key]
            if panel.key in info.views:
                picker.set_pair(*info.views[panel.key])
                for scatter in rings:
                    scatter.mark(*info.views[panel.key])
            picker.chosen.connect(lambda a, b, key=panel.key, rings=rings: self._choose(key, (a, b), rings))
            for scatter in rings:
                scatter.pairPicked.connect(picker.choose)
                picker.enabledChanged.connect(scatter.set_picking)
                scatter.set_picking(picker.isEnabled())

    def _choose(self, key: str, value, rings) -> None:
        for scatter in rings:
            scatter.mark(*value)
        if self.run is not None and self.state in ("running", "paused"):
            self.run.control.set_view(key, value)

    def _budget_text(self, status) -> str | None:
        """The budget label during a run: the budget and the time left (None: no budget)."""
        if not self.budget.is_set() or self.run is None:
            return None
        if self._budget_from is None:
            start = self.info.start_step if self.info is not None else status.step
            self._budget_from = (start, status.elapsed_s)
        left = eta_seconds(self.budget, status.step, status.steps_per_s, status.elapsed_s, *self._budget_from)
        return f"budget {self.budget.describe()}" + (f" · {format_clock(left)} left" if left is not None else "")

    def set_budget(self, budget) -> None:
        """The budget of the next run (Run ▸ Run Budget…)."""
        self.budget = budget
        self.lbl_budget.setText(f"next run: {budget.describe()}" if budget.is_set() else "")
        self.lbl_budget.setToolTip("Set in Run ▸ Run Budget…")

    def _on_event(self, event):
        self.viewer.log(event.step, event.kind, event.message)
        if event.kind == "info" and event.message.startswith(BUDGET_NOTE):
            self._ended_note = event.message[len(BUDGET_NOTE):].split(";")[0] + " (run budget)"
        if event.kind == "error" and self.state in ("running", "paused"):
            self.show_message(event.message, error=True)
            self.notifier.notify("Training halted", event.message, error=True)
            self.run.control.pause()  # the loop has paused itself; a Resume racing with that is undone
            self._set_state("paused")

    def _on_finished(self, reason: str):
        where = f" Session saved in {self.session_path}." if self.session_path else ""
        why = f": {self._ended_note}" if self._ended_note else ""
        self.show_message(f"Training {reason}{why}.{where}")
        self.viewer.ended(reason)
        if reason == "finished":  # a Stop was the person's own doing: nothing to tell them
            self.notifier.notify("Training finished", f"{self.setup.model.currentText()}{why}.{where}")

    def _on_failed(self, message: str):
        self.show_message(message, error=True)
        self.viewer.ended("failed")
        self.notifier.notify("Training failed", message, error=True)
        self.viewer.log_text(f"{time.strftime('%H:%M:%S')}  [error]  {message}")

    def _on_thread_done(self):
        self.viewer.run_ended()
        for grid in self.grids.values():
            if isinstance(grid, GameView):
                grid.stream_from(None, None)  # the run is over: its last preview stays on screen
        if self.view_stack.currentWidget() is self.hint:  # the run ended before it started: nothing to show
            self.hint.welcome()

    # --- closing ---
    def closeEvent(self, event):
        """Stop after the current step and save; if that takes longer than 5 s (a slow step, a GPU
        still starting), keep the window until the thread has ended rather than kill it mid-write."""
        if self.run is not None and self.run.is_running():
            self._set_state("stopping")
            if not self.run.stop_and_wait(CLOSE_WAIT_MS):
                self.show_message("Saving the session… the window closes when the current step ends.")
                self.run.thread.finished.connect(self.close)
                event.ignore()
                return
        self.close_viewed()
        if self.player is not None:
            self.player.close_worker()
        self.memory.save()
        self.notifier.close()
        event.accept()
