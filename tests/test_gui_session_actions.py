"""Saved sessions in the window: Resume a finished or crashed one (curves go on, no step twice), follow a
file the headless CLI is writing, and ask for another place when the sessions folder cannot be written."""
import subprocess
import sys

import h5py
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from studio.session import layout as L
from studio.session.reader import SessionReader

from conftest import REPO
from helpers_gui import saved_gan, shown_step


def _contiguous(steps) -> bool:
    return np.array_equal(steps, np.arange(1, len(steps) + 1))


def test_resume_a_finished_session_continues_its_curves(qtbot, window, tmp_path):
    w = window
    path = saved_gan(tmp_path, steps=20)
    assert w.open_session(path) and w.sessions.act_resume.isEnabled()
    w.sessions.act_resume.trigger()
    qtbot.waitUntil(lambda: shown_step(w) >= 26, timeout=60000)
    assert w.grids["samples"].step is not None
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    buf = w.plots.buffers["loss_d"]
    assert _contiguous(buf.steps[:buf.n]), "the window's curve misses or repeats a step"
    assert w.session_path == str(path)
    with SessionReader(path) as r:
        steps, _ = r.series("loss_d")
        assert _contiguous(steps) and steps[-1] == buf.steps[buf.n - 1] >= 26
        assert r.checkpoint_steps()[0] == 20 and r.latest_checkpoint()[0] == steps[-1]


def test_resume_after_a_crash_shows_only_what_came_before_the_checkpoint(qtbot, window, tmp_path):
    w = window
    path = saved_gan(tmp_path, steps=20)
    with h5py.File(path, "r+", locking=False) as f:      # points a crash left after the step-20 checkpoint
        for ds in f[L.METRICS].values():
            n = ds.shape[0]
            ds.resize((n + 5,))
            ds[n:] = np.array([(21 + i, 99.0) for i in range(5)], L.METRIC_DTYPE)
    assert w.open_session(path)
    assert w.plots.buffers["loss_d"].n == 25               # the view shows what the file holds
    w.sessions.act_resume.trigger()
    qtbot.waitUntil(lambda: shown_step(w) >= 23, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    buf = w.plots.buffers["loss_d"]
    assert _contiguous(buf.steps[:buf.n]) and 99.0 not in buf.values[:buf.n]
    with SessionReader(path) as r:
        steps, values = r.series("loss_d")
        assert _contiguous(steps) and 99.0 not in values


def test_a_session_without_a_whole_checkpoint_is_not_resumed(qtbot, window, tmp_path):
    """Its checkpoints damaged (one that never wrote any was killed in its first seconds: it resumes from
    step 0, tests/test_core_checkpoint_cadence.py)."""
    w = window
    path = saved_gan(tmp_path, steps=5)
    with h5py.File(path, "r+", locking=False) as f:
        for slot in L.CKPT_SLOTS:
            data = f[L.CHECKPOINTS][slot]
            data[: min(64, data.shape[0])] = 0
    assert w.open_session(path)
    w.sessions.act_resume.trigger()
    assert w.run is None and "no usable checkpoint" in w.banner.text()


def test_a_read_only_session_is_continued_in_a_copy(qtbot, window, tmp_path, monkeypatch):
    import widgets.session_actions as sa
    w = window
    path = saved_gan(tmp_path, steps=10)
    before = path.read_bytes()
    copy = tmp_path / "elsewhere" / "copy.h5"
    copy.parent.mkdir()
    # Root can write any file here, so "cannot be written" is simulated; tests/test_core_reliability_*
    # check the real refusal as an unprivileged user.
    monkeypatch.setattr(sa, "can_write_file", lambda p: p != path)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    assert w.open_session(path)
    w.sessions.act_resume.trigger()
    qtbot.waitUntil(lambda: shown_step(w) >= 13, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    assert path.read_bytes() == before and w.session_path == str(copy)
    with SessionReader(copy) as r:
        assert r.last_step() >= 13 and _contiguous(r.series("loss_d")[0])


def test_an_unwritable_sessions_folder_asks_where_to_save(qtbot, window, tmp_path, monkeypatch):
    w = window
    monkeypatch.setenv("TRAINING_STUDIO_SESSIONS", "/proc/no-sessions-here")  # even root cannot create it
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    w.start()
    assert w.run is None and "cannot be written" in w.banner.text()
    chosen = tmp_path / "chosen.h5"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
    w.start()
    qtbot.waitUntil(lambda: shown_step(w) >= 2, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    assert w.session_path == str(chosen)
    with SessionReader(chosen) as r:
        assert r.last_step() >= 2


def test_the_window_follows_a_session_the_cli_is_writing(qtbot, window, tmp_path):
    w = window
    path = tmp_path / "live.h5"
    proc = subprocess.Popen([sys.executable, "main.py", "train", "gan", "--steps", "100000", "--out", str(path),
                             "--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8",
                             "--threads", "1", "--snapshot-every", "20"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        qtbot.waitUntil(lambda: path.exists() and w.open_session(path), timeout=60000)
        first = w.plots.buffers["loss_d"].n
        snapshots = len(w.timeline.steps)
        qtbot.waitUntil(lambda: w.plots.buffers["loss_d"].n > first + 50, timeout=30000)
        qtbot.waitUntil(lambda: len(w.timeline.steps) > snapshots, timeout=30000)
        assert w.lbl_state.text() == "live (read-only)"
        assert w.grids["samples"].step == w.timeline.steps[-1]  # the slider follows the newest snapshot
        w.timeline.go_to(0)                                      # moved back, it stays put as more arrive
        n = len(w.timeline.steps)
        qtbot.waitUntil(lambda: len(w.timeline.steps) > n, timeout=30000)
        assert w.timeline.slider.value() == 0 and w.grids["samples"].step == 0
        w.sessions.act_resume.trigger()                          # never two writers on one file
        assert w.run is None and "still being written" in w.banner.text()
    finally:
        proc.kill()
        proc.wait()
    buf = w.plots.buffers["loss_d"]
    assert _contiguous(buf.steps[:buf.n])


def test_the_timeline_goes_back_through_a_running_session(qtbot, window):
    w = window
    w.start()
    qtbot.waitUntil(lambda: len(w.timeline.steps) >= 4, timeout=60000)  # steps 0, 1, 2, 5 at least
    assert w.timeline.isVisibleTo(w)
    w.pause()
    qtbot.waitUntil(lambda: w.run.control.paused, timeout=5000)
    grid = w.grids["samples"]
    w.timeline.go_to(1)                                           # step 1's snapshot
    assert grid.step == 1
    kept = w.live.contents["samples"][1]
    from studio.images import tile
    assert np.array_equal(grid.image.image, tile(kept, 8))
    w.resume()
    qtbot.wait(1500)
    assert grid.step == 1, "a live picture replaced the one chosen on the timeline"
    w.timeline.go_to(len(w.timeline.steps) - 1)                  # back at the newest: live again
    qtbot.waitUntil(lambda: grid.step > int(w.timeline.steps[-1]) - 1 and grid.step > 5, timeout=30000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    with SessionReader(w.session_path) as r:
        assert r.snapshot_steps("samples").tolist() == w.live.history.steps["samples"]  # the window kept every one


def test_a_full_disk_stops_the_run_with_a_message_and_keeps_the_file(qtbot, window, monkeypatch):
    from studio.session import disk_space
    w = window
    w.start()
    qtbot.waitUntil(lambda: shown_step(w) >= 3, timeout=60000)
    # The real check is tested with a size-limited process in test_core_reliability_diskfull.py.
    # Room for a last checkpoint (the writer keeps it), not for more.
    monkeypatch.setattr(disk_space, "room_left", lambda path: disk_space.SPACE_MARGIN)
    qtbot.waitUntil(lambda: w.state == "idle", timeout=20000)
    assert "disk is almost full" in w.banner.text() and "kept" in w.banner.text()
    with SessionReader(w.session_path) as r:
        assert _contiguous(r.series("loss_d")[0]) and r.latest_checkpoint()[0] == r.last_step()


def test_a_session_from_a_newer_app_is_shown_read_only(qtbot, window, tmp_path):
    w = window
    path = saved_gan(tmp_path, steps=10)
    with h5py.File(path, "r+", locking=False) as f:
        f.attrs["schema_version"] = L.SCHEMA_VERSION + 1
    assert w.open_session(path)
    assert "newer Training Studio" in w.banner.text() and "read-only" in w.banner.text()
    assert w.plots.buffers["loss_d"].n == 10 and not w.sessions.act_resume.isEnabled()


def test_a_session_dropped_on_the_window_opens(qtbot, window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    w = window
    path = saved_gan(tmp_path, steps=10)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(w.rect().center(), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    w.dragEnterEvent(enter)
    assert enter.isAccepted()
    w.dropEvent(QDropEvent(QPointF(w.rect().center()), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier))
    assert w.viewed is not None and w.session_path == str(path) and w.plots.buffers["loss_d"].n == 10


def test_the_sessions_list_and_compare_open_from_the_file_menu(qtbot, window, tmp_path):
    w = window
    a = saved_gan(tmp_path, steps=10, name="a.h5")
    b = saved_gan(tmp_path, steps=12, name="b.h5")
    w.sessions.act_list.trigger()
    dialog = w.sessions.sessions_list
    qtbot.waitUntil(lambda: dialog.status.text() == "2 sessions", timeout=30000)
    dialog.openRequested.emit(str(b))
    assert w.session_path == str(b) and w.plots.buffers["loss_d"].n == 12
    dialog.compareRequested.emit([str(a), str(b)])
    [view] = w.sessions.comparisons
    assert {p for p, _ in view.curves} == {str(a), str(b)}
    view.close()


def test_the_file_check_shows_a_wait_cursor_and_a_refusal_restores_it(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    import widgets.session_actions as actions
    from studio.errors import SessionError
    seen = []

    def slow_refusal(path):
        seen.append(QApplication.overrideCursor() and QApplication.overrideCursor().shape())
        raise SessionError(f"{path}: reading it took longer than 5 s; the file is probably damaged")

    monkeypatch.setattr(actions, "check_session", slow_refusal)
    path = saved_gan(tmp_path, steps=10)
    assert not window.open_session(path)
    assert seen == [Qt.WaitCursor] and QApplication.overrideCursor() is None
    assert "took longer than 5 s" in window.banner.text()
