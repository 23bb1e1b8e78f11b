"""One look: a run looks the same live and reopened from its file (curve order, colours, legends, panel
places), the status bar, timeline and panel titles agree on the step, and the window names settings by
the form's labels, never by field names."""
import dataclasses
from types import SimpleNamespace

import h5py
import pytest
from PySide6.QtCore import Qt

from studio import config as cfg
from studio.control import Control
from studio.errors import ConfigError
from studio.rl.vector_game import VectorGame
from studio.runner import CHECKPOINT_NOTE_SECONDS, Runner
from studio.runs import new_run
from studio.session import layout as L
from studio.session.history import saved_panels, saved_series
from studio.session.reader import LEGACY_PANEL_ORDER, LEGACY_SERIES_ORDER, SessionReader
from studio.session.writer import SessionWriter
from studio.sinks import MemorySink, RunInfo
from studio.trainers.dqn import DQNTrainer
from studio.trainers.gan import GANTrainer
from studio.trainers import quality_series as Q
from studio.trainers.gan_config import GANConfig
from studio.trainers.vae import VAETrainer
from studio.trainers.vae_config import VAEConfig

from helpers_gui import TINY, saved_gan, shown_step


def declared(cls, **state):
    """A trainer class's declared series and panels, without building the trainer (no data, no game)."""
    me = SimpleNamespace(n_shown=10, n_recon=8, recon_cols=8, classes=tuple("0123456789"), data=SimpleNamespace(classes=list("0123456789")),
                         **state)
    return cls.series.fget(me), cls.panels.fget(me)


CARTPOLE = SimpleNamespace(config=SimpleNamespace(env="CartPole-v1"), spec=SimpleNamespace(frame_shape=(40, 60, 3)))
MODELS = {
    "gan": declared(GANTrainer, config=GANConfig()),
    "vae two-stage, 2-D": declared(VAETrainer, config=VAEConfig(two_stage=True, latent_dim=2)),
    "vae": declared(VAETrainer, config=VAEConfig()),
    "dqn": declared(DQNTrainer, game=SimpleNamespace(
        series=lambda: VectorGame.series(CARTPOLE), panels=lambda: VectorGame.panels(CARTPOLE))),
}


def write_session(path, series, panels):
    info = RunInfo("x", "X", GANConfig(), GANConfig(), "cpu", series, panels, 0)
    SessionWriter.create(path, info).close()


def strip_order(path):
    """Make the file look like one written before curves and panels carried their order."""
    with h5py.File(path, "r+") as f:
        for group in (L.METRICS, L.IMAGES):
            for member in f[group].values():
                del member.attrs["order"]


# --- order: as declared, live and reopened, old files too -------------------------------------

@pytest.mark.parametrize("model", list(MODELS))
def test_a_reopened_session_lists_curves_and_panels_as_the_trainer_declared(tmp_path, model):
    series, panels = MODELS[model]
    saved = [p for p in panels if p.saved]
    path = tmp_path / "s.h5"
    write_session(path, series, panels)
    with SessionReader(path) as r:
        assert saved_series(r) == series                       # order, labels, plots, drawing
        assert [(p.key, p.label) for p in saved_panels(r)] == [(p.key, p.label) for p in saved]
    strip_order(path)                                          # a file from before `order`
    with SessionReader(path) as r:
        assert [s.key for s in saved_series(r)] == [s.key for s in series]
        assert [p.key for p in saved_panels(r)] == [p.key for p in saved]


def test_the_order_for_old_files_is_every_trainers_declared_order():
    for series, panels in MODELS.values():
        keys = [s.key for s in series]
        assert sorted(keys, key=LEGACY_SERIES_ORDER.index) == keys
        shown = [p.key for p in panels if p.saved]
        assert sorted(shown, key=LEGACY_PANEL_ORDER.index) == shown


def test_hdf5_alone_would_list_them_alphabetically(tmp_path):
    """Why the order is stored: without it, the GAN's D outputs would come before its losses."""
    series, panels = MODELS["gan"]
    write_session(tmp_path / "s.h5", series, panels)
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert list(f[L.METRICS]) == sorted(s.key for s in series) != [s.key for s in series]


# --- labels, not field names ------------------------------------------------------------------

def test_settings_are_described_by_their_labels():
    assert cfg.describe(GANConfig, {"lr_g": 1e-4, "n_critic": 5}) == "G learning rate = 0.0001, D steps per G step = 5"
    with pytest.raises(ConfigError) as err:
        cfg.from_dict(GANConfig, {"lr_g": "5", "z_dim": "1"})
    assert err.value.fields == ("z_dim", "lr_g")
    assert "noise size" in str(err.value) and "G learning rate" in str(err.value)
    assert "lr_g" not in str(err.value) and "z_dim" not in str(err.value)


def test_a_cross_check_can_name_its_field():
    @dataclasses.dataclass(frozen=True)
    class Paired:
        width: int = cfg.param(4, "a width", low=1, high=8, label="layer width")

        def cross_check(self):
            return [("width", "layer width must be even")] if self.width % 2 else []

    with pytest.raises(ConfigError) as err:
        cfg.validate(Paired(width=3))
    assert err.value.fields == ("width",) and str(err.value) == "layer width must be even"


# --- checkpoints in the event log ---------------------------------------------------------------

def test_checkpoints_are_listed_at_most_once_a_minute_and_the_last_always(tiny_settings):
    now = [0.0]
    prepared = new_run("gan", TINY, tiny_settings, save=False)
    sink, control = MemorySink(), Control()
    runner = Runner(prepared.trainer, control, sink, prepared.info, clock=lambda: now[0])
    for t in (0, 1, 2, 30, CHECKPOINT_NOTE_SECONDS + 0.5, CHECKPOINT_NOTE_SECONDS + 1):
        now[0] = t
        runner._checkpoint()
    control.stop()
    runner._checkpoint()                                        # the one at stop
    notes = [e.message for e in sink.events if e.kind == "checkpoint"]
    assert len(sink.checkpoints) == 7 and len(notes) == 3
    assert "MB" in notes[0] and "more" not in notes[0]
    assert "3 more since" in notes[1] and "1 more since" in notes[2]


# --- the window -------------------------------------------------------------------------------

def look(w) -> dict:
    """What a person sees of the layout: each plot's title with its legend (labels and colours) in
    order, and each panel's dock: its area, place, size and title."""
    plots = [(name, [(label.text, sample.item.opts["pen"].color().name()) for sample, label in plot.legend.items])
             for name, plot in w.plots.plots.items()]
    places = {key: (w.dockWidgetArea(dock).name, dock.geometry().getRect(), dock.windowTitle(), w.grids[key].label)
              for key, dock in w.docks.docks.items() if key in w.grids}
    return {"plots": plots, "panels": places}


def title_step(grid) -> int:
    return grid.step


def test_a_gan_run_looks_the_same_live_and_reopened(qtbot, window, tmp_path):
    w = window
    w.setup.form.set_values(dataclasses.replace(TINY, lr_g=3e-4))
    w.start()
    qtbot.waitUntil(lambda: w.live is not None and len(w.timeline.steps) >= 4 and shown_step(w) > 25,
                    timeout=60000)
    live_look = look(w)
    assert [name for name, _ in live_look["plots"]] == ["loss", "D output", Q.FD_PLOT, Q.COVER_PLOT]
    assert w.timeline.step_box.text() == "live"                  # not the newest snapshot's step
    w.grab().save(str(tmp_path / "live.png"))

    w.pause()
    qtbot.waitUntil(lambda: w.run.control.paused, timeout=5000)
    qtbot.keyClick(w, Qt.Key_S)                                 # one step: all three say the same step
    at = shown_step(w)
    qtbot.waitUntil(lambda: shown_step(w) > at and title_step(w.grids["samples"]) == shown_step(w), timeout=10000)
    assert w.timeline.step_box.text() == "live"
    w.timeline.go_to(0)                                         # back in time: a step, not "live"
    assert w.timeline.step_box.text() == f"step {int(w.timeline.steps[0]):,}"
    assert title_step(w.grids["samples"]) == int(w.timeline.steps[0])
    w.timeline.go_to(len(w.timeline.steps) - 1)

    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=20000)
    assert "[checkpoint]" in w.log.toPlainText()                # the checkpoint at stop is listed
    newest = int(w.timeline.steps[-1])
    assert w.timeline.step_box.text() == f"step {newest:,}"      # the run is over: its newest snapshot
    assert title_step(w.grids["samples"]) == newest
    ended_where = w.timeline.where.text()
    w.lbl_rate.setText("123.4 steps/s")                         # as a long run would leave it

    assert w.open_session(w.session_path)
    w.grab().save(str(tmp_path / "reopened.png"))
    assert look(w) == live_look                                 # same plots, legends, colours, panel places
    assert w.timeline.step_box.text() == f"step {newest:,}" and w.timeline.where.text() == ended_where
    assert title_step(w.grids["samples"]) == newest
    assert "123.4" not in w.lbl_rate.text() and "–" in w.lbl_rate.text()   # not the last run's speed
    log = w.log.toPlainText()
    assert "[checkpoint]" in log
    with SessionReader(w.session_path) as r:
        assert any(kind == "checkpoint" for _, kind, _ in r.events())
        if r.last_step() > newest:                              # training went on after the newest snapshot
            assert f"trained on to step {r.last_step():,}" in w.timeline.where.text()


def test_a_setting_changed_mid_run_is_logged_by_its_label(qtbot, window):
    w = window
    w.start()
    qtbot.waitUntil(lambda: shown_step(w) >= 2, timeout=60000)
    w.pause()
    w.setup.form.editors["n_critic"].setValue(2)
    qtbot.keyClick(w, Qt.Key_S)
    qtbot.waitUntil(lambda: "[config]" in w.log.toPlainText(), timeout=10000)
    assert "changed D steps per G step = 2" in w.log.toPlainText()
    assert "n_critic" not in w.log.toPlainText()
    w.setup.form.editors["lr_d"].setText("7")                   # refused: named by its label, outlined
    qtbot.keyClick(w, Qt.Key_S)
    assert "D learning rate" in w.banner.text() and "lr_d" not in w.banner.text()
    assert "d33" in w.setup.form.editors["lr_d"].styleSheet()
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=20000)


def test_an_old_file_opens_in_the_same_order(qtbot, window, tmp_path):
    path = saved_gan(tmp_path, steps=20)
    assert window.open_session(path)
    fresh = look(window)
    window.close_viewed()
    strip_order(path)
    assert window.open_session(path)
    assert look(window) == fresh
    assert [name for name, _ in fresh["plots"]] == ["loss", "D output", Q.FD_PLOT, Q.COVER_PLOT]
