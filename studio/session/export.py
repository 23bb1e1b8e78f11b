"""Exports of a saved session for use elsewhere, read from the file alone: the metrics as CSV here; the
pictures (export_images), episodes (export_video) and weights (export_weights) beside it. Every export
is written to a temporary name in the target folder and renamed at the end, so a failure never leaves
a half-written file where the user asked for one."""
import csv
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.session.reader import SessionReader


@contextmanager
def written_atomically(out: str | Path):
    """Yields a temporary path beside `out`; renamed to `out` if the block succeeds, removed if not."""
    out = Path(out)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent if str(out.parent) else ".")
        os.close(fd)
    except OSError as exc:
        raise StudioError(f"{out}: cannot write there ({exc.strerror or exc})") from None
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's private 0600 is not what a user's export should get
        os.replace(tmp, out)
    except OSError as exc:
        raise StudioError(f"{out}: cannot write ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def metrics_csv(reader: SessionReader, out: str | Path) -> int:
    """Every metric point as one CSV table: a `step` column, then one column per series (its key; empty
    where that series has no point at the step). Returns the number of rows."""
    keys = reader.series_keys()
    series = {k: reader.series(k) for k in keys}
    every = [s for s, _ in series.values() if len(s)]
    steps = np.unique(np.concatenate(every)) if every else np.zeros(0, np.int64)
    columns = {}
    for key, (s, v) in series.items():
        col = np.full(len(steps), np.nan)
        col[np.searchsorted(steps, s)] = v  # a step appears once per series (resume drops repeats)
        columns[key] = col
    with written_atomically(out) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", *keys])
        for i, step in enumerate(steps):
            writer.writerow([int(step), *("" if np.isnan(columns[k][i]) else repr(float(columns[k][i]))
                                          for k in keys)])
    return len(steps)
