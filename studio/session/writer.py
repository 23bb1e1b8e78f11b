"""Writes a run into its session file, as a Sink, from the training thread.

Every dataset is created before SWMR mode is switched on (SWMR cannot create objects later), so the
file stays readable if the process dies and another process can follow it while it grows.
"""
import os
import re
import shutil
import socket
import sys
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from studio import __version__
from studio import config as cfg
from studio.errors import DiskFull, SessionError
from studio.session import layout as L
from studio.session.reader import SessionReader, newest_valid_checkpoint
from studio.sinks import Sink

FLUSH_SECONDS = 1.0  # metric points reach the disk at most this long after they are computed

# Hooks for the crash tests (tests/test_core_reliability_kill.py), off unless set: a file to which each
# flush appends the newest metric step it made durable, and a pause in the middle of checkpoint writes
# (marked by a file `<session>.writing-checkpoint`) so a kill can be aimed there.
_FLUSH_LOG = os.environ.get("TRAINING_STUDIO_TEST_FLUSH_LOG")
# HDF5 cannot survive a write that fails (its next flush or close can crash the process), so the writer
# stops before the disk or the file-size limit is reached: it keeps this much room beyond each write.
SPACE_MARGIN = int(os.environ.get("TRAINING_STUDIO_TEST_SPACE_MARGIN", 2 * 2**20))
BROKEN: list = []  # files whose writes failed anyway (another program filled the disk): see exit_code
_CHECKPOINT_PAUSE = float(os.environ.get("TRAINING_STUDIO_TEST_CHECKPOINT_PAUSE", "0") or 0)


def _append(ds: h5py.Dataset, rows: np.ndarray) -> None:
    n = ds.shape[0]
    ds.resize(n + len(rows), axis=0)
    ds[n:] = rows


def _readable_attrs(group: h5py.Group, config) -> None:
    for key, value in cfg.to_dict(config).items():
        group.attrs[key] = value


def _panel_attrs(panel) -> dict:
    """What a reader needs to draw a panel without the trainer: image grids and point scatters."""
    if panel.kind == "points":
        return {"kind": "points", "label": panel.label, "x_label": panel.x_label, "y_label": panel.y_label,
                "classes": list(panel.classes), "pick_for": panel.pick_for}
    return {"kind": "images", "label": panel.label, "cols": panel.cols, "pick": panel.pick}


class SessionWriter(Sink):
    def __init__(self, path: Path, file: h5py.File, good_slot: int | None = None):
        self.path, self.f = Path(path), file
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

    # --- opening ---
    @classmethod
    def create(cls, path: str | Path, info) -> "SessionWriter":
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = h5py.File(path, "w-", libver="latest")
        except FileExistsError:
            raise SessionError(f"{path}: a file of that name exists already") from None
        except OSError as exc:
            raise SessionError(f"{path}: cannot create the session file ({exc})") from None
        try:
            f.attrs.update({"schema_version": L.SCHEMA_VERSION, "app": L.APP, "app_version": __version__,
                            "kind": info.kind, "title": info.title, "device": info.device_name,
                            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                            "config_json": cfg.to_json(info.config), "settings_json": cfg.to_json(info.settings)})
            _readable_attrs(f.create_group("config"), info.config)
            _readable_attrs(f.create_group("settings"), info.settings)
            metrics = f.create_group(L.METRICS)
            # `order`: HDF5 lists a group's members alphabetically; a viewer shows them as the trainer declared.
            for i, s in enumerate(info.series):
                ds = metrics.create_dataset(s.key, (0,), maxshape=(None,), dtype=L.METRIC_DTYPE, chunks=(4096,))
                ds.attrs.update({"label": s.label, "plot": s.plot, "smooth": s.smooth, "sparse": s.sparse,
                                 "order": i})
            images = f.create_group(L.IMAGES)
            for i, p in enumerate(p for p in info.panels if p.saved):
                g = images.create_group(p.key)
                g.attrs.update({**_panel_attrs(p), "order": i})
                g.create_dataset("data", (0, *p.shape), maxshape=(None, *p.shape), dtype=p.dtype,
                                 chunks=(1, *p.shape), compression="gzip", compression_opts=4, shuffle=True)
                g.create_dataset("step", (0,), maxshape=(None,), dtype=np.int64, chunks=(1024,))
            if info.episodes is not None:
                _create_episodes(f, info.episodes)
            f.create_dataset(L.EVENTS, (0,), maxshape=(None,), dtype=L.EVENT_DTYPE, chunks=(64,))
            ck = f.create_group(L.CHECKPOINTS)
            for slot in L.CKPT_SLOTS:
                ck.create_dataset(slot, (0,), maxshape=(None,), dtype=np.uint8, chunks=(1 << 18,))
            ck.create_dataset(L.CKPT_INDEX, (0,), maxshape=(None,), dtype=L.CKPT_DTYPE, chunks=(64,))
            _mark_writer(f)
            f.swmr_mode = True
            f.flush()
        except OSError as exc:
            f.close()
            raise SessionError(f"{path}: cannot write the session file ({exc})") from None
        return cls(path, f)

    @classmethod
    def reopen(cls, path: str | Path, keep_through_step: int, episodes=None) -> "SessionWriter":
        """Open an existing session to continue it: drop everything recorded after `keep_through_step`
        (the checkpoint training resumes from), so no step appears twice. `episodes`: the EpisodeSpec of
        a trainer that records episodes (a session written before it did gets the group now)."""
        path = Path(path)
        with SessionReader(path) as reader:  # before anything is written: a foreign or newer file is left alone
            if reader.newer:
                raise SessionError(reader.newer_note())
            writer = {k: reader.f.attrs.get(k) for k in ("writer_pid", "writer_host")}
        try:
            f = h5py.File(path, "r+", libver="latest")
        except OSError as exc:
            if "already open for write" not in str(exc):
                raise SessionError(f"{path}: cannot open the session for writing ({exc})") from None
            # A writer died with the file open: HDF5 keeps it marked as in use. Reading works, so
            # copy everything into a fresh file and put that in its place; unless that writer is alive.
            _refuse_if_alive(path, writer)
            _rebuild(path)
            f = h5py.File(path, "r+", libver="latest")
        try:
            for ds in [f[L.EVENTS], *f[L.METRICS].values()]:  # rows sorted by their step field
                ds.resize((int(np.searchsorted(ds.fields("step")[:], keep_through_step, side="right")),))
            for g in f[L.IMAGES].values():
                # The runner takes the snapshot of its first step again when it is due: keep it once.
                keep = int(np.searchsorted(g["step"][:], keep_through_step, side="left"))
                g["step"].resize((keep,))
                g["data"].resize(keep, axis=0)
            if L.EPISODES in f:
                _drop_episodes_after(f[L.EPISODES], keep_through_step)
                if episodes is not None and f[L.EPISODES]["frames"].shape[1:] != tuple(episodes.frame_shape):
                    raise SessionError(f"{path}: its episodes were recorded at "
                                       f"{f[L.EPISODES]['frames'].shape[1:]} pixels, but the game now draws "
                                       f"{tuple(episodes.frame_shape)}; continue it with the same gymnasium version")
            elif episodes is not None:
                _create_episodes(f, episodes)
            found = newest_valid_checkpoint(f[L.CHECKPOINTS])
            _mark_writer(f)
            f.swmr_mode = True
            f.flush()
        except SessionError:
            f.close()
            raise
        except (OSError, KeyError) as exc:
            f.close()
            raise SessionError(f"{path}: cannot prepare the session to continue ({exc})") from None
        return cls(path, f, None if found is None else found[1])

    # --- the Sink interface ---
    @contextmanager
    def _guard(self, what: str, size: int = 0):
        """Write `what` (about `size` bytes) only if room is left beyond it; stop the run (DiskFull) once
        less than SPACE_MARGIN plus one more checkpoint would be left, after this write, so that the run's
        last points and a last checkpoint still fit. A failed write becomes one clear message."""
        room = room_left(self.path)
        if room < size + SPACE_MARGIN // 4:
            self._ending = True
            raise DiskFull(f"{self.path}: the disk is full (or the file-size limit reached): "
                           f"{max(room, 0) / 1e6:.1f} MB left, so {what} was not saved; everything saved before "
                           "is kept")
        stop = not self._ending and room < size + SPACE_MARGIN + self._checkpoint_size
        with _write_guard(self, what):
            yield
        if stop:
            self._ending = True
            raise DiskFull(f"{self.path}: the disk is almost full (or the file-size limit nearly reached): "
                           f"{room / 1e6:.1f} MB left; training stopped after saving its last step, everything "
                           "saved is kept")

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
        with self._guard("an event"):
            row = np.array([(event.step, time.time(), event.kind.encode()[:16],
                             event.message.encode("utf-8")[:1000])], L.EVENT_DTYPE)
            _append(self.f[L.EVENTS], row)

    def checkpoint(self, step, blob):
        self._write_metrics()  # every point up to the checkpoint's step is on disk with it
        with self._guard("a checkpoint", len(blob)):
            ck = self.f[L.CHECKPOINTS]
            index = ck[L.CKPT_INDEX]
            # Write into the slot the newest good checkpoint does not use; the index row goes last, so
            # a reader only ever trusts a slot whose bytes were completely written and flushed.
            slot = 0 if self._good_slot is None else 1 - self._good_slot
            data = ck[L.CKPT_SLOTS[slot]]
            arr = np.frombuffer(blob, np.uint8)
            self._checkpoint_size = len(arr)
            data.resize((len(arr),))
            data[:] = arr
            if _CHECKPOINT_PAUSE:
                self._pause_mid_checkpoint()
            self.f.flush()
            row = np.array([(step, slot, len(arr), zlib.crc32(blob), time.time())], L.CKPT_DTYPE)
            _append(index, row)
            self.f.flush()
            self._good_slot = slot
            self._flushed()

    def flush(self):
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self._write_metrics()
            with self._guard("the session"):
                self.f.flush()
            self._flushed()

    def _flushed(self) -> None:
        self._last_flush = time.monotonic()
        if _FLUSH_LOG and self._newest_step is not None:
            with open(_FLUSH_LOG, "a") as log:
                log.write(f"{self._newest_step}\n")

    def _pause_mid_checkpoint(self) -> None:
        marker = self.path.with_name(self.path.name + ".writing-checkpoint")
        marker.touch()
        time.sleep(_CHECKPOINT_PAUSE)
        marker.unlink(missing_ok=True)

    def finish(self, reason):
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self in BROKEN:  # closing a file whose writes failed can crash HDF5: leave it to exit_code
            return
        refused = None
        try:
            self._write_metrics()
        except SessionError as exc:  # a full disk: said once, and the file still closes cleanly
            refused = exc
            if self in BROKEN:
                raise
        try:
            self.f.flush()
            self.f.close()
        except (OSError, RuntimeError) as exc:
            BROKEN.append(self)
            raise SessionError(f"{self.path}: the session could not be closed cleanly ({_why(exc)}); what was "
                               "saved before is kept") from None
        if refused is not None:
            raise refused


def _create_episodes(f: h5py.File, spec) -> None:
    g = f.create_group(L.EPISODES)
    g.attrs.update({"env": spec.env, "action_names": list(spec.action_names), "fps": spec.fps})
    n_actions = len(spec.action_names)
    g.create_dataset("frames", (0, *spec.frame_shape), maxshape=(None, *spec.frame_shape), dtype=np.uint8,
                     chunks=(1, *spec.frame_shape), compression="gzip")
    g.create_dataset("actions", (0,), maxshape=(None,), dtype=np.int16, chunks=(4096,))
    g.create_dataset("q_values", (0, n_actions), maxshape=(None, n_actions), dtype=np.float32,
                     chunks=(4096, n_actions))
    g.create_dataset("rewards", (0,), maxshape=(None,), dtype=np.float32, chunks=(4096,))
    g.create_dataset("index", (0,), maxshape=(None,), dtype=L.EPISODE_DTYPE, chunks=(64,))


def _drop_episodes_after(g: h5py.Group, keep_through_step: int) -> None:
    index = g["index"]
    keep = int(np.searchsorted(index.fields("step")[:], keep_through_step, side="right"))
    index.resize((keep,))
    rows = int(index[keep - 1]["start"] + index[keep - 1]["length"]) if keep else 0
    for name in ("frames", "actions", "q_values", "rewards"):
        g[name].resize(rows, axis=0)


def _mark_writer(f: h5py.File) -> None:
    """Which process writes the file (attributes cannot change once SWMR is on): another program that
    wants to continue the session can tell a live writer from a dead one."""
    f.attrs["writer_pid"] = os.getpid()
    f.attrs["writer_host"] = socket.gethostname()


def _refuse_if_alive(path: Path, writer: dict) -> None:
    pid, host = writer.get("writer_pid"), writer.get("writer_host")
    if pid is None or str(host) != socket.gethostname() or int(pid) == os.getpid():
        return  # another machine's writer (a synced file) cannot be asked; this process's is not running
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return
    except OSError:
        pass  # alive, though owned by someone else
    raise SessionError(f"{path}: still being written by another program (process {int(pid)}); stop that "
                       "run first, or wait for it to end")


def _rebuild(path: Path) -> None:
    """Replace a session whose writer crashed by a clean copy (same datasets, chunks and limits)."""
    tmp = path.with_name(path.name + ".rebuild")
    try:
        with h5py.File(path, "r", libver="latest", swmr=True, locking=False) as src, \
                h5py.File(tmp, "w", libver="latest") as dst:
            dst.attrs.update(dict(src.attrs))
            for name in src:
                src.copy(src[name], dst, name=name)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SessionError(f"{path}: the session was left open by a crash and could not be repaired "
                           f"({exc}); it can still be viewed") from None


@contextmanager
def _write_guard(writer: SessionWriter, what: str):
    """Turn low-level write failures (disk full, file gone) into one clear message."""
    try:
        yield
    except (OSError, RuntimeError) as exc:  # h5py reports a failed flush as RuntimeError
        BROKEN.append(writer)
        raise SessionError(f"{writer.path}: could not save {what} ({_why(exc)}); what was saved before "
                           "is kept") from None


def _why(exc: Exception) -> str:
    """The operating system's reason inside HDF5's long error text ('No space left on device'), if any."""
    found = re.search(r"error message = '([^']+)'", str(exc))
    return found.group(1) if found else str(exc).splitlines()[0]


def room_left(path: Path) -> int:
    """Bytes the session file may still grow by: free disk space, and the process's file-size limit."""
    try:
        room = shutil.disk_usage(path.parent).free
        size = path.stat().st_size
    except OSError:
        return 1 << 62  # cannot tell: let the write itself say
    try:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:
            room = min(room, limit - size)
    except (ImportError, ValueError, OSError):  # no such limits on Windows
        pass
    return room


def exit_code(code: int) -> int:
    """`code`, after which the process may exit normally, unless a session's writes failed: HDF5 would
    then crash while closing that file at exit, so the process leaves at once (all else is saved)."""
    if BROKEN:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _quiet_h5py_cleanup(unraisable, previous=sys.unraisablehook) -> None:
    """h5py repeats a failed write from its objects' destructors as 'Exception ignored' tracebacks; the
    writer reports that failure once, in words, so these are not printed."""
    if isinstance(unraisable.exc_value, RuntimeError) and "h5py._objects" in repr(unraisable.object):
        return
    previous(unraisable)


def _from_h5py_cleanup(tb) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("_objects.pyx"):
            return True
        tb = tb.tb_next
    return False


def _quiet_h5py_cleanup_traceback(typ, value, tb, previous=sys.excepthook) -> None:
    """The same destructor errors also reach sys.excepthook (Cython prints their traceback first). A
    failed write there fails the writer's next flush too, which reports it in words."""
    if issubclass(typ, RuntimeError) and "write failed" in str(value) and _from_h5py_cleanup(tb):
        return
    previous(typ, value, tb)


sys.unraisablehook = _quiet_h5py_cleanup
sys.excepthook = _quiet_h5py_cleanup_traceback
