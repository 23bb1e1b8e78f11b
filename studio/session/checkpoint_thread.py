"""The thread that writes checkpoints into a session file while training goes on.

The training thread packs a checkpoint into bytes (tens of milliseconds for these models) and hands it
over; writing it (CRC, HDF5, flushes) happens here. One write at a time, newest first: a checkpoint still
waiting when a newer one arrives is dropped, since after a crash only the newest whole one matters.
A failed write is kept in `failure` for the training thread to raise (SessionWriter does).
"""
import threading


class CheckpointThread:
    def __init__(self, write, name: str = "checkpoint writer"):
        self._write = write          # write(step, blob), called on this thread
        self._name = name
        self._cond = threading.Condition()
        self._waiting = None         # (step, blob) handed over, not yet begun
        self._writing = None         # (step, blob) being written
        self._stopping = False
        self._thread = None
        self.failure: BaseException | None = None

    def put(self, step: int, blob: bytes) -> None:
        with self._cond:
            if self.failure is not None or self._stopping:
                return
            if self._thread is None:  # started at the first checkpoint: a run that saves none needs no thread
                # A daemon: a process that leaves without closing its session (a failed disk) is not held up.
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._waiting = (step, blob)
            self._cond.notify_all()

    def busy(self) -> bool:
        with self._cond:
            return self._waiting is not None or self._writing is not None

    def bytes_pending(self) -> int:
        """Bytes handed over and not yet in the file: the disk-space check counts them as used."""
        with self._cond:
            return sum(len(job[1]) for job in (self._waiting, self._writing) if job is not None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over is written (or has failed); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting is None and self._writing is None, timeout)

    def stop(self) -> None:
        """Write what is still waiting, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting is not None or self._stopping)
                if self._waiting is None:
                    return
                self._writing, self._waiting = self._waiting, None
            try:
                self._write(*self._writing)
            except BaseException as exc:  # noqa: BLE001 - raised again on the training thread
                with self._cond:
                    self.failure = exc
                    self._waiting = None  # nothing more is written after a failure
            finally:
                with self._cond:
                    self._writing = None
                    self._cond.notify_all()
