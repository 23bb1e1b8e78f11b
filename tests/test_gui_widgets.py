"""Widgets on their own: the generated form, the curve buffers, the grid, the worker's preview slot."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from studio.errors import ConfigError  # noqa: E402
from studio.sinks import MetricBatch  # noqa: E402
from studio.trainers.base import Series  # noqa: E402
from studio.trainers.gan_config import GANConfig  # noqa: E402
from widgets.config_form import ConfigForm  # noqa: E402
from studio.images import tile  # noqa: E402
from widgets.metric_plots import MetricPlots, SeriesBuffer  # noqa: E402
from widgets.worker import QtSink  # noqa: E402


def test_form_round_trips_and_refuses_bad_values(qtbot):
    form = ConfigForm(GANConfig)
    qtbot.addWidget(form)
    cfg = GANConfig(loss="wgan", lr_g=3e-5, n_critic=5, conditional=True, d_norm="layer")
    form.set_values(cfg)
    assert form.config() == cfg
    assert "learning rate" in form.editors["lr_g"].toolTip().lower()
    form.editors["lr_g"].setText("fast")
    with pytest.raises(ConfigError, match="G learning rate") as err:
        form.config()
    assert err.value.fields == ("lr_g",) and "lr_g" not in str(err.value)
    assert "d33" in form.editors["lr_g"].styleSheet()
    form.editors["lr_g"].setText("1e-4")
    form.editors["loss"].setCurrentText("wgan-gp")
    form.editors["d_norm"].setCurrentText("batch")
    with pytest.raises(ConfigError, match="WGAN-GP needs D normalisation"):
        form.config()


def test_form_live_mode_enables_only_live_fields(qtbot):
    form = ConfigForm(GANConfig)
    qtbot.addWidget(form)
    form.set_editable("live")
    assert form.editors["lr_d"].isEnabled() and form.editors["n_critic"].isEnabled()
    assert not form.editors["z_dim"].isEnabled() and not form.editors["loss"].isEnabled()


def test_series_buffer_keeps_every_point_and_debiases():
    buf = SeriesBuffer(capacity=16)
    total = 0
    for start in range(0, 100_000, 777):
        steps = np.arange(start, min(start + 777, 100_000))
        buf.extend(steps, np.full(len(steps), 2.0), beta=0.99)
        total += len(steps)
    assert buf.n == total == 100_000
    assert np.array_equal(buf.steps[: buf.n], np.arange(100_000))
    # A constant curve smooths to itself from the very first point (no pull towards zero).
    assert np.allclose(buf.smooth[: buf.n], 2.0)


def test_a_curve_longer_than_the_cap_is_thinned_evenly(monkeypatch):
    import widgets.metric_plots as mp
    monkeypatch.setattr(mp, "MAX_POINTS", 1000)
    buf = SeriesBuffer(capacity=16)
    for start in range(0, 2500, 100):
        buf.extend(np.arange(start, start + 100), np.arange(start, start + 100) * 2.0, beta=0.0)
        assert buf.n <= 1000 and len(buf.steps) <= 1024  # memory stays put
    steps, values = buf.steps[:buf.n], buf.values[:buf.n]
    assert np.array_equal(steps, np.arange(0, 2500, 4)) and np.array_equal(values, steps * 2.0)  # even, to the end
    whole = SeriesBuffer()  # a session opened with a longer curve: thinned as it arrives
    whole.extend(np.arange(2500), np.zeros(2500), beta=0.0)
    assert np.array_equal(whole.steps[:whole.n], np.arange(0, 2500, 4))
    whole.extend(np.arange(2500, 2510), np.zeros(10), beta=0.0)
    assert np.array_equal(whole.steps[:whole.n], np.arange(0, 2510, 4))


def _reference_ema(values, beta, ema=0.0, weight=0.0):
    out = []
    for v in values:
        if np.isfinite(v):
            ema, weight = beta * ema + (1 - beta) * v, beta * weight + (1 - beta)
        out.append(ema / weight if weight > 0 else np.nan)
    return np.array(out)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9, 0.99])
def test_vectorised_ema_matches_the_plain_loop_across_batches(beta):
    rng = np.random.default_rng(1)
    values = rng.normal(size=3000)
    values[rng.integers(0, 3000, 200)] = np.nan
    values[1000:1010] = np.nan            # a batch that starts with NaN
    buf = SeriesBuffer()
    for a in range(0, 3000, 1000):
        buf.extend(np.arange(a, a + 1000), values[a:a + 1000], beta)
    assert np.allclose(buf.smooth[:3000], _reference_ema(values, beta), equal_nan=True)
    buf.resmooth(beta)
    assert np.allclose(buf.smooth[:3000], _reference_ema(values, beta), equal_nan=True)


def test_series_buffer_smoothing_skips_nan():
    buf = SeriesBuffer()
    buf.extend(np.arange(4), np.array([1.0, np.nan, 3.0, 3.0]), beta=0.5)
    assert np.isfinite(buf.smooth[:4]).all()
    assert buf.smooth[0] == 1.0


def test_plots_take_batches(qtbot):
    plots = MetricPlots()
    qtbot.addWidget(plots)
    plots.setup([Series("a", "A", "loss"), Series("b", "B", "loss"), Series("c", "C", "other")])
    assert len(plots.plots) == 2
    plots.add_batch(MetricBatch({"a": (np.arange(1, 11), np.random.rand(10)),
                                 "c": (np.arange(1, 11), np.random.rand(10))}))
    assert plots.point_count() == 20


def test_sparse_series_are_drawn_as_they_are(qtbot):
    plots = MetricPlots()
    qtbot.addWidget(plots)
    plots.setup([Series("train", "T", "loss"), Series("eval", "E", "loss", sparse=True)])
    plots.add_batch(MetricBatch({"train": (np.arange(1, 11), np.arange(10.0)),
                                 "eval": (np.array([1, 5, 10]), np.array([9.0, 4.0, 1.0]))}))
    plots.redraw()
    assert plots.curves["eval"][1].getData()[1].tolist() == [9.0, 4.0, 1.0]
    assert not plots.curves["eval"][0].isVisible()
    assert plots.curves["train"][1].getData()[1][1] != 1.0   # the train curve is smoothed


def test_tile_lays_out_rows():
    stack = np.arange(10, dtype=np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2)
    grid = tile(stack, cols=4, gap=2)
    assert grid.shape == (3 * 30 - 2, 4 * 30 - 2)
    assert grid[0, 0] == 0 and grid[30, 0] == 4 and grid[60, 30] == 9


def test_preview_keeps_only_the_newest_until_taken(qtbot):
    sink = QtSink()
    seen = []
    sink.signals.preview_ready.connect(lambda: seen.append(1))
    a = np.zeros((2, 28, 28), np.uint8)
    sink.preview(1, {"samples": a})
    a[:] = 255  # the trainer reusing its buffer must not change what the GUI got
    sink.preview(2, {"samples": np.ones((2, 28, 28), np.uint8)})
    sink.preview(3, {"samples": np.full((2, 28, 28), 7, np.uint8)})
    assert len(seen) == 1
    [(step, images)] = sink.take_previews()
    assert step == 3 and images["samples"][0, 0, 0] == 7
    assert sink.take_previews() == []


def test_a_panel_left_out_of_a_preview_keeps_its_pending_picture(qtbot):
    # The VAE's scatter comes in one live preview of three: one not yet taken must not be lost.
    sink = QtSink()
    sink.preview(1, {"samples": np.zeros((2, 2), np.uint8), "latent": np.ones(3)})
    sink.preview(2, {"samples": np.ones((2, 2), np.uint8)})
    (s1, old), (s2, new) = sink.take_previews()
    assert (s1, sorted(old), s2, sorted(new)) == (1, ["latent"], 2, ["samples"])
    assert new["samples"][0, 0] == 1


def _episode(step: int, length: int, n_actions: int = 2):
    from studio.rl.episode import Episode
    ep = Episode(step, 0, (20, 30, 3))
    for t in range(length + 1):
        frame = np.full((20, 30, 3), t % 256, np.uint8)
        q = np.arange(n_actions, dtype=np.float32) + t
        ep.add(frame, -1 if t == length else t % n_actions, q, 0.0 if t == length else 1.0)
    return ep


def test_episode_player_scrubs_plays_and_shows_q_values(qtbot):
    from studio.rl.episode import EpisodeSpec
    from widgets.episode_player import EpisodePlayer
    player = EpisodePlayer()
    qtbot.addWidget(player)
    player.setup(EpisodeSpec("CartPole-v1", (20, 30, 3), ("push left", "push right"), 50))
    assert not player.btn_play.isEnabled()                     # nothing to play yet
    player.add_episode(_episode(100, 40))
    assert player.episode is player.episodes[0] and player.t == 0 and player.btn_play.isEnabled()
    player.seek(7)
    assert player.image.image[0, 0, 0] == 7 and player.slider.value() == 7
    assert "action: push right" in player.readout.text() and "return so far 7" in player.readout.text()
    assert player.q_bars.bars.opts["width"].tolist() == [7.0, 8.0] and player.q_bars.chosen == 1
    assert player.btn_looks.isHidden() and not player.btn_looks.isEnabled()  # no saliency for CartPole
    player.slider.setValue(12)
    assert player.t == 12
    from PySide6.QtCore import Qt
    player.setFocus()
    qtbot.keyClick(player, Qt.Key_Right)
    assert player.t == 13
    qtbot.keyClick(player, Qt.Key_End)
    assert player.t == 40 and "the episode is over" in player.readout.text()
    # Play from the end starts again from the start, runs at the game's speed, then stops at the end.
    player.speed.setCurrentIndex(player.speed.findText("4×"))
    player.toggle_play()
    assert player.playing and player.t == 0
    qtbot.waitUntil(lambda: not player.playing, timeout=5000)  # 40 frames at 200 fps: 0.2 s
    assert player.t == 40
    # A new episode is shown when the person was watching the newest; not when they picked an older one.
    player.add_episode(_episode(200, 10))
    assert player.episode is player.episodes[1]
    player.choice.setCurrentIndex(0)
    player.choice.activated.emit(0)                            # as a person's pick arrives
    player.add_episode(_episode(300, 10))
    assert player.episode is player.episodes[0] and player.choice.count() == 3
    player.choice.setCurrentIndex(2)
    player.choice.activated.emit(2)                            # back to the newest: follow again
    player.toggle_play()
    player.add_episode(_episode(400, 10))                      # arrives while one plays: shown after it
    assert player.episode is player.episodes[2]
    qtbot.waitUntil(lambda: player.episode is player.episodes[3], timeout=5000)
