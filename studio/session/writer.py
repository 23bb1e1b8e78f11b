"""Writes a run into its session file, as a Sink, from the training thread; checkpoints are written on a
thread of their own (checkpoint_thread.py), so that saving every few seconds costs training little.

The file's layout is made by schema.py before SWMR mode is switched on (SWMR cannot create objects
later), so the file stays readable if the process dies and another process can follow it while it grows.
Continuing a session (and repairing one whose writer crashed) is in repair.py; the room kept on the disk
and writes that failed anyway, in disk_space.py.
"""
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from studio.errors import DiskFull, SessionError
from studio.session import disk_space, repair, schema
from studio.session import layout as L
from studio.session.checkpoint_thread import CheckpointThread
from studio.session.reader import SessionReader, newest_valid_checkpoint
from studio.sinks import Sink

FLUSH_SECONDS = 1.0  # metric points reach the disk at most this long after they are computed
# A checkpoint is written this many bytes per h5py call: h5py lets one call run at a time in the process, so
# the training thread's own writes wait at most one piece (a few ms) behind a checkpoint, not all of it.
PIECE_BYTES = 4 << 20


@dataclass(frozen=True)
class WriterHooks:
    """What the crash and full-disk tests change (tests/test_core_reliability_*.py); the defaults are
    the app's. `flush_log`: a file to which each flush appends the newest metric step it made durable.
    `checkpoint_pause`: seconds to wait in the middle of each checkpoint write, marked by a file
    `<session>.writing-checkpoint`, so a kill can be aimed there. `space_margin`: bytes kept free beyond
    each write (a negative one switches the check off, to test a write that fails)."""
    flush_log: str | None = None
    checkpoint_pause: float = 0.0
    space_margin: int = disk_space.SPACE_MARGIN


def _append(ds: h5py.Dataset, rows: np.ndarray) -> None:
    n = ds.shape[0]
    ds.resize(n + len(rows), axis=0)
    ds[n:] = rows


class SessionWriter(Sink):
    def __init__(self, path: Path, file: h5py.File, good_slot: int | None = None, hooks: WriterHooks | None = None):
        self.path, self.f = Path(path), file
        self._hooks = hooks or WriterHooks()
        # The slot of the newest whole checkpoint: never written over, so a crash mid-write
        # always leaves one checkpoint to continue from.
        self._good_slot = good_slot
        self._last_flush = time.monotonic()
        self._closed = False
        self._newest_step = None  # of the metric points written so far
        self._pending: dict[str, list] = {}  # metric rows not yet written (see metrics)
        self._metric_ds = {key: ds for key, ds in file[L.METRICS].items()}  # looked up once
        self._checkpoint_size = 0  # of the last one: room for one more is kept while the run goes on
        self._ending = False       # the disk is full: the run is saving what it still can, then stops
        # This file's HDF5 calls, from the training thread and the checkpoint thread: the flag of a failed
        # write is set under it, so no call follows a failed one (HDF5 may crash on it: disk_space.py).
        self._io = threading.Lock()
        ck = file[L.CHECKPOINTS]
        self._slots, self._index = [ck[name] for name in L.CKPT_SLOTS], ck[L.CKPT_INDEX]
        self._thread = CheckpointThread(self._write_checkpoint)
        self._failure_raised = False
        self._held_events: list = []  # events waiting for a checkpoint write to end (see event)

    # --- opening ---
    @classmethod
    def create(cls, path: str | Path, info, hooks: WriterHooks | None = None) -> "SessionWriter":
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = h5py.File(path, "w-", libver="latest")
        except FileExistsError:
            raise SessionError(f"{path}: a file of that name exists already") from None
        except OSError as exc:
            raise SessionError(f"{path}: cannot create the session file ({exc})") from None
        try:
            schema.create(f, info)
            return cls._start(path, f, None, hooks)
        except OSError as exc:
            f.close()
            raise SessionError(f"{path}: cannot write the session file ({exc})") from None

    @classmethod
    def reopen(cls, path: str | Path, keep_through_step: int, episodes=None,
               hooks: WriterHooks | None = None) -> "SessionWriter":
        """Open an existing session to continue it: drop everything recorded after `keep_through_step`
        (the checkpoint training resumes from), so no step appears twice. `episodes`: the EpisodeSpec of
        a trainer that records episodes (a session written before it did gets the group now)."""
        path = Path(path)
        with SessionReader(path) as reader:  # before anything is written: a foreign or newer file is left alone
            if reader.newer:
                raise SessionError(reader.newer_note())
            writer = {k: reader.f.attrs.get(k) for k in ("writer_pid", "writer_host")}
        f = repair.open_to_continue(path, writer)
        try:
            repair.cut_after(f, keep_through_step)
            if L.EPISODES in f:
                if episodes is not None and f[L.EPISODES]["frames"].shape[1:] != tuple(episodes.frame_shape):
                    raise SessionError(f"{path}: its episodes were recorded at "
                                       f"{f[L.EPISODES]['frames'].shape[1:]} pixels, but the game now draws "
                                       f"{tuple(episodes.frame_shape)}; continue it with the same gymnasium version")
            elif episodes is not None:
                schema.create_episodes(f, episodes)
            found = newest_valid_checkpoint(f[L.CHECKPOINTS])
            return cls._start(path, f, None if found is None else found[1], hooks)
        except SessionError:
            f.close()
            raise
        except (OSError, KeyError) as exc:
            f.close()
            raise SessionError(f"{path}: cannot prepare the session to continue ({exc})") from None

    @classmethod
    def _start(cls, path: Path, f: h5py.File, good_slot: int | None, hooks) -> "SessionWriter":
        """Mark this process as the file's writer, switch SWMR mode on, and make the writer."""
        # The top-level groups are held open until the writer has opened its datasets (HDF5 refreshes the
        # objects open at the switch). With them closed, a write that then failed on a full disk made the
        # next flush crash the process in about half the runs of test_core_reliability_diskfull.py.
        held = [f[name] for name in (L.METRICS, L.IMAGES, L.CHECKPOINTS)]  # noqa: F841
        repair.mark_writer(f)
        f.swmr_mode = True
        f.flush()
        return cls(path, f, good_slot, hooks)

    # --- the Sink interface ---
    def _raise_failure(self) -> None:
        """A checkpoint write that failed on its thread is raised here, on the training thread, once."""
        failure = self._thread.failure
        if failure is not None and not self._failure_raised:
            self._failure_raised = True
            raise failure

    def _room(self, what: str, size: int) -> tuple[bool, int]:
        """Whether the run must stop after writing `what` (about `size` bytes), and the room left; DiskFull
        if it does not fit at all. A checkpoint still being written counts as written."""
        margin = self._hooks.space_margin
        room = disk_space.room_left(self.path) - self._thread.bytes_pending()
        if room < size + margin // 4:
            self._ending = True
            raise DiskFull(f"{self.path}: the disk is full (or the file-size limit reached): "
                           f"{max(room, 0) / 1e6:.1f} MB left, so {what} was not saved; everything saved before "
                           "is kept")
        return not self._ending and room < size + margin + self._checkpoint_size, room

    def _stop_for_room(self, room: int) -> None:
        self._ending = True
        raise DiskFull(f"{self.path}: the disk is almost full (or the file-size limit nearly reached): "
                       f"{room / 1e6:.1f} MB left; training stopped after saving its last step, everything "
                       "saved is kept")

    @contextmanager
    def _guard(self, what: str, size: int = 0):
        """Write `what` (about `size` bytes) only if room is left beyond it; stop the run (DiskFull) once
        less than the space margin plus one more checkpoint would be left, after this write, so that the
        run's last points and a last checkpoint still fit. A failed write becomes one clear message."""
        with self._io:
            self._raise_failure()
            stop, room = self._room(what, size)
            with disk_space.write_guard(self, what):
                yield
        if stop:
            self._stop_for_room(room)

    def metrics(self, batch):
        # Kept until the next flush (at most FLUSH_SECONDS away) and written then, a second's points at a
        # time: appending to HDF5 datasets costs about the same for 2 rows as for 200.
        for key, (steps, values) in batch.points.items():
            if len(steps):
                rows = np.empty(len(steps), L.METRIC_DTYPE)
                rows["step"], rows["value"] = steps, values
                self._pending.setdefault(key, []).append(rows)

    def _write_metrics(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        with self._guard("metric points", sum(len(r) for rows in pending.values() for r in rows) * 16):
            for key, rows in pending.items():
                rows = np.concatenate(rows)
                _append(self._metric_ds[key], rows)
                self._newest_step = max(int(rows["step"][-1]), self._newest_step or 0)

    def snapshot(self, step, images):
        with self._guard("a panel snapshot", sum(v.nbytes for v in images.values())):
            for key, stack in images.items():
                g = self.f[L.IMAGES][key]
                _append(g["data"], stack[None])
                _append(g["step"], np.array([step], np.int64))

    def episode(self, episode):
        with self._guard("a recorded episode", episode.nbytes()):
            g = self.f[L.EPISODES]
            if tuple(episode.frame_shape) != g["frames"].shape[1:]:
                raise SessionError(f"{self.path}: an episode of {episode.frame_shape} frames does not fit the "
                                   f"session's {g['frames'].shape[1:]}")
            start, n = g["frames"].shape[0], len(episode)
            g["frames"].resize(start + n, axis=0)
            for i, chunk in enumerate(episode.frames):
                # The frames are deflate-compressed already: stored as they are, not compressed twice.
                g["frames"].id.write_direct_chunk((start + i, 0, 0, 0), chunk)
            actions, q_values, rewards = episode.arrays()
            _append(g["actions"], actions)
            _append(g["q_values"], q_values)
            _append(g["rewards"], rewards)
            self.f.flush()  # the rows reach the disk before the index row that makes them visible
            row = np.array([(episode.step, episode.seed, start, n, episode.total_return)], L.EPISODE_DTYPE)
            _append(g["index"], row)  # last: a reader trusts only rows listed here

    def event(self, event):
        # "Checkpoint saved" reaches the file only once that checkpoint is in it; the events after it wait
        # too, as the log is kept in step order (continuing a session cuts it by step).
        if self._held_events or (event.kind == "checkpoint" and self._thread.busy()):
            self._held_events.append(event)
            return
        self._write_event(event)

    def _release_events(self) -> None:
        if self._held_events and not self._thread.busy():
            held, self._held_events = self._held_events, []
            for event in held:
                self._write_event(event)

    def _write_event(self, event):
        with self._guard("an event"):
            row = np.array([(event.step, time.time(), event.kind.encode()[:16],
                             event.message.encode("utf-8")[:1000])], L.EVENT_DTYPE)
            _append(self.f[L.EVENTS], row)

    def checkpoint(self, step, blob):
        """Hand the checkpoint to the checkpoint thread (room for it is checked here, on the training thread)."""
        self._write_metrics()  # every point up to the checkpoint's step reaches the file before it
        with self._io:
            self._raise_failure()
            stop, room = self._room("a checkpoint", len(blob))
        self._checkpoint_size = len(blob)
        self._thread.put(step, blob)
        if stop:
            self._stop_for_room(room)

    @contextmanager
    def _checkpoint_io(self):
        """One HDF5 call of a checkpoint write, on the checkpoint thread; none after a failed write."""
        with self._io:
            if self in disk_space.BROKEN:
                raise SessionError(f"{self.path}: checkpoint not saved: an earlier write to the file failed")
            with disk_space.write_guard(self, "a checkpoint"):
                yield

    def _write_checkpoint(self, step: int, blob: bytes) -> None:
        """On the checkpoint thread. Into the slot the newest good checkpoint does not use; its index row goes
        last, after the bytes are flushed, so a reader only ever trusts a slot whose bytes are whole. Only this
        thread writes checkpoints, one at a time, so the newest good slot cannot change meanwhile."""
        crc = zlib.crc32(blob)  # zlib lets go of the GIL for large buffers: training goes on meanwhile
        arr = np.frombuffer(blob, np.uint8)
        slot = 0 if self._good_slot is None else 1 - self._good_slot
        data = self._slots[slot]
        with self._checkpoint_io():
            data.resize((len(arr),))
        for start in range(0, len(arr), PIECE_BYTES):
            with self._checkpoint_io():
                data[start:start + PIECE_BYTES] = arr[start:start + PIECE_BYTES]
        if self._hooks.checkpoint_pause:
            self._pause_mid_checkpoint()
        with self._checkpoint_io():
            self.f.flush()
        row = np.array([(step, slot, len(arr), crc, time.time())], L.CKPT_DTYPE)
        with self._checkpoint_io():
            _append(self._index, row)
            self.f.flush()
            newest = self._newest_step  # the metric points this flush made durable
        self._good_slot = slot
        self._flushed(newest)

    def flush(self):
        self._raise_failure()  # a failed checkpoint write stops the run at once, not at the next second
        self._release_events()
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self._write_metrics()
            with self._guard("the session"):
                self.f.flush()
            self._flushed(self._newest_step)

    def _flushed(self, newest: int | None) -> None:
        self._last_flush = time.monotonic()
        if self._hooks.flush_log and newest is not None:
            with open(self._hooks.flush_log, "a") as log:
                log.write(f"{newest}\n")

    def _pause_mid_checkpoint(self) -> None:
        marker = self.path.with_name(self.path.name + ".writing-checkpoint")
        marker.touch()
        time.sleep(self._hooks.checkpoint_pause)
        marker.unlink(missing_ok=True)

    def finish(self, reason):
        self.close()

    def wait_for_checkpoints(self, timeout: float | None = None) -> bool:
        """Wait until every checkpoint handed over is in the file (or failed); False on timeout."""
        return self._thread.wait_idle(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._thread.stop()  # the run's last checkpoint is written before the file closes
        if self in disk_space.BROKEN:  # closing a file whose writes failed can crash HDF5: see exit_code
            return
        failure = None if self._failure_raised else self._thread.failure
        self._failure_raised = True  # said once: below, or already by the call that met it
        refused = None
        try:
            self._release_events()  # the checkpoint thread has stopped: nothing holds them back now
            self._write_metrics()
        except SessionError as exc:  # a full disk: said once, and the file still closes cleanly
            refused = exc
            if self in disk_space.BROKEN:
                raise
        try:
            self.f.flush()
            self.f.close()
        except (OSError, RuntimeError) as exc:
            disk_space.BROKEN.append(self)
            raise SessionError(f"{self.path}: the session could not be closed cleanly ({disk_space.why(exc)}); "
                               "what was saved before is kept") from None
        if failure is not None:
            raise failure
        if refused is not None:
            raise refused
