"""Exports of a saved session for use elsewhere, read from the file alone."""
import csv
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.session.reader import SessionReader


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
    try:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["step", *keys])
            for i, step in enumerate(steps):
                writer.writerow([int(step), *("" if np.isnan(columns[k][i]) else repr(float(columns[k][i]))
                                              for k in keys)])
    except OSError as exc:
        raise StudioError(f"{out}: cannot write ({exc})") from None
    return len(steps)
