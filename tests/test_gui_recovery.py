"""The window at launch lists the sessions a crash left open (widgets/recovery_dialog.py): Resume continues
one through the window's own Resume, Open shows it, Dismiss is remembered by the next window."""
import os
import shutil
import subprocess
import sys

import pytest

from studio.session import recovery
from studio.session.reader import SessionReader

from conftest import REPO
from helpers_gui import saved_gan, shown_step

# A writer that reopens a saved session as the app does (its pid recorded, SWMR on), writes five steps
# past the step-20 checkpoint and is killed with kill -9: the file is left open as after a crash, at a
# fraction of the cost of starting `main.py train` (tests/test_core_recovery.py kills that one).
KILLED_WRITER = """
import os, signal, sys
import h5py, numpy as np
from studio.session import layout as L, repair
f = h5py.File(sys.argv[1], "r+", libver="latest")
held = [f[name] for name in (L.METRICS, L.IMAGES, L.CHECKPOINTS)]
repair.mark_writer(f)
f.swmr_mode = True
for ds in f[L.METRICS].values():
    n = ds.shape[0]
    ds.resize((n + 5,))
    ds[n:] = np.array([(21 + i, 0.5) for i in range(5)], L.METRIC_DTYPE)
f.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(scope="module")
def killed_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("killed")
    path = saved_gan(folder, steps=20)
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], cwd=REPO, capture_output=True)
    assert done.returncode == -9, done.stderr.decode()
    assert recovery.left_open(path)
    return path


@pytest.fixture
def crashed(killed_file, tmp_path):
    """A copy of the killed session in the window's sessions folder (the window fixture's tmp_path)."""
    path = tmp_path / "gan-crashed.h5"
    shutil.copyfile(killed_file, path)
    return path


def _ask(qtbot, w):
    """What the window's launch does: scan, then the dialog (None if nothing was to be asked about)."""
    with qtbot.waitSignal(w.recovery.finished, timeout=30000):
        w.recovery.start()
    qtbot.wait(10)  # the dialog is made by the same signal
    return w.recovery.dialog if w.recovery.dialog is not None and w.recovery.dialog.isVisible() else None


def test_the_window_lists_a_crashed_session_and_resume_continues_it(qtbot, window, crashed):
    w = window
    dialog = _ask(qtbot, w)
    assert dialog is not None and not dialog.isModal() and list(dialog.rows) == [str(crashed)]
    row = dialog.rows[str(crashed)]
    text = row.details.text()
    assert "Saved up to step 25" in text and "checkpoint, step 20" in text and "5 steps" in text
    assert row.resume.isEnabled()
    row.resume.click()
    assert w.state != "idle" and not dialog.isVisible()       # its only row done: the dialog closes
    qtbot.waitUntil(lambda: shown_step(w) >= 24, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    assert not recovery.left_open(crashed)                    # closed cleanly now: not asked about again
    with SessionReader(crashed) as r:
        steps, values = r.series("loss_d")
        assert list(steps) == list(range(1, len(steps) + 1)) and 0.5 not in values[20:25]


def test_open_shows_it_and_dismiss_is_remembered_across_a_new_window(qtbot, window, crashed, tmp_path):
    from widgets.main_window import MainWindow
    w = window
    other = tmp_path / "gan-other.h5"
    shutil.copyfile(crashed, other)
    dialog = _ask(qtbot, w)
    assert set(dialog.rows) == {str(crashed), str(other)}
    dialog.rows[str(other)].open.click()
    assert w.viewed is not None and w.session_path == str(other) and set(dialog.rows) == {str(crashed)}
    dialog.rows[str(crashed)].dismiss.click()
    assert not dialog.isVisible()
    w.close()

    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    dialog = _ask(qtbot, again)
    assert dialog is not None and list(dialog.rows) == [str(other)]  # opened, not dealt with: asked again
    dialog.rows[str(other)].dismiss.click()
    assert _ask(qtbot, again) is None
    os.utime(crashed)  # the file changed since it was dismissed (another crash): asked about again
    assert list(_ask(qtbot, again).rows) == [str(crashed)]
    again.close()
