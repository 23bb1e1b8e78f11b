"""Room on the disk for a session file, and writes that failed anyway.

HDF5 cannot survive a write that fails (its next flush or close can crash the process), so the writer
stops before the disk or the file-size limit is reached. When another program takes the last space
regardless, the failure becomes one message, and the process leaves without closing that file.
"""
import os
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from studio.errors import SessionError

SPACE_MARGIN = 2 * 2**20  # bytes kept free beyond each write (tests pass another: WriterHooks)
BROKEN: list = []  # writers whose writes failed anyway (another program filled the disk): see exit_code


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


@contextmanager
def write_guard(writer, what: str):
    """Turn low-level write failures (disk full, file gone) into one clear message; `writer` (with a
    `path`) is remembered as broken."""
    try:
        yield
    except (OSError, RuntimeError) as exc:  # h5py reports a failed flush as RuntimeError
        BROKEN.append(writer)
        raise SessionError(f"{writer.path}: could not save {what} ({why(exc)}); what was saved before "
                           "is kept") from None


def why(exc: Exception) -> str:
    """The operating system's reason inside HDF5's long error text ('No space left on device'), if any."""
    found = re.search(r"error message = '([^']+)'", str(exc))
    return found.group(1) if found else str(exc).splitlines()[0]


def exit_code(code: int) -> int:
    """`code`, after which the process may exit normally, unless a session's writes failed: HDF5 would
    then crash while closing that file at exit, so the process leaves at once (all else is saved)."""
    if BROKEN:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
