"""Shared fixtures for the test suite. Qt-free: nothing here imports PySide6, pyqtgraph or widgets."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# The window fixture for the GUI tests; that module imports Qt only inside its fixtures.
pytest_plugins = ["helpers_gui"]

try:  # the core tests train tiny models: one thread is faster than two fighting on a 2-core machine
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a hard dependency of the app
    pass


@pytest.fixture(autouse=True)
def _fixed_torch_threads(request, monkeypatch):
    """Runs in tests keep torch on the one thread set above: the tuner (studio/threads.py) would try two
    in the middle of a test, and a thread count changed mid-run changes float rounding. Tests of the
    tuner itself are marked `thread_tuner`."""
    if request.node.get_closest_marker("thread_tuner") is None:
        monkeypatch.setattr("studio.runs.thread_tuner_for", lambda prepared: None)


@pytest.fixture
def sessions_dir(tmp_path, monkeypatch):
    """A private, empty sessions folder, also handed to the app through TRAINING_STUDIO_SESSIONS."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    monkeypatch.setenv("TRAINING_STUDIO_SESSIONS", str(folder))
    return folder


@pytest.fixture
def tiny_gan_config():
    """A GAN small enough to take a few milliseconds per step on one CPU thread (no quality score: the tests
    that use it are about training and the session; tests/test_core_quality_meter.py scores)."""
    from studio.trainers.gan_config import GANConfig
    return GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8, quality_every=0)


@pytest.fixture
def tiny_settings():
    """Run settings for the tests: CPU, fixed seed, the embedded digits."""
    from studio.run_settings import RunSettings
    return RunSettings(seed=0, device="cpu", data="mnist-5k", snapshot_every=10, checkpoint_seconds=3600.0)


def pytest_collection_finish(session):
    """Once every test module is imported (torch, h5py, Qt, pyqtgraph: ~200,000 objects that live as long as
    the process), move those objects out of the collector's sight: a full collection then walks only what
    the tests made since, so the one after each test takes milliseconds instead of ~0.15 s (606 tests).
    Garbage made from here on is collected as before; gc.freeze keeps only what is alive now."""
    import gc
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    """Collect each test's garbage (trainers, session files, threads' leftovers) when it ends, not at a
    random moment inside a later test's Qt event loop, where freeing such objects has crashed the run."""
    yield
    import gc
    gc.collect()


@pytest.fixture(autouse=True)
def _private_settings_and_logs(tmp_path, monkeypatch):
    """Every test has its own settings store and log folder: a window must not remember another test's
    (or the developer's) model and layout, nor write into their log."""
    monkeypatch.setenv("TRAINING_STUDIO_SETTINGS", str(tmp_path / "settings" / "studio.ini"))
    monkeypatch.setenv("TRAINING_STUDIO_LOGS", str(tmp_path / "logs"))
