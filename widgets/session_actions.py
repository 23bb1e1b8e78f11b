"""Saved sessions in the window: File ▸ Open, drag and drop, following a file that another program is
still writing, and Resume (continue a finished or crashed session in its own file)."""
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QStyle

from studio.errors import ConfigError, SessionError
from studio.session.paths import can_write_file, sessions_dir
from studio.session.probe import check_session
from widgets.busy import busy_cursor
from studio.viewer.session import SessionSource

FOLLOW_MS = 1000      # how often an opened session is checked for new points
LIVE_SECONDS = 10.0   # a file that grew this recently counts as being written


class SessionActions(QObject):
    opened = Signal(str)  # a session file is on screen (for File ▸ Open Recent)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.state = window.viewer
        self.summary: dict = {}    # what the check at opening found (studio.session.probe)
        self._grew_at = None       # when the opened file last grew
        icon = window.style().standardIcon
        self.act_open = QAction("&Open Session…", window, shortcut=QKeySequence.Open, triggered=self.choose)
        self.act_open.setToolTip("Open a saved session (.h5): its curves, snapshots and episodes")
        self.act_resume = QAction(icon(QStyle.SP_MediaSeekForward), "Resume session", window,
                                  shortcut=QKeySequence("Ctrl+R"), triggered=self.resume)
        self.act_resume.setToolTip("Continue training the opened session from its last checkpoint, in the same "
                                   "file (Ctrl+R)")
        self.act_resume.setEnabled(False)
        self.act_list = QAction("&Sessions…", window, shortcut=QKeySequence("Ctrl+L"), triggered=self.show_list)
        self.act_list.setToolTip("The saved sessions with their model, date, steps and best result (Ctrl+L)")
        self.act_compare = QAction("&Compare Sessions…", window, triggered=self.choose_to_compare)
        self.act_compare.setToolTip("Overlay the curves of several sessions")
        self.sessions_list = None   # the Sessions dialog, made when first shown
        self.comparisons: list = []  # open compare windows
        self.timer = QTimer(self)
        self.timer.setInterval(FOLLOW_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def viewed(self) -> SessionSource | None:
        """The saved session on screen, or None."""
        source = self.state.source
        return source if isinstance(source, SessionSource) else None

    # --- opening ---
    def choose(self) -> None:
        settings = self.w.memory.settings
        path, _ = QFileDialog.getOpenFileName(self.w, "Open a session", settings.folder("open") or str(sessions_dir()),
                                              "Training Studio sessions (*.h5 *.hdf5);;All files (*)")
        if path:
            settings.set_folder("open", path)
            self.open(path)

    def show_list(self) -> None:
        from widgets.sessions_list import SessionsList
        if self.sessions_list is None:
            self.sessions_list = SessionsList(self.w)
            self.sessions_list.openRequested.connect(self.open)
            self.sessions_list.compareRequested.connect(self.compare)
        else:
            self.sessions_list.refresh()
        self.sessions_list.show()
        self.sessions_list.raise_()

    def choose_to_compare(self) -> None:
        from widgets.compare_view import choose_sessions
        paths = choose_sessions(self.w)
        if paths:
            self.compare(paths)

    def compare(self, paths) -> None:
        from widgets.compare_view import CompareView
        from widgets.themes import restyle
        view = CompareView(paths)
        restyle(view, self.w.appearance.theme, self.w.appearance.scale)
        view.setAttribute(Qt.WA_DeleteOnClose)
        view.destroyed.connect(lambda *_: self.comparisons.remove(view) if view in self.comparisons else None)
        self.comparisons.append(view)
        view.show()

    def open(self, path) -> bool:
        """Show a saved session; False (and a message) if it cannot be read or a run is on."""
        w = self.w
        if w.state != "idle":
            w.show_message("Stop the current run before opening a session.", error=True)
            return False
        self.close()
        try:
            # In a child process first: a damaged file cannot hang or crash the window.
            with busy_cursor():
                self.summary = check_session(path)
                source = SessionSource(path)
                try:
                    self.state.open(source)  # the last run's kept snapshots give way to the file's
                except Exception as exc:  # noqa: BLE001 - h5py, numpy and zlib raise many types on damage
                    raise SessionError(f"{path}: damaged session file ({type(exc).__name__}: {exc})") from None
        except SessionError as exc:
            if self.state.source is not None:
                self.state.close_source()
            w.show_message(f"Not opened: {exc}", error=True)
            return False
        r = source.reader
        w.info = None
        w.show_setup_of(r)
        note = r.newer_note()  # a newer app's file: shown as far as understood, never written
        w.show_message(f"Viewing {path}: {r.title}, {r.last_step():,} steps, created {r.created}." +
                       (f" {note}" if note else ""), error=bool(note))
        self._grew_at = None
        self.act_resume.setEnabled(not r.newer)
        self.timer.start()
        self.opened.emit(str(path))
        return True

    def close(self) -> None:
        self.timer.stop()
        self.act_resume.setEnabled(False)
        if self.viewed is not None:
            self.state.close_source()  # closes the file

    # --- following a file that grows ---
    def is_live(self) -> bool:
        return self._grew_at is not None and time.monotonic() - self._grew_at < LIVE_SECONDS

    def poll(self) -> None:
        if self.viewed is None:
            return
        try:
            delta = self.viewed.poll()
            grew = delta.any
            self.state.apply(delta)
        except SessionError as exc:
            self.timer.stop()
            self.w.show_message(f"Stopped following the file: {exc}", error=True)
            return
        if grew:
            self._grew_at = time.monotonic()
        self.state.set_following(self.is_live())

    # --- resume ---
    def resume(self) -> None:
        """Continue the opened session from its latest whole checkpoint, in its file (or a copy of it
        in a place that can be written, when the file itself cannot be)."""
        w, v = self.w, self.viewed
        if v is None or w.state != "idle":
            return
        if self.is_live():
            w.show_message("This session is still being written by another program; resume it once that "
                           "has stopped.", error=True)
            return
        if self._grew_at is not None:  # it was written to since it was opened: check it again
            try:
                with busy_cursor():
                    self.summary = check_session(v.path)
            except SessionError as exc:
                w.show_message(f"Not resumed: {exc}", error=True)
                return
        step = self.summary.get("checkpoint_step")  # found whole by the check
        if step is None:
            why = self.summary.get("checkpoint_error")
            w.show_message("Not resumed: this session has no usable checkpoint to continue from"
                           + (f" ({why})." if why else "."), error=True)
            return
        path = Path(v.path)
        if not can_write_file(path):
            path = self._copy_elsewhere(path)
            if path is None:
                w.show_message(f"Not resumed: {v.path} cannot be written, and no other place was chosen.",
                               error=True)
                return
        carry = v.carry(step)
        try:
            device = w.setup.settings().device  # where to train now (this machine may differ)
        except ConfigError:
            device = "auto"
        self.close()
        from studio.runs import resume_run
        w.launch(lambda progress: resume_run(path, device, progress=progress), carry=carry)

    def _copy_elsewhere(self, path: Path) -> Path | None:
        target, _ = QFileDialog.getSaveFileName(self.w, f"{path.name} is read-only: continue it in a copy",
                                                str(sessions_dir() / path.name), "Training Studio sessions (*.h5)")
        if not target:
            return None
        try:
            shutil.copyfile(path, target)
        except OSError as exc:
            self.w.show_message(f"Not resumed: could not copy the session to {target} ({exc}).", error=True)
            return None
        return Path(target)
