"""The training loop: step budget, metric delivery, snapshots, pause/step/stop, NaN handling, live config."""
import dataclasses
import math
import threading
import time

import numpy as np
import pytest
import torch

from studio.control import Control
from studio.runner import Runner, snapshot_due
from studio.runs import new_run

from helpers_core import (BlobSink, RunThread, all_finite, blob_tensors, module_tensors, record_metrics,
                          wait_until)

SERIES = ("loss_d", "loss_g", "d_real", "d_fake")


@pytest.fixture(autouse=True)
def _no_run_left_behind():
    yield
    RunThread.stop_all()   # a failed test must not leave a training thread running


@pytest.fixture
def make_run(tiny_gan_config, tiny_settings):
    """make_run(max_steps=..., paused=..., **runner options) -> (trainer, runner, sink, control)."""

    def make(max_steps=None, paused=False, config=None, **options):
        prepared = new_run("gan", config or tiny_gan_config, tiny_settings, save=False)
        assert prepared.writer is None
        sink, control = BlobSink(), Control(paused=paused)
        options.setdefault("snapshot_every", 10)
        options.setdefault("checkpoint_seconds", 3600.0)
        runner = Runner(prepared.trainer, control, sink, prepared.info, max_steps=max_steps, **options)
        return prepared.trainer, runner, sink, control

    return make


def steps_of(sink, key):
    return [s for s, _ in sink.points.get(key, [])]


def assert_every_step_once(sink, last_step, first_step=1):
    assert set(sink.points) == set(SERIES)
    for key in SERIES:
        assert steps_of(sink, key) == list(range(first_step, last_step + 1)), key


def wait_for_state(sink, state, what=""):
    wait_until(lambda: (s := sink.last_status()) is not None and s.state == state, what=what or f"state {state}")


# --- the step budget and metric delivery ----------------------------------------------------

@pytest.mark.parametrize("emit_seconds", [0.0, 0.1, 1000.0])
def test_max_steps_and_every_point_delivered_once_in_order(make_run, emit_seconds):
    trainer, runner, sink, _ = make_run(max_steps=23, emit_seconds=emit_seconds)
    seen = record_metrics(trainer)
    assert runner.run() == "finished"
    assert trainer.step == 23 and len(seen) == 23
    assert_every_step_once(sink, 23)
    for key in SERIES:  # the very values the trainer returned, at their own steps
        assert sink.points[key] == [(step, metrics[key]) for step, metrics in seen]
        assert all(math.isfinite(v) for _, v in sink.points[key])
    assert sink.finished == "finished"
    assert sink.statuses[-1].state == "stopped" and sink.statuses[-1].step == 23
    assert [s for s, _ in sink.checkpoints] == [23]        # the final checkpoint, once


def test_points_are_coalesced_into_batches(make_run):
    trainer, runner, sink, _ = make_run(max_steps=30, emit_seconds=1000.0, snapshot_every=1000)
    runner.run()
    # with no emit or snapshot due after step 20, the points arrive in few batches, none lost
    assert sink.batches < 30
    assert_every_step_once(sink, 30)


def test_zero_steps(make_run):
    trainer, runner, sink, _ = make_run(max_steps=0)
    assert runner.run() == "finished"
    # The untrained weights are checkpointed at stop, so that even this session can be resumed.
    assert trainer.step == 0 and sink.points == {} and [s for s, _ in sink.blobs] == [0]
    assert [s for s, _ in sink.snapshots] == [0]


def test_checkpoint_every_step_when_due_and_no_duplicate_at_the_end(make_run):
    trainer, runner, sink, _ = make_run(max_steps=6, checkpoint_seconds=0.0)
    runner.run()
    assert [s for s, _ in sink.blobs] == [1, 2, 3, 4, 5, 6]
    final = blob_tensors(sink.blobs[-1][1])
    now = module_tensors(trainer.state_dict())
    assert final.keys() == now.keys() and all(torch.equal(final[k], now[k]) for k in now)


def test_an_exception_propagates_after_the_sink_is_finished(make_run):
    trainer, runner, sink, _ = make_run(max_steps=10)
    original = trainer.train_step

    def failing():
        if trainer.step == 3:
            raise RuntimeError("boom")
        return original()

    trainer.train_step = failing
    with pytest.raises(RuntimeError, match="boom"):
        runner.run()
    assert sink.finished == "error"
    assert_every_step_once(sink, 3)


# --- snapshots ------------------------------------------------------------------------------

def test_snapshot_schedule_function():
    assert [s for s in range(1, 3001) if snapshot_due(s, 1000)] == [1, 2, 5, 10, 20, 50, 100, 200, 500,
                                                                     1000, 2000, 3000]
    assert [s for s in range(1, 401) if snapshot_due(s, 100)] == [1, 2, 5, 10, 20, 50, 100, 200, 300, 400]
    assert [s for s in range(1, 36) if snapshot_due(s, 7)] == [1, 2, 5, 7, 14, 21, 28, 35]
    assert [s for s in range(1, 6) if snapshot_due(s, 1)] == [1, 2, 3, 4, 5]
    assert snapshot_due(0, 100)


def test_runner_takes_snapshots_on_schedule(make_run):
    trainer, runner, sink, _ = make_run(max_steps=25, snapshot_every=10)
    runner.run()
    assert [s for s, _ in sink.snapshots] == [0, 1, 2, 5, 10, 20, 25]  # and the last step trained
    for _, images in sink.snapshots:
        assert images["samples"].shape == (64, 28, 28) and images["samples"].dtype == np.uint8
    # training changes the picture; the fixed noise keeps it comparable
    assert not np.array_equal(sink.snapshots[0][1]["samples"], sink.snapshots[-1][1]["samples"])
    assert sink.previews and sink.previews[0][0] == 0


# --- pause, single steps, stop --------------------------------------------------------------

def test_pause_from_another_thread_then_step_3(make_run):
    trainer, runner, sink, control = make_run(max_steps=None)
    run = RunThread(runner).start()
    wait_until(lambda: trainer.step >= 2, what="a few steps")
    control.pause()
    wait_for_state(sink, "paused")
    s0 = trainer.step
    time.sleep(0.3)
    assert trainer.step == s0, "a paused run went on training"
    control.step(3)
    wait_until(lambda: trainer.step >= s0 + 3, what="3 single steps")
    time.sleep(0.4)
    assert trainer.step == s0 + 3
    assert control.paused
    wait_until(lambda: steps_of(sink, "loss_d")[-1:] == [s0 + 3], what="the stepped points")
    control.stop()
    assert run.join() == "stopped"
    assert trainer.step == s0 + 3
    assert_every_step_once(sink, s0 + 3)


def test_stop_is_cooperative_and_checkpoints(make_run):
    trainer, runner, sink, control = make_run(max_steps=None)
    original = trainer.train_step
    started, finished = [], []
    inside = threading.Event()

    def slow_step():
        started.append(trainer.step)
        inside.set()
        time.sleep(0.05)
        out = original()
        finished.append(trainer.step)
        return out

    trainer.train_step = slow_step
    run = RunThread(runner).start()
    wait_until(lambda: trainer.step >= 3)
    inside.clear()
    assert inside.wait(10)
    control.stop()                       # lands in the middle of a step
    assert run.join() == "stopped"
    assert len(started) == len(finished) == trainer.step     # the step under way was completed
    assert sink.finished == "stopped" and sink.statuses[-1].state == "stopped"
    assert_every_step_once(sink, trainer.step)
    assert [s for s, _ in sink.blobs] == [trainer.step]
    saved = blob_tensors(sink.blobs[-1][1])
    now = module_tensors(trainer.state_dict())
    assert all(torch.equal(saved[k], now[k]) for k in now)


def test_stop_while_paused_after_single_steps(make_run):
    trainer, runner, sink, control = make_run(max_steps=None, paused=True)
    run = RunThread(runner).start()
    wait_for_state(sink, "paused")
    assert trainer.step == 0
    control.step(2)
    wait_until(lambda: trainer.step >= 2)
    control.stop()
    assert run.join() == "stopped"
    assert trainer.step == 2
    assert [s for s, _ in sink.checkpoints] == [2]


# --- a non-finite loss ----------------------------------------------------------------------

def poison_at(trainer, bad_step):
    """From `bad_step` on (once), the step returns a NaN loss and leaves NaN weights behind."""
    original = trainer.train_step

    def step():
        metrics = original()
        if trainer.step == bad_step:
            with torch.no_grad():
                for p in trainer.G.parameters():
                    p.fill_(float("nan"))
            metrics = dict(metrics, loss_d=torch.tensor(float("nan")))
        return metrics

    trainer.train_step = step


def test_nan_pauses_restores_last_good_weights_and_never_checkpoints_nan(make_run):
    trainer, runner, sink, control = make_run(max_steps=None, checkpoint_seconds=0.0)
    poison_at(trainer, 4)
    run = RunThread(runner).start()
    wait_until(lambda: sink.events_of("error"), what="the error event")
    wait_for_state(sink, "paused")
    (error,) = sink.events_of("error")
    assert error.step == 4 and "step 4" in error.message and "step 3" in error.message
    assert control.paused
    assert trainer.step == 4                                  # the counter does not go back
    assert trainer.parameters_finite()
    assert [s for s, _ in sink.blobs] == [1, 2, 3]            # nothing saved at the bad step
    restored, good = module_tensors(trainer.state_dict()), blob_tensors(sink.blobs[-1][1])
    assert all(torch.equal(restored[k], good[k]) for k in good)
    assert math.isnan(dict(sink.points["loss_d"])[4])        # the bad point itself was shown
    time.sleep(0.3)
    assert trainer.step == 4                                  # stays paused

    control.resume()                                          # training goes on from the good weights
    wait_until(lambda: trainer.step >= 7)
    control.stop()
    assert run.join() == "stopped"
    assert all(all_finite(blob_tensors(b)) for _, b in sink.blobs)
    assert_every_step_once(sink, trainer.step)
    assert all(math.isfinite(v) for s, v in sink.points["loss_d"] if s != 4)
    assert sink.blobs[-1][0] == trainer.step


def test_weights_that_turn_nan_behind_a_finite_loss_are_never_checkpointed(make_run):
    """The update of step 3 leaves NaN weights while step 3's own loss is still finite (the usual way a
    run blows up): the checkpoint due at step 3 finds them, pauses with a message, restores step 2's
    weights and saves those — never the NaN ones."""
    trainer, runner, sink, control = make_run(max_steps=None, checkpoint_seconds=0.0, emit_seconds=0.0)
    original = trainer.train_step

    def step():
        metrics = original()
        if trainer.step == 3:
            with torch.no_grad():
                for p in trainer.G.parameters():
                    p.fill_(float("nan"))
        return metrics

    trainer.train_step = step
    run = RunThread(runner).start()
    wait_until(lambda: sink.events_of("error"), what="the error event")
    wait_for_state(sink, "paused")
    (error,) = sink.events_of("error")
    assert error.step == 3 and "weights" in error.message and "step 2" in error.message
    assert math.isfinite(dict(sink.points["loss_d"])[3])
    assert [s for s, _ in sink.blobs] == [1, 2, 3]
    assert trainer.parameters_finite()
    restored, good = module_tensors(trainer.state_dict()), blob_tensors(sink.blobs[1][1])
    assert all(torch.equal(restored[k], good[k]) for k in good)
    saved_at_3 = blob_tensors(sink.blobs[2][1])
    assert all(torch.equal(saved_at_3[k], good[k]) for k in good)
    control.stop()
    assert run.join() == "stopped"
    assert all(all_finite(blob_tensors(b)) for _, b in sink.blobs)


@pytest.mark.parametrize("emit_seconds", [0.0, 1000.0])   # NaN seen inside the loop / only at the end
def test_nan_before_any_checkpoint_restores_the_initial_weights(make_run, emit_seconds):
    trainer, runner, sink, control = make_run(max_steps=3, emit_seconds=emit_seconds)
    initial = {k: v.clone() for k, v in module_tensors(trainer.state_dict()).items()}
    poison_at(trainer, 3)
    assert runner.run() == "finished"
    (error,) = sink.events_of("error")
    assert error.step == 3
    now = module_tensors(trainer.state_dict())
    assert all(torch.equal(now[k], initial[k]) for k in initial)
    assert trainer.step == 3 and control.paused
    # a checkpoint taken after the halt holds the restored, finite weights, never the NaN ones
    assert all(all_finite(blob_tensors(b)) for _, b in sink.blobs)
    for _, blob in sink.blobs:
        saved = blob_tensors(blob)
        assert all(torch.equal(saved[k], initial[k]) for k in initial)
    if emit_seconds == 0.0:
        assert [s for s, _ in sink.blobs] == [3]


# --- config changes -------------------------------------------------------------------------

def test_live_config_change_is_applied_and_a_frozen_one_refused(make_run, tiny_gan_config):
    trainer, runner, sink, control = make_run(max_steps=None, paused=True)
    run = RunThread(runner).start()
    wait_for_state(sink, "paused")

    control.set_config(dataclasses.replace(tiny_gan_config, lr_g=3e-3, beta1=0.9))
    wait_until(lambda: sink.events_of("config"), what="the config event")
    (event,) = sink.events_of("config")
    assert "G learning rate = 0.003" in event.message and "Adam β1 = 0.9" in event.message  # as the form says
    assert trainer.config.lr_g == 3e-3
    assert trainer.opt_g.param_groups[0]["lr"] == 3e-3
    assert trainer.opt_g.param_groups[0]["betas"] == (0.9, 0.999)
    assert trainer.opt_d.param_groups[0]["lr"] == tiny_gan_config.lr_d

    control.set_config(dataclasses.replace(trainer.config, z_dim=16))
    wait_until(lambda: sink.events_of("warning"), what="the warning event")
    (warning,) = sink.events_of("warning")
    assert "noise size" in warning.message
    assert trainer.config.z_dim == 8 and trainer.config.lr_g == 3e-3
    assert len(sink.events_of("config")) == 1

    control.step(2)                                           # the run goes on after the refusal
    wait_until(lambda: trainer.step >= 2)
    control.stop()
    assert run.join() == "stopped"
    assert trainer.step == 2
    assert all(math.isfinite(v) for _, v in sink.points["loss_g"])


def test_out_of_range_config_is_refused_with_a_warning(make_run, tiny_gan_config):
    trainer, runner, sink, control = make_run(max_steps=3)
    control.set_config(dataclasses.replace(tiny_gan_config, lr_g=5.0))
    assert runner.run() == "finished"
    (warning,) = sink.events_of("warning")
    assert "G learning rate" in warning.message and "lr_g" not in warning.message
    assert trainer.config.lr_g == tiny_gan_config.lr_g and trainer.step == 3


def test_config_change_while_running_takes_effect(make_run, tiny_gan_config):
    trainer, runner, sink, control = make_run(max_steps=None)
    batch_sizes = []
    original = trainer._batch

    def batch():
        x, y = original()
        batch_sizes.append((trainer.step + 1, len(x)))
        return x, y

    trainer._batch = batch
    run = RunThread(runner).start()
    wait_until(lambda: trainer.step >= 2)
    control.set_config(dataclasses.replace(tiny_gan_config, batch_size=16))
    wait_until(lambda: sink.events_of("config"))
    changed_at = sink.events_of("config")[0].step
    wait_until(lambda: trainer.step >= changed_at + 2)
    control.stop()
    run.join()
    assert {n for s, n in batch_sizes if s <= changed_at} == {8}
    assert {n for s, n in batch_sizes if s > changed_at} == {16}
