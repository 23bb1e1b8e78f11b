"""The background training thread: a worker object moved to a QThread, running studio's Runner.

The worker never touches a widget; it only emits signals (queued to the GUI thread). Metric
batches are all delivered; for preview images only the newest matters, so a preview that the GUI
has not picked up yet is replaced rather than queued behind others.
"""
import threading

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.control import Control
from studio.errors import StudioError, out_of_memory
from studio.sinks import Sink


GUI_EMIT_SECONDS = 0.25     # metric batches and status
GUI_PREVIEW_SECONDS = 0.25  # new sample grids (stretched by the runner when they are costly)


class RunSignals(QObject):
    """What the window subscribes to. Emitted from the worker thread, delivered queued in the GUI's."""
    started = Signal(object)        # RunInfo
    metrics_ready = Signal(object)  # MetricBatch
    preview_ready = Signal()        # pull the newest with QtSink.take_previews()
    snapshot_ready = Signal(int, object)
    status_ready = Signal(object)   # Status
    event_ready = Signal(object)    # Event
    checkpoint_saved = Signal(int)
    episode_ready = Signal(object)  # a recorded Episode (the trainer keeps no reference to it)
    download = Signal(str, int, int)  # a data set's file coming in while the run prepares: label, bytes, total


class QtSink(Sink):
    # Not itself a QObject: Sink.event would shadow QObject.event, which Qt calls for every QEvent.
    def __init__(self):
        self.signals = RunSignals()
        self._lock = threading.Lock()
        self._pending = []  # [(step, {panel: picture})] not yet taken, oldest first

    def start(self, info):
        self.signals.started.emit(info)

    def metrics(self, batch):
        self.signals.metrics_ready.emit(batch)

    def preview(self, step, images):
        copies = {k: np.array(v, copy=True) for k, v in images.items()}  # the GUI may keep them
        with self._lock:
            first = not self._pending
            # A newer picture replaces a pending one; a panel this preview leaves out (the VAE's scatter
            # comes in one live preview of three) keeps its pending picture and that picture's step.
            older = ((s, {k: v for k, v in pics.items() if k not in copies}) for s, pics in self._pending)
            self._pending = [(s, pics) for s, pics in older if pics] + [(step, copies)]
        if first:
            self.signals.preview_ready.emit()

    def download_progress(self, label: str, done: int, total: int) -> None:
        """studio/data/download_progress.py's callback, called on the worker thread while a run prepares."""
        self.signals.download.emit(label, done, total)

    def take_previews(self) -> list:
        """The newest picture of every panel not yet taken, as (step, {panel: picture}) oldest first."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def snapshot(self, step, images):
        self.signals.snapshot_ready.emit(step, {k: np.array(v, copy=True) for k, v in images.items()})

    def status(self, status):
        self.signals.status_ready.emit(status)

    def event(self, event):
        self.signals.event_ready.emit(event)

    def checkpoint(self, step, blob):
        self.signals.checkpoint_saved.emit(step)

    def episode(self, episode):
        self.signals.episode_ready.emit(episode)


def _log_traceback() -> str:
    from studio.app_log import log_exception
    return log_exception("training stopped by an internal error")


class TrainingWorker(QObject):
    """Runs one prepared run to its end in the worker thread; `prepare` is called there too, so
    loading data and building models never freezes the window."""
    finished = Signal(str)   # finished | stopped
    failed = Signal(str)     # a message for the person

    def __init__(self, prepare, control: Control, sink: QtSink, max_steps=None, budget=None):
        super().__init__()
        self.prepare, self.control, self.sink, self.max_steps = prepare, control, sink, max_steps
        self.budget = budget
        self.prepared = None

    @Slot()
    def run(self):
        from studio.runs import make_runner
        outcome, message = None, None
        try:
            self.prepared = self.prepare(self.sink.download_progress)
            # Fewer, larger batches: each delivery wakes the GUI thread, which shares the cores and
            # the GIL with training (the views redraw less often than this anyway).
            runner = make_runner(self.prepared, self.control, [self.sink], max_steps=self.max_steps,
                                 preview_seconds=GUI_PREVIEW_SECONDS, emit_seconds=GUI_EMIT_SECONDS,
                                 budget=self.budget)
            outcome = runner.run()
        except StudioError as exc:
            message = str(exc)
        except Exception as exc:  # a bug must not take the window down: show it, keep the log
            message = out_of_memory(exc) or (f"Training stopped by an internal error: {type(exc).__name__}: "
                                              f"{exc}{_log_traceback()}")
        if self.prepared is not None and self.prepared.writer is not None:
            try:
                self.prepared.writer.close()
            except Exception as exc:  # reported with, not instead of, the first problem
                message = f"{message + ' — ' if message else ''}{exc}"
        # Exactly one of these always goes out: the window and the thread wait for it.
        if message is None:
            self.finished.emit(outcome)
        else:
            self.failed.emit(message)


class TrainingThread:
    """Owns the QThread, the worker and the Control for one run."""

    def __init__(self, prepare, max_steps=None, paused: bool = False, budget=None):
        self.control = Control(paused=paused)
        self.sink = QtSink()
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker = TrainingWorker(prepare, self.control, self.sink, max_steps, budget)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.finished.connect(self.thread.quit)
        self.worker.failed.connect(self.thread.quit)

    def start(self):
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Ask the loop to stop after its current step, then wait for the thread to end."""
        self.control.stop()
        self.thread.quit()  # takes effect once the run slot has returned
        return self.thread.wait(timeout_ms)
