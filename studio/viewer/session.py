"""A saved session as a source of what the viewer shows: its curves, its panels' snapshots at any step, its
log, its recorded episodes, what a writer added since the last look (`poll`), and what a resumed run
starts from (`carry`). Everything comes from the file (studio.session.history); nothing trains; no Qt.
"""
import functools
from dataclasses import dataclass, field

import numpy as np

from studio.errors import SessionError
from studio.session import layout as L
from studio.session.follow import Follower
from studio.session.history import Timeline, all_metrics, saved_panels, saved_series
from studio.session.reader import SessionReader
from studio.sinks import MetricBatch
from studio.viewer.texts import log_line

EPISODES_SHOWN = 60  # the newest episodes go to the player (as many as it keeps in a live run)


@dataclass
class Carry:
    """What a resumed run's views start from: the session as it was at the checkpoint's step."""
    step: int
    metrics: MetricBatch
    snapshots: list = field(default_factory=list)  # (step, {panel: snapshot}) in step order
    episodes: list = field(default_factory=list)


@dataclass
class Delta:
    """What a writer added since the last poll. rewound: it went back to a checkpoint (reload all)."""
    rewound: bool = False
    metrics: MetricBatch = field(default_factory=lambda: MetricBatch({}))
    steps_changed: bool = False
    log: list = field(default_factory=list)       # lines, as log_lines gives them
    episodes: list = field(default_factory=list)  # Episode objects, oldest first
    any: bool = False


class SessionSource:
    def __init__(self, path):
        self.path = str(path)
        self.reader = SessionReader(path)   # SessionError with a clear message if it cannot be read
        try:
            self.load()
        except Exception as exc:  # noqa: BLE001 - h5py, numpy and zlib raise many types on damage
            self.reader.close()
            raise SessionError(f"{path}: damaged session file ({type(exc).__name__}: {exc})") from None

    def load(self) -> None:
        """(Re)read the file as it is now."""
        r = self.reader
        self.series = saved_series(r)
        self.panels = saved_panels(r)
        self.episode_spec = r.episode_spec()
        self.timeline = Timeline(r)
        self._logged = 0
        self.follower = Follower(r)

    # --- what is in it ---
    def metrics(self) -> MetricBatch:
        return all_metrics(self.reader)

    def steps(self) -> np.ndarray:
        return self.timeline.steps

    def last_step(self) -> int:
        return self.reader.last_step()

    def snapshot_at(self, key: str, step: int):
        """(step, content) of panel `key`'s newest snapshot at or before `step`, or None; SessionError
        naming the panel and step when that snapshot cannot be read."""
        i = self.timeline.snapshot_index(key, step) if key in self.timeline.panel_steps else None
        if i is None:
            return None
        at = int(self.timeline.panel_steps[key][i])
        try:
            return at, self.reader.snapshot(key, i)
        except Exception as exc:  # noqa: BLE001 - one damaged snapshot: the caller says so, keeps the rest
            label = next((p.label for p in self.panels if p.key == key), key)
            raise SessionError(f"{label}: the snapshot of step {at:,} cannot be read "
                               f"({type(exc).__name__}: {exc})") from None

    def log_lines(self) -> list[str]:
        """The events not yet given, as a run's log shows them, with the time of day each was written."""
        events = self.reader.events()[self._logged:]
        return self._lines(events)

    def _lines(self, events) -> list[str]:
        times = self.reader.f[L.EVENTS].fields("time")[self._logged:self._logged + len(events)]
        self._logged += len(events)
        return [log_line(step, kind, message, float(when)) for (step, kind, message), when in zip(events, times)]

    def episodes(self) -> list:
        index = self.reader.episode_index()
        return [self.reader.episode(i) for i in range(max(0, len(index) - EPISODES_SHOWN), len(index))]

    def network_source(self):
        """For "where the network looks" on a stored game: the newest network saved in the file (it keeps
        no older ones), read when first needed."""
        from studio.rl.episode_saliency import network_from_session
        return functools.partial(network_from_session, self.path)

    # --- a file that grows ---
    def poll(self) -> Delta:
        """What a writer has added since the last look. SessionError if the file went bad meanwhile."""
        try:
            update = self.follower.poll()
            if update.rewound:  # the writer went back to a checkpoint: the file as it is now
                self.load()
                return Delta(rewound=True, any=True)
            for key, steps in update.snapshots.items():
                self.timeline.extend(key, steps)
            return Delta(False, update.metrics, bool(update.snapshots), self._lines(update.events),
                         [self.reader.episode(i) for i in update.episodes], bool(update))
        except Exception as exc:  # noqa: BLE001 - as above: the file went bad while followed
            raise SessionError(f"{self.path}: could not read what was added ({type(exc).__name__}: {exc})") from None

    def carry(self, step: int) -> Carry:
        """The curves, newest snapshots and episodes up to `step` (a resume's checkpoint)."""
        r = self.reader
        points = {}
        for key, (steps, values) in all_metrics(r).points.items():
            keep = steps <= step
            points[key] = (steps[keep], values[keep])
        by_step: dict[int, dict] = {}
        for panel in self.panels:
            # Snapshots at `step` itself are taken again by the resumed run.
            n = int(np.searchsorted(self.timeline.panel_steps[panel.key], step, side="left"))
            stack = r.f[L.IMAGES][panel.key]["data"][:n]  # one read of them all
            for s, content in zip(self.timeline.panel_steps[panel.key][:n], stack):
                by_step.setdefault(int(s), {})[panel.key] = content
        index = r.episode_index()
        chosen = np.flatnonzero(index["step"] <= step)[-EPISODES_SHOWN:]
        return Carry(step, MetricBatch(points), sorted(by_step.items()), [r.episode(int(i)) for i in chosen])

    def close(self) -> None:
        self.reader.close()
