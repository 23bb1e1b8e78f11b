"""The training loop shared by the window's worker thread, the headless CLI and the tests.

It drives a trainer step by step, pausing and stopping only between steps (see Control), and
reports to a Sink in coalesced batches: metric points every ~100 ms (none dropped), a preview
image a few times a second, snapshots on a step schedule, checkpoints on a time schedule and at stop.
A non-finite loss pauses the run and restores the last good weights; no NaN is ever checkpointed.

A checkpoint costs this thread only packing the state into bytes (~10 ms for the default models); the
session writer writes it on a thread of its own. So checkpoints can come every CHECKPOINT_SECONDS and a
crash loses at most that much training (plus the step under way and the write in flight).
"""
import sys
import time

import numpy as np
import torch

from studio import config as cfg
from studio.budget import NOTE as BUDGET_NOTE, BudgetWatch
from studio.control import Control
from studio.errors import DiskFull
from studio.run_settings import CHECKPOINT_SECONDS
from studio.session.checkpoint import pack, unpack
from studio.sinks import Event, MetricBatch, RunInfo, Sink, Status


def snapshot_due(step: int, every: int) -> bool:
    """Every `every` steps, plus 1, 2, 5, 10, 20, 50… below that, when the picture changes fastest."""
    if step % every == 0:
        return True
    if step >= every:
        return False
    mantissa = step
    while mantissa % 10 == 0:
        mantissa //= 10
    return mantissa in (1, 2, 5)


SCORE_WAIT_S = 2.0  # at most this long, a run that ends waits for a quality score still being computed
PREVIEW_SHARE = 0.03  # previews may take up to 3% of training time…
PREVIEW_MAX_S = 0.7   # …but come more than once a second: on a loaded CPU every cost stretches
CHECKPOINT_NOTE_SECONDS = 60.0  # the event log lists a checkpoint at most this often


class Runner:
    def __init__(self, trainer, control: Control, sink: Sink, info: RunInfo, *, max_steps: int | None = None,
                 snapshot_every: int = 100, checkpoint_seconds: float = CHECKPOINT_SECONDS,
                 emit_seconds: float = 0.1, preview_seconds: float | None = 0.25, clock=time.monotonic,
                 tuner=None, budget=None):
        self.trainer, self.control, self.sink, self.info = trainer, control, sink, info
        self.tuner = tuner  # studio.threads.ThreadTuner: torch's CPU threads follow the machine's load
        if tuner is not None:
            tuner.on_change = self._threads_changed
        self.max_steps, self.snapshot_every = max_steps, snapshot_every
        # A budget (studio/budget.py) with a metric unknown to this model is refused here, before training.
        self.budget = BudgetWatch(budget, trainer.series, trainer.step) if budget is not None and budget.is_set() else None
        self.checkpoint_seconds, self.emit_seconds, self.preview_seconds = checkpoint_seconds, emit_seconds, preview_seconds
        self.clock = clock
        self._pending = {s.key: ([], []) for s in trainer.series}
        self._saved = {p.key for p in trainer.panels if p.saved}
        self._snap_step = None  # the step of the newest snapshot taken
        # Restored after a NaN; a timed checkpoint's state (an Atari agent's replay memory is not copied).
        self._last_good = (trainer.step, pack(trainer.checkpoint_state(final=False)))
        # A resumed run has its checkpoint already; a new one stopped before its first step still gets
        # one at stop, so that every session can be resumed.
        self._last_ckpt_step = trainer.step if trainer.step > 0 else None
        self._last_ckpt_whole = True  # that checkpoint holds everything (not a timed one without the replay)
        self.elapsed = 0.0
        self._rate = 0.0
        self._preview_step = None
        self._preview_cost = 0.0

    # --- reporting ---
    def _flush_metrics(self) -> bool:
        """Send pending points; False if any is non-finite (the caller then halts)."""
        points, finite = {}, True
        for key, (steps, values) in self._pending.items():
            if steps:
                # One device->host copy per series per batch, not one per step.
                vals = torch.stack(values).cpu().double().numpy()  # to host first: MPS has no float64
                points[key] = (np.asarray(steps, np.int64), vals)
                finite = finite and bool(np.isfinite(vals).all())
                steps.clear()
                values.clear()
        if points:
            self.sink.metrics(MetricBatch(points))
            if self.budget is not None:
                self.budget.metrics(points)
        return finite

    def _status(self, state: str, elapsed: float | None = None) -> None:
        threads = self.tuner.current if self.tuner is not None else None
        elapsed = self.elapsed if elapsed is None else elapsed
        self.sink.status(Status(self.trainer.step, self._rate, elapsed, state, self.max_steps, threads))
        self.sink.flush()

    def _during_step(self) -> bool:
        """A trainer calls this now and then inside a long step (a DQN's evaluation games): the clock and
        the views go on, as between steps. Returns whether to stop."""
        now = self.clock()
        if now - self._last_preview_at >= PREVIEW_MAX_S:
            self._last_preview_at = now
            self._status("running", self.elapsed + now - self._step_start)
            if self.preview_seconds is not None:
                self.sink.preview(self.trainer.step, self.trainer.preview_images())
        return self.control.stopping

    def _checkpoint(self, final: bool = False) -> None:
        """`final`: the run's last checkpoint, always whole; a timed one may leave out a large replay memory."""
        if not self.trainer.parameters_finite():
            # Never save NaN weights: go back to the last good ones (and say so), then save those.
            self._halt_on_nonfinite("The weights")
        blob = pack(self.trainer.checkpoint_state(final))
        timed_is_whole = self.trainer.timed_state_is_whole()
        if timed_is_whole or not final:  # not kept: a last checkpoint with an Atari replay memory (0.7 GB)
            self._last_good = (self.trainer.step, blob)
        self._last_ckpt_step = self.trainer.step
        self._last_ckpt_whole = final or timed_is_whole
        self.sink.checkpoint(self.trainer.step, blob)
        # Said in the event log (the session writer files it once the checkpoint is in the file), but at
        # most once a CHECKPOINT_NOTE_SECONDS, as the cadence may be as short as a second; the run's last
        # checkpoint is always said.
        now, noted = self.clock(), getattr(self, "_ckpt_noted", None)  # (time, checkpoints not said since)
        last = self.control.stopping or (self.max_steps is not None and self.trainer.step >= self.max_steps)
        if noted is not None and now - noted[0] < CHECKPOINT_NOTE_SECONDS and not last:
            self._ckpt_noted = (noted[0], noted[1] + 1)
            return
        more = f"; {noted[1]} more since the last one listed" if noted and noted[1] else ""
        self.sink.event(Event(self.trainer.step, "checkpoint",
                              f"saved ({len(blob) / 1e6:.2f} MB): training can resume from here{more}"))
        self._ckpt_noted = (now, 0)

    def _halt_on_nonfinite(self, what: str = "A loss") -> None:
        step, blob = self._last_good
        bad_step = self.trainer.step
        self.trainer.take_episodes()  # played by the broken weights: not worth keeping
        self.control.pause()
        state = unpack(blob, self.trainer.device)
        state["step"] = bad_step  # the step counter goes on: no step number is ever reused
        state["config"] = cfg.to_dict(self.trainer.config)  # keep settings changed since that checkpoint
        self.trainer.load_state_dict(state)
        msg = (f"{what} became NaN or infinite at step {bad_step}. Training is paused and the weights are "
               f"restored from step {step}. Lower the learning rate (or change the loss), then resume.")
        self.sink.event(Event(bad_step, "error", msg))

    def _notes(self) -> None:
        for message in self.trainer.take_notes():
            self.sink.event(Event(self.trainer.step, "info", message))

    def _threads_changed(self, choice) -> None:
        """Say why the speed changed: the thread count the tuner chose, with what it measured."""
        rates = ", ".join(f"{rate:.1f} steps/s on {n}" for n, rate in sorted(choice.rates.items()))
        others = ("" if choice.other_load is None else
                  f"; other programs kept {choice.other_load:.1f} cores busy meanwhile")
        plural = "s" if choice.threads > 1 else ""
        self.sink.event(Event(self.trainer.step, "info", f"training now uses {choice.threads} CPU thread{plural} "
                                                          f"(measured {rates}{others})"))

    def _apply_config(self) -> None:
        new = self.control.take_config()
        if new is None:
            return
        try:
            changed = self.trainer.change_config(new)
        except Exception as exc:  # a refused change is reported, the run goes on unchanged
            self.sink.event(Event(self.trainer.step, "warning", f"setting not changed: {exc}"))
            return
        if changed:
            self.sink.event(Event(self.trainer.step, "config", f"changed {cfg.describe(new, changed)}"))

    def _apply_views(self) -> None:
        views = self.control.take_views()
        for key, value in views.items():
            try:
                self.trainer.set_view(key, value)
            except ValueError as exc:
                self.sink.event(Event(self.trainer.step, "warning", f"view not changed: {exc}"))
        if views and self.preview_seconds is not None:
            self._preview_step = None  # show the new choice now, not at the next scheduled preview
            self._preview()

    def _take_scores(self, wait: float = 0.0) -> None:
        """Points measured off the training thread (a quality score), at the steps they measured."""
        for step, scores in self.trainer.take_scores(wait):
            for key, value in scores.items():
                if key in self._pending:
                    steps, values = self._pending[key]
                    steps.append(step)
                    values.append(torch.tensor(float(value), dtype=torch.float64))

    def _idle(self) -> None:
        """While paused: apply setting changes, and make sure the views show the step paused at."""
        self._apply_config()
        self._apply_views()
        self._take_scores()  # a score of the step paused at arrives while paused
        if not self._flush_metrics():
            self._halt_on_nonfinite()
        self._preview()
        self._status("paused")

    def _preview(self, whole: bool = True) -> None:
        """`whole`: every panel (a pause, a single step); else what the trainer shows live (preview_images)."""
        if self.preview_seconds is not None and self._preview_step != self.trainer.step:
            start, t = self.clock(), self.trainer
            self.sink.preview(t.step, t.images() if whole else t.preview_images())
            self._preview_cost = self.clock() - start
            self._preview_step = t.step

    def _snapshot(self) -> None:
        """Snapshots of the panels kept in the session (a live-only view such as the game is left out)."""
        if self._saved and self._snap_step != self.trainer.step:
            self._snap_step = self.trainer.step
            images = self.trainer.images()
            self.sink.snapshot(self.trainer.step, {k: v for k, v in images.items() if k in self._saved})

    def _preview_due(self, since_last: float) -> bool:
        """Previews every preview_seconds, but stretched so drawing them takes at most
        PREVIEW_SHARE of the training time (a large generator on a CPU refreshes less often), and never
        further apart than PREVIEW_MAX_S: the views of a run on a busy machine must still look live."""
        if self.preview_seconds is None:
            return False
        return since_last >= min(max(self.preview_seconds, self._preview_cost / PREVIEW_SHARE), PREVIEW_MAX_S)

    # --- the loop ---
    def run(self) -> str:
        """Train until max_steps or a stop; returns 'finished' or 'stopped'. Exceptions propagate after
        the sink has been finished, so what was saved stays saved."""
        t, sink, control = self.trainer, self.sink, self.control
        t.stop_requested = self._during_step  # until this run ends
        sink.start(self.info)
        reason = "error"
        clean = False
        now = self.clock()
        last_emit = last_ckpt = self._last_preview_at = self._step_start = now
        window_step, window_t = t.step, now
        if self.budget is not None:
            self.budget.start_elapsed = self.elapsed
        try:
            if t.step == 0 or snapshot_due(t.step, self.snapshot_every):
                self._snapshot()
            self._preview()
            self._notes()
            while True:
                if self.max_steps is not None and t.step >= self.max_steps:
                    reason = "finished"
                    break
                before = self.clock()
                if not control.next_turn(idle=self._idle):
                    reason = "stopped"
                    break
                self._apply_config()  # a change sent with Resume/Step applies to that very step
                self._apply_views()
                start = self._step_start = self.clock()
                if start - before > 0.05:  # a pause: restart the rate window after it
                    window_step, window_t = t.step, start
                metrics = t.train_step()
                for key, value in metrics.items():
                    steps, values = self._pending[key]
                    steps.append(t.step)
                    values.append(value)
                self._take_scores()
                now = self.clock()
                self.elapsed += now - start
                if self.tuner is not None:
                    self.tuner.step_done(now - start)
                stepping = control.paused
                if snapshot_due(t.step, self.snapshot_every):
                    if not self._flush_metrics():
                        self._halt_on_nonfinite()
                        continue
                    self._snapshot()
                for episode in t.take_episodes():
                    sink.episode(episode)
                self._notes()
                if stepping or now - last_emit >= self.emit_seconds:
                    if not self._flush_metrics():
                        self._halt_on_nonfinite()
                        continue
                    if now > window_t:
                        rate = (t.step - window_step) / (now - window_t)
                        self._rate = rate if self._rate == 0 else 0.7 * self._rate + 0.3 * rate
                    window_step, window_t = t.step, now
                    last_emit = now
                    self._status("paused" if stepping else "running")
                if stepping or self._preview_due(now - self._last_preview_at):
                    self._preview(whole=stepping)
                    self._last_preview_at = now
                spent = self.budget.spent(t.step, self.elapsed) if self.budget is not None else ""
                if spent:
                    sink.event(Event(t.step, "info", f"{BUDGET_NOTE}{spent}; stopped and saved"))
                    reason = "finished"
                    break
                if now - last_ckpt >= self.checkpoint_seconds:
                    if not self._flush_metrics():
                        self._halt_on_nonfinite()
                        continue
                    self._checkpoint()
                    last_ckpt = self.clock()
            clean = True
        finally:
            t.stop_requested = lambda: False  # a later evaluate() outside a run is not cut short
            if clean:
                self._take_scores(wait=SCORE_WAIT_S)  # the last steps' score belongs in the file too
                if self._flush_metrics():
                    self._snapshot()  # the file ends with the pictures of the last step trained
                    if t.step != self._last_ckpt_step or not self._last_ckpt_whole:
                        self._checkpoint(final=True)
                else:
                    self._halt_on_nonfinite()
                self._status("stopped")
            else:
                try:  # keep the points of the steps that did complete
                    self._flush_metrics()
                    if isinstance(sys.exc_info()[1], DiskFull) and t.step != self._last_ckpt_step:
                        self._checkpoint()  # the writer kept room for this one
                except Exception:
                    pass
            sink.finish(reason)
        return reason
