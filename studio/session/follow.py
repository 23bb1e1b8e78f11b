"""Following a session another process is writing (the headless CLI, or a file synced from a server):
each `poll()` refreshes the datasets (HDF5 SWMR) and returns only what was added since the last one."""
from dataclasses import dataclass, field

import numpy as np

from studio.session import layout as L
from studio.session.reader import SessionReader
from studio.sinks import MetricBatch


@dataclass
class Update:
    metrics: MetricBatch                                     # new points per series (may be empty)
    snapshots: dict[str, np.ndarray] = field(default_factory=dict)  # panel -> steps of its new snapshots
    episodes: range = range(0)                               # indices of newly listed episodes
    events: list = field(default_factory=list)               # new (step, kind, message) events
    rewound: bool = False  # the writer cut the file back (a resume from an older checkpoint): read it anew

    def __bool__(self) -> bool:
        return (bool(self.metrics.points) or bool(self.snapshots) or len(self.episodes) > 0 or bool(self.events)
                or self.rewound)


class Follower:
    def __init__(self, reader: SessionReader):
        self.reader = reader
        f = reader.f
        # Start from what is there now (the viewer has shown it); later polls report only what is new.
        self._metric_rows = {k: f[L.METRICS][k].shape[0] for k in reader.series_keys()}
        self._last_step = {}
        for k, n in self._metric_rows.items():
            self._last_step[k] = int(f[L.METRICS][k][n - 1]["step"]) if n else 0
        self._snapshots = {k: len(reader.snapshot_steps(k)) for k in reader.panel_keys()}
        self._episodes = len(reader.episode_index())
        self._events = f[L.EVENTS].shape[0]

    def poll(self) -> Update:
        """What the writer has flushed since the last poll. OSError/KeyError if the file went bad."""
        f = self.reader.f
        points = {}
        for key, seen in self._metric_rows.items():
            ds = f[L.METRICS][key]
            ds.refresh()
            n = ds.shape[0]
            if n < seen:
                return Update(MetricBatch({}), rewound=True)
            if n == seen:
                continue
            rows = ds[seen:n]
            # Rows are appended in step order; a row still being written reads as step 0: keep it for later.
            good = _monotone_prefix(rows["step"], self._last_step[key])
            if good == 0:
                continue
            rows = rows[:good]
            self._metric_rows[key] = seen + good
            self._last_step[key] = int(rows["step"][-1])
            points[key] = (rows["step"].astype(np.int64), rows["value"].astype(np.float64))
        snapshots = {}
        for key, seen in self._snapshots.items():
            g = f[L.IMAGES][key]
            g["step"].refresh()
            g["data"].refresh()
            n = min(g["step"].shape[0], g["data"].shape[0])  # steps are appended after the picture
            if n < seen:
                return Update(MetricBatch({}), rewound=True)
            if n > seen:
                snapshots[key] = g["step"][seen:n]
                self._snapshots[key] = n
        episodes = range(0)
        if L.EPISODES in f:
            g = f[L.EPISODES]
            for name in ("index", "frames", "actions", "q_values", "rewards"):
                g[name].refresh()
            n = g["index"].shape[0]  # the index row is written last, after its frames
            if n < self._episodes:
                return Update(MetricBatch({}), rewound=True)
            if n > self._episodes:
                episodes = range(self._episodes, n)
                self._episodes = n
        events = []
        ds = f[L.EVENTS]
        ds.refresh()
        if ds.shape[0] < self._events:
            return Update(MetricBatch({}), rewound=True)
        for row in ds[self._events:]:
            if row["kind"]:  # a row being written reads as empty: taken on a later poll
                events.append((int(row["step"]), row["kind"].decode(), row["message"].decode("utf-8", "replace")))
                self._events += 1
            else:
                break
        return Update(MetricBatch(points), snapshots, episodes, events)


def _monotone_prefix(steps: np.ndarray, after: int) -> int:
    """How many leading rows continue the series (each step above the one before)."""
    previous = np.concatenate([[after], steps[:-1]])
    bad = np.flatnonzero(steps <= previous)
    return int(bad[0]) if len(bad) else len(steps)
