"""At launch: the sessions a crash left open (studio/session/recovery.py), each with Resume, Open and
Dismiss. The folder is scanned on a background thread, so the window is up at once; the dialog is not
modal, so it never blocks the window (nor a test). Dismissed sessions are remembered in the app's
settings by path, size and modification time, and not asked about again."""
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from studio.session import recovery
from studio.session.paths import sessions_dir


class CrashRecovery(QObject):
    """The window's side of it: `start()` scans the sessions folder, and shows the dialog if there is
    anything to ask about. `finished` carries what was found and not dismissed (the tests wait on it)."""
    finished = Signal(list)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.dialog: RecoveryDialog | None = None
        self._cancel = cancel = threading.Event()
        window.destroyed.connect(lambda *_: cancel.set())  # a scan still running stops after its file
        self.finished.connect(self._show)

    def start(self) -> None:
        folder, cancel, done = sessions_dir(), self._cancel, self.finished

        def work():
            try:
                found = recovery.scan(folder, stop=cancel.is_set)
            except Exception:  # noqa: BLE001 - a failed scan must not bother anyone at launch
                found = []
            if not cancel.is_set():
                try:
                    done.emit(found)  # queued to the GUI thread
                except RuntimeError:  # the window was deleted meanwhile
                    pass
        threading.Thread(target=work, name="crash-recovery", daemon=True).start()

    def _show(self, found: list) -> None:
        settings = self.w.memory.settings
        dismissed = settings.dismissed_crashes()
        ask = [c for c in found if (c.path, c.size, c.mtime_ns) not in dismissed]
        if not ask:
            return
        if self.dialog is not None:  # a second scan: its list replaces the first one's
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = RecoveryDialog(self.w, ask, settings)
        self.dialog.show()


class RecoveryDialog(QDialog):
    def __init__(self, window, crashed: list, settings):
        super().__init__(window)
        self.w, self.settings = window, settings
        self.setWindowTitle("Sessions interrupted by a crash")
        self.setModal(False)
        layout = QVBoxLayout(self)
        intro = QLabel(f"{'This session was' if len(crashed) == 1 else 'These sessions were'} still being "
                       "written when Training Studio or the computer stopped. What was saved is kept in the "
                       "file.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        body = QWidget()
        self.list = QVBoxLayout(body)
        self.list.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[str, CrashRow] = {}
        for c in crashed:
            row = CrashRow(c)
            row.resume.clicked.connect(lambda _=False, c=c: self._resume(c))
            row.open.clicked.connect(lambda _=False, c=c: self._open(c))
            row.dismiss.clicked.connect(lambda _=False, c=c: self._dismiss(c))
            self.rows[c.path] = row
            self.list.addWidget(row)
        self.list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        layout.addWidget(scroll, 1)
        note = QLabel("Dismissed ones are not asked about again; the others are, at the next start.")
        note.setEnabled(False)  # the palette's muted text
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(note, 1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        rows = sum(r.sizeHint().height() for r in self.rows.values()) + self.list.spacing() * len(crashed)
        self.resize(660, min(self.sizeHint().height() - scroll.sizeHint().height() + rows + 8, 600))

    # --- the choices ---
    def _resume(self, c) -> None:
        """Through the window's own actions: open the session, then its Resume (which repairs the file
        and refuses, with a message in the window, what it cannot continue)."""
        if self.w.open_session(c.path):
            self.w.sessions.act_resume.trigger()
            if self.w.state != "idle":
                self._done(c)

    def _open(self, c) -> None:
        if self.w.open_session(c.path):
            self._done(c)

    def _dismiss(self, c) -> None:
        self.settings.dismiss_crash(c.path, c.size, c.mtime_ns)
        self.settings.sync()  # now, not when the window closes: the app may not get to close cleanly
        self._done(c)

    def _done(self, c) -> None:
        row = self.rows.pop(c.path)
        row.hide()
        row.deleteLater()
        if not self.rows:
            self.close()


class CrashRow(QFrame):
    """One crashed session: what it is, how much was saved, and its three buttons."""

    def __init__(self, c):
        super().__init__()
        self.setFrameShape(QFrame.StyledPanel)
        layout = QHBoxLayout(self)
        text = QVBoxLayout()
        name = QLabel(f"<b>{c.title or 'Unreadable session'}</b> &nbsp; <span style='color: gray'>{Path(c.path).name}</span>")
        name.setTextInteractionFlags(Qt.TextSelectableByMouse)
        name.setToolTip(c.path)
        text.addWidget(name)
        self.details = QLabel("<br>".join(describe(c)))
        self.details.setWordWrap(True)
        text.addWidget(self.details)
        text.addStretch(1)
        layout.addLayout(text, 1)
        buttons = QVBoxLayout()
        self.resume = QPushButton("Resume")
        self.resume.setToolTip("Continue training from the last checkpoint, in the same file")
        self.open = QPushButton("Open")
        self.open.setToolTip("Show what was saved: curves, samples, events")
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setToolTip("Leave the file as it is and do not ask about it again")
        self.resume.setEnabled(not c.error and c.checkpoint_step is not None)
        if not self.resume.isEnabled():
            self.resume.setToolTip("Nothing to continue from: " + ("the file cannot be read" if c.error
                                                                   else "no checkpoint was saved yet"))
        for b in (self.resume, self.open, self.dismiss):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)


def describe(c, now: float | None = None) -> list[str]:
    """What a person needs to decide, in a few short lines."""
    now = time.time() if now is None else now
    if c.error:
        lines = [f"Last written {_when(c.saved_at, now)}.", f"It cannot be read: {c.error}"]
    else:
        lines = [f"Saved up to step {c.steps:,}, last written {_when(c.saved_at, now)}."]
        if c.checkpoint_step is None:
            lines.append("No checkpoint was saved yet: it can be opened, not resumed.")
        elif c.checkpoint_step == 0 and c.checkpoint_time is None:
            lines.append("It stopped before its first checkpoint: Resume starts it again from step 0 (same seed).")
        else:
            redo = c.steps - c.checkpoint_step
            lines.append(f"Resume goes on from its last checkpoint, step {c.checkpoint_step:,}"
                         + (f" (saved {_clock(c.checkpoint_time, now)})" if c.checkpoint_time else "")
                         + (f": the {redo:,} step{'s' * (redo != 1)} after it are trained again." if redo > 0
                            else ": nothing is lost."))
    if c.host:
        lines.append(f"Written on {c.host}: if it is still running there, leave it alone.")
    return lines


def _when(t: float, now: float) -> str:
    ago = max(0.0, now - t)
    if ago < 60:
        rel = "just now"
    elif ago < 3600:
        rel = f"{ago // 60:.0f} min ago"
    elif ago < 86400:
        rel = f"{ago / 3600:.0f} h ago"
    else:
        rel = f"{ago / 86400:.0f} days ago"
    return f"{_clock(t, now)} ({rel})"


def _clock(t: float, now: float) -> str:
    same_day = time.localtime(t)[:3] == time.localtime(now)[:3]
    return time.strftime("%H:%M" if same_day else "%d %b %Y, %H:%M", time.localtime(t))
