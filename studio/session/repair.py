"""Continuing a session after its writer stopped or died: who writes it, a crashed file made writable
again, and everything recorded after the checkpoint training resumes from dropped."""
import os
import socket
from pathlib import Path

import h5py
import numpy as np

from studio.errors import SessionError
from studio.session import layout as L


def mark_writer(f: h5py.File) -> None:
    """Which process writes the file (attributes cannot change once SWMR is on): another program that
    wants to continue the session can tell a live writer from a dead one."""
    f.attrs["writer_pid"] = os.getpid()
    f.attrs["writer_host"] = socket.gethostname()


def open_to_continue(path: Path, writer: dict) -> h5py.File:
    """`path` opened for writing. `writer`: its writer_pid and writer_host attributes, read beforehand.
    A file whose writer died with it open is rebuilt first, unless that writer is still alive."""
    try:
        return h5py.File(path, "r+", libver="latest")
    except OSError as exc:
        if "already open for write" not in str(exc):
            raise SessionError(f"{path}: cannot open the session for writing ({exc})") from None
    # HDF5 keeps the file marked as in use after such a crash. Reading works, so everything is copied
    # into a fresh file put in its place.
    refuse_if_alive(path, writer)
    rebuild(path)
    return h5py.File(path, "r+", libver="latest")


def writer_alive(pid: int, host: str | None, saved_at: float) -> bool:
    """Whether the process that wrote a file last changed at `saved_at` (a Unix time) still runs here. A
    process with that id that started after the file's last write is another one that got the id later
    (e.g. after a reboot). psutil, not os.kill(pid, 0), which would end the process on Windows."""
    import psutil
    if str(host) != socket.gethostname():
        return False  # another computer's process cannot be asked
    try:
        return psutil.Process(int(pid)).create_time() <= saved_at + 1.0  # + clock granularity
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # exists, but cannot be looked at: assume it is the writer, never touch a live run


def refuse_if_alive(path: Path, writer: dict) -> None:
    pid, host = writer.get("writer_pid"), writer.get("writer_host")
    if pid is None or int(pid) == os.getpid():
        return  # no writer recorded; or this process's, which is not running
    try:
        saved_at = os.stat(path).st_mtime
    except OSError:
        return  # gone: nothing to protect (opening it says so)
    if writer_alive(int(pid), host, saved_at):
        raise SessionError(f"{path}: still being written by another program (process {int(pid)}); stop that "
                           "run first, or wait for it to end")


def rebuild(path: Path) -> None:
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


def cut_after(f: h5py.File, keep_through_step: int) -> None:
    """Drop every row recorded after `keep_through_step`, so that no step appears twice once training
    goes on from the checkpoint of that step."""
    for ds in [f[L.EVENTS], *f[L.METRICS].values()]:  # rows sorted by their step field
        ds.resize((int(np.searchsorted(ds.fields("step")[:], keep_through_step, side="right")),))
    for g in f[L.IMAGES].values():
        # The runner takes the snapshot of its first step again when it is due: keep it once.
        keep = int(np.searchsorted(g["step"][:], keep_through_step, side="left"))
        g["step"].resize((keep,))
        g["data"].resize(keep, axis=0)
    if L.EPISODES in f:
        _cut_episodes(f[L.EPISODES], keep_through_step)


def _cut_episodes(g: h5py.Group, keep_through_step: int) -> None:
    index = g["index"]
    keep = int(np.searchsorted(index.fields("step")[:], keep_through_step, side="right"))
    index.resize((keep,))
    rows = int(index[keep - 1]["start"] + index[keep - 1]["length"]) if keep else 0
    for name in ("frames", "actions", "q_values", "rewards"):
        g[name].resize(rows, axis=0)
