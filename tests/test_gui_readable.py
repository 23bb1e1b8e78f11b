"""Readable at common laptop sizes: at 1000×700 nothing is clipped — legends stay off the data, the
plots fit their width, the form does not run off sideways, panel titles and the timeline fit."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QRect, Qt  # noqa: E402

from studio.trainers.dqn_config import DQNConfig  # noqa: E402
from studio.trainers.vae_config import VAEConfig  # noqa: E402

from helpers_gui import TINY, shown_step  # noqa: E402

CONFIGS = {"gan": TINY,
           "vae": VAEConfig(latent_dim=16, width=4, batch_size=16, holdout=50, eval_every=5),
           "vae 2-D, two-stage": VAEConfig(latent_dim=2, width=4, batch_size=16, holdout=50, eval_every=5,
                                          two_stage=True),
           "dqn": DQNConfig(hidden=16, buffer_size=500, batch_size=16, learning_starts=20, train_freq=4,
                            gradient_steps=1, eval_every=50, eval_episodes=1)}


def fits_two_lines(label, text: str) -> bool:
    box = label.fontMetrics().boundingRect(QRect(0, 0, label.width(), 10**4), Qt.TextWordWrap, text)
    return box.height() <= label.height() and box.width() <= label.width()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_nothing_is_clipped_at_1000_by_700(qtbot, window, name):
    w = window
    w.resize(1000, 700)
    w.setup.select_model(name.split()[0])
    w.setup.form.set_values(CONFIGS[name])
    w.start()
    qtbot.waitUntil(lambda: shown_step(w) >= 3, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    qtbot.wait(50)

    plots = w.plots
    assert plots.view.ci.geometry().width() <= plots.view.width() + 1  # no plot runs off the right edge
    for title, plot in plots.plots.items():
        if plot.legend.scene() is not None:
            assert not plot.legend.sceneBoundingRect().intersects(plot.vb.sceneBoundingRect()), title
            assert plot.legend.sceneBoundingRect().right() <= plots.view.width() + 1, title

    scroll = w.setup.scroll
    assert scroll.widget().width() <= scroll.viewport().width()  # the form never scrolls sideways

    for key, grid in w.grids.items():
        # the longest a title gets: in a dock (whose title bar says the label), a six-digit step
        assert grid.in_dock and w.docks.docks[key].windowTitle() == grid.label
        assert fits_two_lines(grid.title, "step 100,000"), (key, grid.label, grid.title.width())
    where = w.timeline.where
    if w.timeline.isVisible():
        assert "snapshot" in where.text()
        assert where.fontMetrics().horizontalAdvance(where.text()) <= where.width(), where.text()
