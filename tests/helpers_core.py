"""Helpers for the core tests (Qt-free)."""
import threading
import time

import torch

from studio.runner import Runner
from studio.session.checkpoint import unpack
from studio.sinks import MemorySink

WAIT = 60.0  # seconds any single wait may take before the test fails (the machine may be busy)


class BlobSink(MemorySink):
    """A MemorySink that also keeps every checkpoint's bytes and counts metric batches."""

    def __init__(self):
        super().__init__()
        self.blobs: list[tuple[int, bytes]] = []
        self.batches = 0
        self._lock = threading.Lock()

    def metrics(self, batch):
        with self._lock:
            self.batches += 1
            super().metrics(batch)

    def checkpoint(self, step, blob):
        super().checkpoint(step, blob)
        self.blobs.append((step, bytes(blob)))

    def event(self, event):
        with self._lock:
            super().event(event)

    def events_of(self, kind: str) -> list:
        with self._lock:
            return [e for e in self.events if e.kind == kind]

    def status(self, status):
        with self._lock:
            super().status(status)

    def last_status(self):
        with self._lock:
            return self.statuses[-1] if self.statuses else None


def wait_until(predicate, timeout: float = WAIT, what: str = "condition", poll: float = 0.005) -> None:
    """`poll`: seconds between tries (longer for a predicate that opens a file another process writes)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


class RunThread:
    """Runs `runner.run()` in a background thread and keeps its result or exception."""

    live: list["RunThread"] = []   # started and not yet joined: stop_all() ends them after a failed test

    def __init__(self, runner: Runner):
        self.runner = runner
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._target, daemon=True)

    def _target(self):
        try:
            self.result = self.runner.run()
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.error = exc

    def start(self) -> "RunThread":
        self.thread.start()
        RunThread.live.append(self)
        return self

    @classmethod
    def stop_all(cls) -> None:
        for run in cls.live:
            run.runner.control.stop()
        for run in cls.live:
            run.thread.join(30)
        cls.live.clear()

    def join(self, timeout: float = WAIT) -> str:
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.runner.control.stop()
            self.thread.join(5)
            raise AssertionError("the run did not end in time")
        if self.error is not None:
            raise self.error
        return self.result


def record_metrics(trainer) -> list[tuple[int, dict[str, float]]]:
    """Wrap trainer.train_step so every step's returned metrics are recorded as host floats."""
    seen = []
    original = trainer.train_step

    def wrapped():
        metrics = original()
        seen.append((trainer.step, {k: float(v) for k, v in metrics.items()}))
        return metrics

    trainer.train_step = wrapped
    return seen


def module_tensors(state: dict) -> dict[str, torch.Tensor]:
    """Flatten the modules of a trainer state_dict into {'G.net.0.weight': tensor, ...}."""
    return {f"{m}.{k}": v for m, sd in state["modules"].items() for k, v in sd.items()}


def blob_tensors(blob: bytes) -> dict[str, torch.Tensor]:
    return module_tensors(unpack(blob))


def all_finite(tensors: dict[str, torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t.float()).all()) for t in tensors.values())


def hanging_child(module: str, reader: str) -> list[str]:
    """Interpreter args for a child that runs `module.main` as the app starts it, except that its
    `reader(path)` never returns for a file named "hangs.h5" (as on a dead network share, or in HDF5's
    endless loop on some damaged files, HDFGroup/hdf5 issue 1707)."""
    source = f"""
import sys, time
import {module} as m
real = m.{reader}
def patched(path):
    if path.endswith("hangs.h5"):
        time.sleep(3600)
    return real(path)
m.{reader} = patched
sys.exit(m.main(sys.argv[1:]))
"""
    return ["-c", source, "-"]
