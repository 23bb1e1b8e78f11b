"""Shared pieces of the window tests: a MainWindow on a private sessions folder, a tiny GAN, a saved
session. Imported by the GUI tests only (conftest stays Qt-free)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from studio.trainers.gan_config import GANConfig  # noqa: E402

TINY = GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from widgets.main_window import MainWindow
    monkeypatch.setenv("TRAINING_STUDIO_SESSIONS", str(tmp_path))
    w = MainWindow()
    qtbot.addWidget(w)
    w.setup.form.set_values(TINY)
    w.show()
    yield w
    if w.run is not None and w.run.is_running():
        w.run.stop_and_wait(5000)


def shown_step(w) -> int:
    """The step the status bar shows (-1 before the first)."""
    text = w.lbl_step.text().replace("step", "").replace(",", "").strip()
    return int(text) if text.isdigit() else -1


def saved_gan(folder, steps=60, name="saved.h5"):
    """A tiny GAN session trained `steps` steps, snapshots every 10, a checkpoint at its end."""
    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run
    path = folder / name
    prepared = new_run("gan", TINY, RunSettings(seed=0, device="cpu", snapshot_every=10), path)
    make_runner(prepared, Control(), max_steps=steps, preview_seconds=None).run()
    return path
