"""A data set that is not on the machine is downloaded when the run starts, with a progress bar in the
window (from a server on 127.0.0.1 that the test starts), and a second run uses the cached copy."""
import pytest

from helpers_gui import TINY, window  # noqa: F401 - fixture
from test_core_datasets_download import cache, mirror, tiny  # noqa: F401 - fixtures: cache folder, server, set

pytestmark = pytest.mark.timeout(180)


def test_the_window_shows_the_download_then_trains_and_the_next_run_is_offline(qtbot, window, cache, mirror, tiny,
                                                                             monkeypatch):
    spec, files = tiny
    mirror.serve("mnist", files)
    monkeypatch.setenv("TRAINING_STUDIO_DATA_URL", mirror.url)
    w = window
    w.setup.select_model("gan")
    w.setup.form.set_values(TINY)
    w.setup.data.setCurrentIndex(w.setup.data.findData("mnist"))
    shown = []
    w.hint.bar.valueChanged.connect(lambda v: shown.append((v, w.hint.bar.isVisible(), w.hint.body.text())))
    w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=60000)
    assert shown and shown[-1][0] == 1000 and all(visible for _, visible, _ in shown)
    assert any(text.startswith("Downloaded MNIST") for _, _, text in shown)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    assert len(mirror.requests) == 4

    mirror.stop()  # the second run needs no server
    shown.clear()
    w.start()
    qtbot.waitUntil(lambda: w.info is not None and w.state == "running", timeout=60000)
    assert shown == [] and not w.hint.bar.isVisible()
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
