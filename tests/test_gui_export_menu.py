"""File ▸ Export in the window: the opened session (or the run that has just ended) exported on a
background thread, with a message when done; nothing offered while a run writes its file."""
import numpy as np
from PIL import Image
from PySide6.QtWidgets import QFileDialog, QInputDialog

from studio.images import tile
from studio.session.reader import SessionReader

from helpers_gui import saved_gan, shown_step


def _save_to(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_export_the_grid_at_the_timeline_step_and_the_evolution(qtbot, window, tmp_path, monkeypatch):
    w = window
    path = saved_gan(tmp_path, steps=30)
    assert w.open_session(path)
    asked = []  # the GAN has two panels (G and its average): the person is asked which, and picks G's
    monkeypatch.setattr(QInputDialog, "getItem", lambda _parent, _title, _label, items, *a: (asked.append(items) or items[0], True))
    w.timeline.go_to(3)                                        # step 5
    w.exports.update_actions()
    assert all(a.isEnabled() for k, a in w.exports.actions.items() if k != "episode")
    assert not w.exports.actions["episode"].isEnabled()         # a GAN has no episodes
    _save_to(monkeypatch, tmp_path / "grid.png")
    w.exports.actions["png"].trigger()
    qtbot.waitUntil(lambda: "Exported" in w.banner.text(), timeout=20000)
    with SessionReader(path) as r:
        want = tile(r.snapshot("samples", 3), 8)
    got = np.asarray(Image.open(tmp_path / "grid.png"))
    assert "step 5" in w.banner.text() and np.array_equal(got[::2, ::2], want)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "evo"),
                                                                          "Animated GIF (*.gif)"))
    w.exports.actions["gif"].trigger()
    qtbot.waitUntil(lambda: "snapshots of samples" in w.banner.text(), timeout=20000)
    assert Image.open(tmp_path / "evo.gif").n_frames == 7
    assert len(asked) == 2 and len(asked[0]) == 2


def test_nothing_is_exported_while_a_run_writes_and_errors_are_shown(qtbot, window, tmp_path, monkeypatch):
    w = window
    w.start()
    qtbot.waitUntil(lambda: shown_step(w) >= 2, timeout=60000)
    w.exports.update_actions()
    assert not any(a.isEnabled() for a in w.exports.actions.values())
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    w.exports.update_actions()
    assert w.exports.actions["weights"].isEnabled()            # the ended run's file
    _save_to(monkeypatch, tmp_path / "no" / "such" / "dir" / "w.pt")
    w.exports.actions["weights"].trigger()
    qtbot.waitUntil(lambda: "Not exported" in w.banner.text(), timeout=20000)
    _save_to(monkeypatch, tmp_path / "w.safetensors")
    w.exports.actions["weights"].trigger()
    qtbot.waitUntil(lambda: "Exported the weights" in w.banner.text(), timeout=20000)
    assert (tmp_path / "w.safetensors").stat().st_size > 0
