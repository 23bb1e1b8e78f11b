"""The real window driven with qtbot: start, watch, pause, change a setting, step, resume, stop, reopen."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402

from studio.data.digits import load_embedded  # noqa: E402
from studio.session.checkpoint import unpack  # noqa: E402
from studio.session.reader import SessionReader  # noqa: E402
from studio.trainers.gan import GANTrainer  # noqa: E402

from helpers_gui import TINY, saved_gan, shown_step as _step  # noqa: E402


def test_start_pause_change_step_resume_stop_then_reopen(qtbot, window):
    w = window
    qtbot.keyClick(w, Qt.Key_Space)                       # Start
    qtbot.waitUntil(lambda: _step(w) >= 5, timeout=60000)
    assert w.grids["samples"].step is not None                         # the sample grid has been drawn
    qtbot.keyClick(w, Qt.Key_Space)                       # Pause
    assert w.state == "paused"
    qtbot.waitUntil(lambda: w.run.control.paused, timeout=2000)
    qtbot.wait(300)
    paused_at = _step(w)
    qtbot.wait(500)
    assert _step(w) == paused_at, "training went on while paused"

    w.setup.form.editors["lr_g"].setText("0.0001")       # a live field, editable while paused
    assert w.setup.form.editors["lr_g"].isEnabled()
    assert not w.setup.form.editors["g_width"].isEnabled()
    qtbot.keyClick(w, Qt.Key_S)                           # exactly one step
    qtbot.waitUntil(lambda: _step(w) == paused_at + 1, timeout=10000)
    qtbot.wait(400)
    assert _step(w) == paused_at + 1
    assert "changed G learning rate = 0.0001" in w.log.toPlainText()  # the form's label, not lr_g
    assert f"step {paused_at:,}  [config]" in w.log.toPlainText()  # applied to the step it was sent with

    qtbot.keyClick(w, Qt.Key_Space)                       # Resume
    qtbot.waitUntil(lambda: _step(w) >= paused_at + 4, timeout=30000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=10000)
    assert "Session saved" in w.banner.text()

    with SessionReader(w.session_path) as r:
        steps, values = r.series("loss_d")
        assert np.array_equal(steps, np.arange(1, len(steps) + 1)), "a step is missing or repeated"
        assert np.isfinite(values).all()
        last = r.latest_checkpoint()
        assert last is not None and last[0] == steps[-1]
        assert any("G learning rate = 0.0001" in m for _, _, m in r.events())
        assert len(r.snapshot_steps("samples")) >= 3
    assert w.plots.point_count() == 4 * len(steps)        # the window got every point


def test_invalid_value_refused_before_start(qtbot, window):
    window.setup.form.editors["lr_d"].setText("5")
    window.start()
    assert window.run is None and window.state == "idle"
    assert "D learning rate" in window.banner.text() and "out of range" in window.banner.text()
    assert "lr_d" not in window.banner.text()
    assert "d33" in window.setup.form.editors["lr_d"].styleSheet()  # the field is outlined


def test_close_mid_run_stops_quickly_and_leaves_a_complete_file(qtbot, window):
    import time
    window.start()
    qtbot.waitUntil(lambda: _step(window) >= 3, timeout=60000)
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 < 5
    assert not window.run.is_running()
    with SessionReader(window.session_path) as r:
        step, _ = r.latest_checkpoint()
        assert step == r.last_step() >= 3


def test_nonfinite_loss_pauses_with_a_message(qtbot, window, monkeypatch):
    real_step = GANTrainer.train_step

    def poisoned(self):
        out = real_step(self)
        if self.step >= 4:
            out["loss_g"] = torch.tensor(float("nan"))
        return out

    monkeypatch.setattr(GANTrainer, "train_step", poisoned)
    window.start()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=60000)
    assert "NaN" in window.banner.text()
    window.stop()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=10000)
    with SessionReader(window.session_path) as r:
        step, blob = r.latest_checkpoint()
        assert any(kind == "error" and "NaN" in m for _, kind, m in r.events())
    # No good checkpoint existed after step 0, so the weights saved at stop are the initial ones.
    saved = unpack(blob)["modules"]["G"]
    fresh = GANTrainer(TINY, load_embedded(), torch.device("cpu"), 0).G.state_dict()
    assert all(torch.equal(saved[k], fresh[k]) for k in fresh)


def test_training_exception_is_shown_and_a_new_run_can_start(qtbot, window, monkeypatch):
    def broken(self):
        raise RuntimeError("simulated failure in the training step")

    monkeypatch.setattr(GANTrainer, "train_step", broken)
    window.start()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=60000)
    assert "simulated failure" in window.banner.text()
    monkeypatch.undo()
    window.setup.form.set_values(TINY)
    window.start()
    qtbot.waitUntil(lambda: _step(window) >= 2, timeout=60000)
    window.stop()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=10000)


def test_close_during_a_slow_step_waits_for_it_and_saves(qtbot, window, monkeypatch):
    import time

    import threading

    import widgets.main_window as mw
    real_step = GANTrainer.train_step
    in_slow_step = threading.Event()

    def slow(self):
        if self.step >= 3:
            in_slow_step.set()
            time.sleep(1.5)
        return real_step(self)

    monkeypatch.setattr(GANTrainer, "train_step", slow)
    monkeypatch.setattr(mw, "CLOSE_WAIT_MS", 200)
    window.start()
    qtbot.waitUntil(in_slow_step.is_set, timeout=60000)
    window.close()
    assert window.isVisible() and window.run.is_running()   # not killed mid-step
    assert "Saving" in window.banner.text()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    assert not window.run.is_running()
    with SessionReader(window.session_path) as r:
        assert r.latest_checkpoint()[0] == r.last_step() >= 4


def test_vae_scatter_and_interpolation_follow_the_viewers_choice(qtbot, window):
    from studio.trainers.vae_config import VAEConfig
    from widgets.latent_scatter import LatentScatter
    w = window
    w.setup.select_model("vae")
    w.setup.form.set_values(VAEConfig(latent_dim=2, width=4, batch_size=16, holdout=50, eval_every=5))
    qtbot.keyClick(w, Qt.Key_Space)
    qtbot.waitUntil(lambda: w.grids.get("latent") is not None and w.grids["latent"].step is not None
                    and w.grids["interp"].step is not None, timeout=60000)
    scatter, interp = w.grids["latent"], w.grids["interp"]
    assert isinstance(scatter, LatentScatter)
    assert sum(len(item.data) for item in scatter.items) == 50       # every held-out digit, once
    assert set(w.grids) == {"samples", "recon", "manifold", "latent", "interp"}
    qtbot.keyClick(w, Qt.Key_Space)                                    # pause
    qtbot.waitUntil(lambda: w.run.control.paused, timeout=2000)
    assert interp.picker.isEnabled()
    qtbot.wait(600)  # the paused step's scatter is drawn and auto-ranged: clicks map to where it shows
    a, b = w.info.views["interp"]
    assert interp.picker.pair() == (a, b) and scatter.pair == (a, b)

    # Two clicks on points, mapped the way mouse clicks are: the first sets A, the second B.
    sx, sy = scatter.plot.getViewBox().viewPixelSize()
    screen = scatter.points[:, :2] / np.array([sx, sy])
    gaps = np.hypot(*(screen[:, None] - screen[None]).transpose(2, 0, 1)) + np.eye(len(screen)) * 1e9
    first, target = (int(i) for i in gaps.min(1).argsort()[::-1][:2])  # the two most isolated points:
    assert target not in (a, b)                                         # unambiguous to click
    box, where = scatter.plot.getViewBox(), []
    for i in (first, target):
        x, y = (float(v) for v in scatter.points[i, :2])
        assert scatter.nearest(x, y) == i
        where.append(scatter.view.mapFromScene(box.mapViewToScene(QPointF(x, y))))
    qtbot.mouseClick(scatter.view.viewport(), Qt.LeftButton, Qt.NoModifier, where[0])
    assert scatter.first == first and interp.picker.pair() == (a, b)   # half made: nothing sent yet
    with qtbot.waitSignal(scatter.pairPicked, timeout=2000) as picked:
        qtbot.mouseClick(scatter.view.viewport(), Qt.LeftButton, Qt.NoModifier, where[1])
    assert picked.args == [first, target]
    assert interp.picker.pair() == (first, target) and scatter.pair == (first, target)
    held = (w.run.worker.prepared.trainer.x_held.squeeze(1) * 255).round().to(torch.uint8).numpy()
    qtbot.waitUntil(lambda: np.array_equal(interp.image.image[-28:, -28:], held[target]), timeout=10000)

    interp.picker.spin_a.setValue(3)                                   # the spin box works the same way
    qtbot.waitUntil(lambda: w.run.worker.prepared.trainer.pair == (3, target), timeout=10000)
    qtbot.waitUntil(lambda: np.array_equal(interp.image.image[:28, :28], held[3]), timeout=10000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    assert not interp.picker.isEnabled()


def test_dqn_runs_in_the_window_with_its_curves_game_and_episodes(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    from studio.trainers.dqn_config import DQNConfig
    w = window
    w.setup.select_model("dqn")
    assert not w.setup.data.isVisibleTo(w)                     # a game agent has no dataset to choose
    w.setup.form.set_values(DQNConfig(hidden=16, learning_starts=100, train_freq=16, gradient_steps=2,
                                      eval_every=200, eval_episodes=1))
    qtbot.keyClick(w, Qt.Key_Space)
    qtbot.waitUntil(lambda: w.player is not None and len(w.player.episodes) >= 2, timeout=60000)
    game = w.grids["game"]
    qtbot.waitUntil(lambda: game.step is not None, timeout=10000)
    assert game.image.image.shape == (400, 600, 3)           # the live game, in colour
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    assert w.plots.buffers["epsilon"].n >= 400 and w.plots.buffers["td_loss"].n > 0
    player = w.player
    assert player.choice.count() == len(player.episodes) and player.episode is player.episodes[-1]
    with SessionReader(w.session_path) as r:
        assert r.kind == "dqn" and len(r.series("episode_return")[0]) > 5
        assert r.episode_index()["step"].tolist() == [e.step for e in player.episodes]
    player.choice.setCurrentIndex(0)                           # File ▸ Export ▸ the chosen episode
    player.choice.activated.emit(0)
    out = tmp_path / "first.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    w.exports.actions["episode"].trigger()
    qtbot.waitUntil(lambda: "Exported the episode" in w.banner.text(), timeout=30000)
    assert f"step {player.episodes[0].step:,}" in w.banner.text()
    assert out.stat().st_size > 0
    w.setup.select_model("gan")
    assert w.setup.data.isVisibleTo(w)


def test_open_a_saved_session_and_scrub_its_timeline(qtbot, window, tmp_path):
    w = window
    path = saved_gan(tmp_path)
    assert w.open_session(path)
    assert w.timeline.isVisibleTo(w) and w.plots.buffers["loss_d"].n == 60
    grid = w.grids["samples"]
    assert grid.step == 60                                       # the newest snapshot first
    with SessionReader(path) as r:
        w.timeline.go_to(3)                                      # the slider's 4th position: step 5
        assert grid.step == 5 and np.array_equal(grid.image.image, _tile_of(r.snapshot("samples", 3)))
    w.timeline.step_box.setValue(27)                             # a typed step shows the snapshot at or before it
    assert grid.step == 20 and w.timeline.slider.value() == 5
    w.timeline.slider.setFocus()
    qtbot.keyClick(w.timeline.slider, Qt.Key_Right)
    assert grid.step == 30
    marks = w.plots.markers.values()                             # the curves show where the timeline is
    assert len(marks) == len(w.plots.plots) and all(m.isVisible() and m.value() == 30 for m in marks)
    qtbot.keyClick(w, Qt.Key_Space)                              # Start: a new run replaces the view
    assert _step(w) == -1                                        # not the session's 60 any more
    qtbot.waitUntil(lambda: _step(w) >= 3, timeout=20000)
    assert w.viewed is None and w.grids["samples"] is not grid   # the timeline is the run's own now
    assert np.array_equal(w.timeline.steps, w.live.steps())
    assert not w.open_session(path) and "Stop the current run" in w.banner.text()


def _tile_of(stack):
    from studio.images import tile
    return tile(stack, 8)


def test_opening_a_damaged_or_foreign_file_says_so(qtbot, window, tmp_path):
    w = window
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not an hdf5 file at all" * 100)
    assert not w.open_session(bad)
    assert "Not opened" in w.banner.text() and w.viewed is None
    path = saved_gan(tmp_path, steps=20)
    cut = tmp_path / "cut.h5"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    w.open_session(cut)                                          # whatever it manages, it never raises
    assert w.open_session(path)                                  # and the window still works


def test_damaged_copies_never_hang_the_window(qtbot, window, tmp_path):
    import random
    import time

    from test_core_reliability_corrupt import damage
    w = window
    path = saved_gan(tmp_path, steps=20)
    rng = random.Random(7)
    for i in range(8):
        how, data = damage(path.read_bytes(), rng)
        copy = tmp_path / f"copy{i}-{how}.h5"
        copy.write_bytes(data)
        t0 = time.monotonic()
        opened = w.open_session(copy)
        assert time.monotonic() - t0 < 8, f"{copy.name} took {time.monotonic() - t0:.1f} s"
        assert opened or "Not opened" in w.banner.text()
    assert w.open_session(path) and w.plots.buffers["loss_d"].n == 20


def test_an_opened_session_shows_its_model_and_settings_in_the_form(qtbot, window, tmp_path):
    w = window
    path = saved_gan(tmp_path, steps=5)
    w.setup.select_model("vae")
    assert w.open_session(path)
    assert w.setup.kind() == "gan" and w.setup.config() == TINY


# --- the empty window, switching model, and the status bar between runs ---

def _hint_shown(w) -> bool:
    return w.view_stack.currentWidget() is w.hint and w.hint.isVisibleTo(w)


def _status_is_blank(w) -> bool:
    from widgets.status_labels import NO_CLOCK, NO_RATE, NO_STEP
    return (w.lbl_step.text(), w.lbl_rate.text(), w.lbl_time.text(), w.lbl_file.text()) == \
        (NO_STEP, NO_RATE, NO_CLOCK, "")


def _pick_model(w, kind: str) -> None:
    """As the combo does when a person picks another model."""
    w.setup.model.setCurrentIndex(w.setup.model.findData(kind))


def test_the_empty_window_says_what_to_do_until_a_run_starts(qtbot, window):
    w = window
    assert _hint_shown(w) and not w.views.isVisibleTo(w)
    assert "Space" in w.hint.text() and "Ctrl+O" in w.hint.text()
    qtbot.keyClick(w, Qt.Key_Space)
    assert _hint_shown(w) and "Preparing" in w.hint.text()       # until the run has built its views
    qtbot.waitUntil(lambda: _step(w) >= 2, timeout=60000)
    assert not _hint_shown(w) and w.views.isVisibleTo(w)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    assert not _hint_shown(w) and w.grids                          # the finished run stays on screen


def test_a_new_run_starts_without_the_old_runs_numbers(qtbot, window):
    w = window
    w.start()
    qtbot.waitUntil(lambda: _step(w) >= 3, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    assert not _status_is_blank(w)
    w.start()
    assert _status_is_blank(w)                                    # not the last run's step, rate and clock
    qtbot.waitUntil(lambda: _step(w) >= 1, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)


def test_switching_model_clears_the_previous_models_views(qtbot, window):
    w = window
    w.start()
    qtbot.waitUntil(lambda: _step(w) >= 3 and w.grids["samples"].step is not None, timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)
    assert w.plots.plots and w.grids and w.log.toPlainText()
    _pick_model(w, "vae")
    assert _hint_shown(w) and "Ready" in w.hint.text()
    assert not w.plots.plots and not w.plots.buffers and not w.grids
    assert not w.timeline.isVisibleTo(w) and w.log.toPlainText() == "" and not w.banner.isVisibleTo(w)
    assert _status_is_blank(w) and w.session_path is None          # nothing left to export either
    qtbot.keyClick(w, Qt.Key_Space)                                # and the new model trains
    qtbot.waitUntil(lambda: w.info is not None and w.info.kind == "vae", timeout=60000)
    w.stop()
    qtbot.waitUntil(lambda: w.state == "idle", timeout=30000)


def test_switching_model_closes_an_opened_session(qtbot, window, tmp_path):
    w = window
    path = saved_gan(tmp_path, steps=5)
    _pick_model(w, "vae")
    assert w.open_session(path)                                    # showing its own model does not close it
    assert w.viewed is not None and not _hint_shown(w) and w.plots.buffers["loss_d"].n == 5
    assert w.sessions.act_resume.isEnabled()
    _pick_model(w, "dqn")
    assert w.viewed is None and _hint_shown(w) and not w.sessions.act_resume.isEnabled()
    assert _status_is_blank(w) and w.lbl_state.text() == "idle"
