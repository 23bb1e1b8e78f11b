"""Sessions a crash left behind, found when the app starts: files whose writer died without closing them.

A writer that closes its file clears HDF5's "open for write" consistency flag; one killed mid-run leaves
it set (opening such a file read-only without swmr=True then fails with "file is already open for
write"). The flag is one byte of the superblock, so every file of the folder is first judged by reading
12 bytes, which cannot hang; only the few files left open are read with HDF5, in a child process with
a time limit per file (studio.session.catalog.list_sessions), as a damaged file can make HDF5 spin. A
file whose writer (its writer_pid and writer_host attributes, repair.mark_writer) still runs on this
computer is a live run, not a crash.

Only files changed in the last RECENT_DAYS days are considered: a crash is news at the next launch or
soon after, not years later (and a dismissed one is remembered by the window, not here).

    python -m studio.session.recovery -     (a JSON row per path on stdin; the child of `scan`)
"""
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py

from studio.errors import SessionError
from studio.session import catalog
from studio.session import layout as L
from studio.session.repair import writer_alive
from studio.session.reader import SessionReader

RECENT_DAYS = 30
CHILD_ARGS = ["-m", "studio.session.recovery", "-"]  # after sys.executable (tests put a stand-in here)
SIGNATURE = b"\x89HDF\r\n\x1a\n"
OPEN_FOR_WRITE = 0x01 | 0x04  # superblock v2/v3 consistency flags: write access, SWMR write access
FRESH_S = 10.0  # a file this new without a recorded writer may be a run still setting up its file


@dataclass(frozen=True)
class Crashed:
    """A session whose writer died with it open. `error`: why it could not be read ('' if it could)."""
    path: str
    size: int
    mtime_ns: int                  # with path and size: which version of the file was seen (Dismiss)
    kind: str = ""
    title: str = ""
    created: str = ""
    steps: int = 0                 # the last step with a metric point on disk
    checkpoint_step: int | None = None   # where Resume goes on from: the newest checkpoint listed, 0 if none
    checkpoint_time: float | None = None
    host: str = ""                 # the writer's computer when it is not this one (its run may go on)
    error: str = ""

    @property
    def saved_at(self) -> float:
        """When the writer last wrote to the file (its last flush), as a Unix time."""
        return self.mtime_ns / 1e9


def left_open(path: str | Path) -> bool:
    """Whether the file's superblock says a writer has it open (only HDF5 files of the format the app
    writes, libver='latest', carry the flag; older formats count as closed)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[:8] == SIGNATURE and head[8] >= 2 and bool(head[11] & OPEN_FOR_WRITE)


def candidates(folder: str | Path | None = None, days: float = RECENT_DAYS,
               now: float | None = None) -> list[tuple[Path, os.stat_result]]:
    """The session files in `folder` (default: the sessions folder) changed in the last `days` days and
    left open by their writer, with their stat. No HDF5 call: cheap for hundreds of files."""
    since = (time.time() if now is None else now) - days * 86400
    found = []
    try:
        files = catalog.session_files(folder)
    except SessionError:
        return []  # an unlistable folder: the Sessions list says why; nothing to recover from here
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        if st.st_mtime >= since and left_open(path):
            found.append((path, st))
    return found


def read_left_open(path: str) -> dict:
    """What the dialog shows of one file, read in this process (the child's work): kind, title, created,
    steps, writer_pid, writer_host, checkpoint_step, checkpoint_time; or clean=True when HDF5 opens it
    as closed after all; error when it cannot be read. Never raises."""
    row = {"path": path, "error": ""}
    try:
        with h5py.File(path, "r", locking=False):
            return {**row, "clean": True}  # closed since the flag was read (e.g. a run that just ended)
    except OSError as exc:
        # Anything but the flag (e.g. "truncated file") is damage: said at once, as reading on with
        # swmr=True can spend seconds retrying damaged metadata.
        why = str(exc)
        if "truncated file" in why:
            return {**row, "error": "damaged: the file is cut short"}
        if "already open for write" not in why:
            return {**row, "error": f"damaged session file ({why})"}
    try:
        with SessionReader(path) as r:
            attrs = r.f.attrs
            index = r.f[L.CHECKPOINTS][L.CKPT_INDEX]
            last = index[index.shape[0] - 1] if index.shape[0] else None  # whole: the index row is written last
            return {**row, "kind": r.kind, "title": r.title, "created": r.created, "steps": r.last_step(),
                    "writer_pid": None if "writer_pid" not in attrs else int(attrs["writer_pid"]),
                    "writer_host": None if "writer_host" not in attrs else str(attrs["writer_host"]),
                    # None listed: killed before its first checkpoint, it resumes from step 0 (runs.load_trainer).
                    "checkpoint_step": 0 if last is None else int(last["step"]),
                    "checkpoint_time": None if last is None else float(last["time"])}
    except SessionError as exc:
        message = str(exc)  # errors name their file; the row already shows it
        return {**row, "error": message.removeprefix(f"{path}: ")}
    except Exception as exc:  # noqa: BLE001 - h5py and numpy raise many types on a damaged file
        return {**row, "error": f"damaged session file ({type(exc).__name__}: {exc})"}


def _crashed(row: dict, st: os.stat_result) -> Crashed | None:
    """The row as a Crashed session, or None if it is not one (closed after all, or its writer runs)."""
    if row.get("clean"):
        return None
    pid, host = row.get("writer_pid"), row.get("writer_host")
    if pid is not None and writer_alive(pid, host, st.st_mtime):
        return None
    if pid is None and not row.get("error") and time.time() - st.st_mtime < FRESH_S:
        return None  # no writer recorded yet: possibly a run that is creating its file right now
    fields = {k: row[k] for k in ("kind", "title", "created", "steps", "checkpoint_step", "checkpoint_time")
              if row.get(k) is not None}
    return Crashed(path=row["path"], size=st.st_size, mtime_ns=st.st_mtime_ns, error=row.get("error", ""),
                   host=host if host and host != socket.gethostname() else "", **fields)


def scan(folder: str | Path | None = None, days: float = RECENT_DAYS, stop: Callable[[], bool] | None = None,
         per_file_s: float = catalog.FILE_TIMEOUT_S) -> list[Crashed]:
    """The sessions in `folder` (default: the sessions folder) whose writer died with them open, newest
    first. Blocks for a child process's start and up to `per_file_s` per file left open: call it off
    the GUI thread."""
    found = candidates(folder, days)
    if not found:
        return []
    stats = {str(p): st for p, st in found}
    rows = catalog.list_sessions(list(stats), stop=stop, per_file_s=per_file_s, child_args=CHILD_ARGS,
                                 read_entry=read_left_open)
    crashed = [c for c in (_crashed(row, stats[row["path"]]) for row in rows) if c is not None]
    return sorted(crashed, key=lambda c: c.mtime_ns, reverse=True)


def main(argv: list[str]) -> int:
    if argv != ["-"]:
        print("usage: python -m studio.session.recovery -   (paths on stdin)", file=sys.stderr)
        return 2
    print(json.dumps(catalog.READY), flush=True)  # imports done: from here on, time is the files'
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(read_left_open(line.rstrip("\n"))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
