"""Closing the window at any moment of a run (while it prepares, trains, snapshots or checkpoints): the
window is gone within 5 s and leaves a session file that opens and resumes."""
import gc
import random
import time

from PySide6.QtWidgets import QApplication

from studio.control import Control
from studio.runs import make_runner, resume_run
from studio.session.reader import SessionReader
from widgets.main_window import MainWindow

from helpers_gui import TINY

ROUNDS, SEED = 20, 2026
CLOSE_LIMIT_S = 5.0


def test_close_at_20_random_moments(qtbot, tmp_path, monkeypatch):
    rng = random.Random(SEED)
    # From "just pressed Start" (the data and model are still being prepared) to well into training.
    delays = sorted(rng.uniform(0.0, 4.0) for _ in range(ROUNDS))
    for i, delay in enumerate(delays):
        folder = tmp_path / f"round{i}"
        monkeypatch.setenv("TRAINING_STUDIO_SESSIONS", str(folder))
        w = MainWindow()
        w.setup.form.set_values(TINY)
        w.show()
        w.start()
        qtbot.wait(int(delay * 1000))
        t0 = time.monotonic()
        w.close()
        while w.isVisible() and time.monotonic() - t0 < 30:
            QApplication.processEvents()
            time.sleep(0.01)
        took = time.monotonic() - t0
        assert took < CLOSE_LIMIT_S, f"round {i} (closed {delay:.2f} s after Start) took {took:.1f} s to close"
        assert not w.run.is_running()
        files = list(folder.glob("*.h5"))
        assert len(files) == 1, f"round {i}: {files}"
        with SessionReader(files[0]) as r:
            saved = r.last_step()
            ckpt = r.latest_checkpoint()
        assert ckpt is not None and ckpt[0] == saved, f"round {i}: the checkpoint at close is missing"
        prepared = resume_run(files[0], "cpu")
        make_runner(prepared, Control(), max_steps=saved + 2, preview_seconds=None).run()
        with SessionReader(files[0]) as r:
            assert r.last_step() == saved + 2
        # Twenty windows in one test: each is deleted, and its garbage collected, while no thread runs
        # (as conftest does between tests; a collection during another window's run has crashed Qt).
        w.deleteLater()
        QApplication.processEvents()
        gc.collect()
