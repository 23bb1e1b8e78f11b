"""The sessions in a folder, one row each: model, title, created, last step, size, a 'best' value, or why
the file cannot be read. Only root attributes and the last row of each curve are read (plus the one short,
sparse series a best value comes from), so a folder of many long sessions lists quickly.

A damaged HDF5 file can make the library spin forever or crash the process (see probe.py), so
`list_sessions` reads the files in one child process, which prints a JSON row per file as soon as it has
read it. A file that crashes the child or takes longer than `per_file_s` gets a row saying so, and a new
child goes on with the files after it: one bad file costs its own row, never the listing.

    python -m studio.session.catalog FOLDER       (a JSON row per session file in FOLDER)
    python -m studio.session.catalog -            (the same for the paths on stdin, one per line)
"""
import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from studio.errors import SessionError
from studio.session import layout as L
from studio.session.paths import sessions_dir
from studio.session.reader import SessionReader

SUFFIXES = (".h5", ".hdf5")   # as File ▸ Open offers
FILE_TIMEOUT_S = 5.0          # as probe.py: longer than this on a few attributes means a damaged file
START_TIMEOUT_S = 30.0        # a child Python's start-up on a busy 2-core machine
READY = "ready"
CHILD_ARGS = ["-m", "studio.session.catalog", "-"]  # after sys.executable (tests put a stand-in here)


@dataclass(frozen=True)
class BestRule:
    series: str   # the metric key in the file
    better: str   # "max" or "min"
    label: str    # what a person reads beside the value


# One honest quality number per model, from a series its trainer writes:
BEST = {
    # The greedy evaluation is what the learnt policy does; training-episode returns mix in ε's random
    # actions, so their best says more about luck than about the agent.
    "dqn": BestRule("eval_return", "max", "best eval return"),
    # The negative ELBO on held-out digits (nats per image) bounds the likelihood of data not trained on;
    # the training-batch one would reward overfitting.
    "vae": BestRule("heldout_total", "min", "lowest held-out −ELBO"),
    # "gan": none. Its file holds the adversarial losses and D's outputs only: they measure the balance
    # between G and D, not how good the samples are (a falling G loss can mean a weakening D), so
    # calling any of their values "best" would mislead.
}


def session_files(folder: str | Path | None = None) -> list[Path]:
    """The .h5/.hdf5 files directly in `folder` (default sessions_dir()), by name; none if the folder
    does not exist (the default one is made by the first run). SessionError, with a message for a
    person, if it cannot be listed."""
    folder = Path(folder).expanduser() if folder else sessions_dir()
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise SessionError(f"{folder}: not a folder") from None
    except OSError as exc:
        raise SessionError(f"{folder}: cannot be listed ({exc.strerror or exc})") from None


def best_value(reader: SessionReader, rule: BestRule) -> tuple[float, int] | None:
    """(value, step) of the best finite point of the rule's series, or None. A best-value series is a
    sparse one (an evaluation every few hundred steps), so reading all of it stays cheap."""
    metrics = reader.f[L.METRICS]
    if rule.series not in metrics:
        return None
    rows = metrics[rule.series][:]
    values = rows["value"]
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) == 0:
        return None
    i = finite[(np.argmax if rule.better == "max" else np.argmin)(values[finite])]
    return float(values[i]), int(rows["step"][i])


def _row(path: str, size: int, error: str = "", **fields) -> dict:
    return {"path": path, "size": size, "error": error, **fields}


def _without_path(message: str, path: str) -> str:
    """Errors name their file; the row already shows it."""
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def read_entry(path: str | Path) -> dict:
    """One file's row, read in this process: path, size, error ('' if readable), and for a readable
    file kind, title, created, steps (the last step), plus best_label, best_value, best_step when its
    model has a best value (BEST) and the file has a finite point of it. Never raises."""
    path = str(path)
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        return _row(path, 0, f"cannot be read ({exc.strerror or exc})")
    try:
        with SessionReader(path) as r:
            fields = {"kind": r.kind, "title": r.title, "created": r.created, "steps": r.last_step()}
            rule = BEST.get(r.kind)
            found = best_value(r, rule) if rule is not None else None
            if found is not None:
                fields.update(best_label=rule.label, best_value=found[0], best_step=found[1])
        return _row(path, size, **fields)
    except SessionError as exc:
        return _row(path, size, _without_path(str(exc), path))
    except Exception as exc:  # noqa: BLE001 - h5py, numpy and json raise many types on a damaged file
        return _row(path, size, f"damaged session file ({type(exc).__name__}: {exc})")


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


class _Child:
    """`python -m studio.session.catalog -` reading `paths`; its output lines arrive on a queue (a thread
    reads them: waiting on a queue with a timeout works on every platform, select() on pipes does not)."""

    def __init__(self, paths: list[str], args: list[str]):
        self.lines: queue.Queue = queue.Queue()
        self.proc = subprocess.Popen([sys.executable, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     encoding="utf-8", cwd=Path(__file__).resolve().parents[2])
        threading.Thread(target=self._read, daemon=True).start()
        # Written from a thread too: a long list fills the pipe before the child has started reading it.
        threading.Thread(target=self._write, args=(paths,), daemon=True).start()

    def _write(self, paths: list[str]) -> None:
        try:
            self.proc.stdin.write("".join(p + "\n" for p in paths))
            self.proc.stdin.close()
        except OSError:  # the child died: the reader sees its end
            pass

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the child ended

    def next(self, timeout: float):
        """The next line; None if the child ended; TimeoutError if it wrote nothing for `timeout` s."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def list_sessions(files: Iterable[str | Path], stop: Callable[[], bool] | None = None,
                  per_file_s: float = FILE_TIMEOUT_S, child_args: list[str] | None = None,
                  read_entry: Callable[[str], dict] = read_entry) -> Iterator[dict]:
    """A row (see read_entry) for each of `files`, in their order, as each is read. A file that takes
    longer than `per_file_s` or crashes the reader gets a row with that error. `stop()` returning True
    ends the listing (checked between files). Another reader of the files (studio.session.recovery's)
    passes its child's arguments (default CHILD_ARGS) and the same reader for this process."""
    pending = [str(f) for f in files]
    while pending:
        try:
            child = _Child(pending, CHILD_ARGS if child_args is None else child_args)
        except OSError:  # no child process possible here: read in this process, unprotected
            yield from (read_entry(p) for p in pending if not (stop and stop()))
            return
        try:
            try:
                started = child.next(START_TIMEOUT_S)
            except TimeoutError:
                started = None
            if started is None or json.loads(started) != READY:
                yield from (read_entry(p) for p in pending if not (stop and stop()))  # as above
                return
            while pending:
                if stop and stop():
                    return
                path = pending[0]
                try:
                    line = child.next(per_file_s)
                except TimeoutError:
                    yield _row(path, _size(path), f"reading it took too long (more than {per_file_s:g} s); "
                                                  "the file is probably damaged")
                    pending.pop(0)
                    break  # a new child goes on with the rest
                if line is None:
                    child.proc.wait()
                    code = child.proc.returncode
                    yield _row(path, _size(path), "the file is damaged (reading it crashed the HDF5 library"
                                                  + (f", signal {-code})" if code and code < 0 else ")"))
                    pending.pop(0)
                    break
                pending.pop(0)
                yield json.loads(line)
        finally:
            child.kill()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m studio.session.catalog FOLDER | -", file=sys.stderr)
        return 2
    print(json.dumps(READY), flush=True)  # imports done: from here on, time is the files'
    if argv[0] == "-":
        paths = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    else:
        try:
            paths = session_files(argv[0])
        except SessionError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    for path in paths:
        print(json.dumps(read_entry(path)), flush=True)  # flushed: each row is shown as soon as it is read
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
