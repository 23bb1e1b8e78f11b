"""Space, S and the other run keys act wherever the focus is in the main window (a field being edited
included), while dialogs and free-text fields keep typing them."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence  # noqa: E402
from PySide6.QtWidgets import (QApplication, QDialog, QLineEdit, QMainWindow, QSpinBox, QVBoxLayout,  # noqa: E402
                               QWidget)

from helpers_gui import shown_step as _step  # noqa: E402


def _trainer(w):
    return w.run.worker.prepared.trainer


def _paused_run(qtbot, w) -> int:
    """Start the tiny GAN, pause it; the step it is paused at."""
    qtbot.keyClick(w, Qt.Key_Space)
    qtbot.waitUntil(lambda: _step(w) >= 2, timeout=60000)
    qtbot.keyClick(w, Qt.Key_Space)
    assert w.state == "paused"
    # The runner's own word that it is paused (a step under way when Space came is finished by then).
    last = lambda: w.status_labels.last_status  # noqa: E731
    qtbot.waitUntil(lambda: w.run.control.paused and last() is not None and last().state == "paused"
                    and last().step == _trainer(w).step == _step(w), timeout=10000)
    return _trainer(w).step


def _label(w, name: str) -> str:
    """How messages and the event log name a field (its label in the form)."""
    return next(info.label for info in w.setup.form.infos if info.name == name)


def _type_into(qtbot, editor, text: str) -> None:
    """Focus a field, select its text and type over it, as a person does."""
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus, timeout=2000)
    qtbot.keyClick(editor, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(editor, text)


def _stop(qtbot, w) -> None:
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)


def test_space_in_an_edited_field_resumes_with_the_typed_value(qtbot, window):
    w = window
    _paused_run(qtbot, w)
    lr = w.setup.form.editors["lr_g"]
    _type_into(qtbot, lr, "0.0003")
    qtbot.keyClick(lr, Qt.Key_Return)
    qtbot.keyClick(lr, Qt.Key_Space)
    assert w.state == "running"
    assert lr.text() == "0.0003"                                  # no space typed into the field
    qtbot.waitUntil(lambda: _trainer(w).config.lr_g == 0.0003, timeout=10000)
    qtbot.waitUntil(lambda: f"{_label(w, 'lr_g')} = 0.0003" in w.log.toPlainText(), timeout=10000)
    _stop(qtbot, w)


def test_space_after_an_invalid_value_stays_paused_and_names_the_field(qtbot, window):
    w = window
    paused_at = _paused_run(qtbot, w)
    lr = w.setup.form.editors["lr_d"]
    _type_into(qtbot, lr, "5")
    qtbot.keyClick(lr, Qt.Key_Space)
    assert w.state == "paused" and w.run.control.paused
    assert "Not applied" in w.banner.text() and _label(w, "lr_d") in w.banner.text()
    assert "#d33" in lr.styleSheet()                              # the bad field is outlined
    assert lr.text() == "5"
    assert _trainer(w).step == paused_at and _trainer(w).config.lr_d != 5
    _stop(qtbot, w)


def test_s_in_a_field_steps_once(qtbot, window):
    w = window
    paused_at = _paused_run(qtbot, w)
    beta = w.setup.form.editors["beta1"]
    _type_into(qtbot, beta, "0.4")
    qtbot.keyClick(beta, Qt.Key_S)
    qtbot.waitUntil(lambda: _step(w) == paused_at + 1, timeout=10000)
    assert w.state == "paused" and beta.text() == "0.4"          # no 's' typed
    assert _trainer(w).config.beta1 == 0.4
    qtbot.waitUntil(lambda: f"{_label(w, 'beta1')} = 0.4" in w.log.toPlainText(), timeout=10000)
    _stop(qtbot, w)


def test_space_in_the_seed_box_starts_the_run(qtbot, window):
    w = window
    _type_into(qtbot, w.setup.seed, "7")
    qtbot.keyClick(w.setup.seed, Qt.Key_Space)
    assert w.state == "running"
    qtbot.waitUntil(lambda: w.info is not None, timeout=60000)
    assert _trainer(w).seed == 7
    _stop(qtbot, w)


def test_the_sessions_dialog_keeps_typing_spaces(qtbot, window):
    w = window
    w.sessions.show_list()
    field = w.sessions.sessions_list.folder
    field.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    field.clear()
    qtbot.keyClicks(field, "my sessions")
    assert field.text() == "my sessions" and w.state == "idle"
    w.sessions.sessions_list.close()


# --- the key filter on its own: a window with a spin box, a free-text field and a dialog ---

def _small_window(qtbot):
    from widgets.run_keys import RunKeys, keep_typing
    win = QMainWindow()
    body = QWidget()
    layout = QVBoxLayout(body)
    win.spin, win.text, win.note = QSpinBox(), QLineEdit(), QLineEdit()
    win.spin.setRange(0, 1000)
    win.spin.setKeyboardTracking(False)  # like the timeline's step box: the value changes on Enter
    keep_typing(win.note)
    for widget in (win.spin, win.text, win.note):
        layout.addWidget(widget)
    win.setCentralWidget(body)
    win.seen = []
    win.go = QAction("Go", win, shortcut=QKeySequence(Qt.Key_Space),
                     triggered=lambda: win.seen.append(("go", win.spin.value())))
    win.go.setAutoRepeat(False)
    win.addAction(win.go)
    win.keys = RunKeys(win, [win.go])
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    return win


def test_a_spin_box_takes_its_typed_value_before_the_key_acts(qtbot):
    win = _small_window(qtbot)
    _type_into(qtbot, win.spin, "27")
    assert win.spin.value() == 0                                  # not taken yet: no keyboard tracking
    qtbot.keyClick(win.spin, Qt.Key_Space)
    assert win.seen == [("go", 27)]


def test_free_text_and_disabled_actions(qtbot):
    win = _small_window(qtbot)
    _type_into(qtbot, win.note, "a b")
    assert win.note.text() == "a b" and win.seen == []           # the free-text field types its spaces
    win.go.setEnabled(False)
    _type_into(qtbot, win.text, "1")
    qtbot.keyClick(win.text, Qt.Key_Space)
    assert win.text.text() == "1" and win.seen == []              # a disabled action's key types nothing


def test_a_held_key_acts_once_and_dialogs_are_not_watched(qtbot):
    win = _small_window(qtbot)
    _type_into(qtbot, win.text, "1")
    qtbot.keyClick(win.text, Qt.Key_Space)
    held = QKeyEvent(QEvent.KeyPress, Qt.Key_Space, Qt.NoModifier, " ", True)  # the key's auto-repeat
    QApplication.sendEvent(win.text, held)
    assert win.seen == [("go", 0)] and win.text.text() == "1"
    dialog = QDialog(win)
    field = QLineEdit(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    qtbot.keyClicks(field, "x y")
    assert field.text() == "x y" and win.seen == [("go", 0)]
    dialog.close()

