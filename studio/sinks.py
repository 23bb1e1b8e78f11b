"""Where a run reports: the session file, the window, the CLI's progress bar are each a Sink.

The runner calls these from its own thread, already coalesced (every ~100 ms), with host copies:
a sink may keep what it is given. Every method has a do-nothing default so a sink implements
only what it shows.
"""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class RunInfo:
    kind: str
    title: str
    config: object
    settings: object
    device_name: str
    series: list
    panels: list
    start_step: int
    session_path: str | None = None
    views: dict = field(default_factory=dict)   # the viewer's choices the trainer starts with (Trainer.views)
    episodes: object = None                     # EpisodeSpec of a trainer that records games, else None
    frames: object = None                       # a live run's FrameStream of the game being played, else None
    frames_per_step: int = 0                    # emulator frames per trainer step (Atari: 4), for frames/s


@dataclass
class Status:
    step: int
    steps_per_s: float
    elapsed_s: float          # training time, pauses excluded
    state: str                # running | paused | stopping
    max_steps: int | None = None
    threads: int | None = None  # torch's CPU threads now, when the run tunes them (studio.threads)


@dataclass
class MetricBatch:
    """All points since the last batch: {series key: (steps int64 (n,), values float64 (n,))}."""
    points: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(s) for s, _ in self.points.values())


@dataclass
class Event:
    step: int
    kind: str                 # info | config | checkpoint | warning | error
    message: str


class Sink:
    def start(self, info: RunInfo) -> None: ...
    def metrics(self, batch: MetricBatch) -> None: ...
    def preview(self, step: int, images: dict[str, np.ndarray]) -> None: ...
    def snapshot(self, step: int, images: dict[str, np.ndarray]) -> None: ...
    def checkpoint(self, step: int, blob: bytes) -> None: ...
    def episode(self, episode) -> None: ...   # a recorded game episode (studio.rl.episode.Episode)
    def status(self, status: Status) -> None: ...
    def event(self, event: Event) -> None: ...
    def flush(self) -> None: ...
    def finish(self, reason: str) -> None: ...


class MultiSink(Sink):
    """Fans every call out to several sinks, in order."""

    def __init__(self, sinks):
        self.sinks = list(sinks)

    def _each(self, method: str, *args) -> None:
        for sink in self.sinks:
            getattr(sink, method)(*args)

    def start(self, info): self._each("start", info)
    def metrics(self, batch): self._each("metrics", batch)
    def preview(self, step, images): self._each("preview", step, images)
    def snapshot(self, step, images): self._each("snapshot", step, images)
    def checkpoint(self, step, blob): self._each("checkpoint", step, blob)
    def episode(self, episode): self._each("episode", episode)
    def status(self, status): self._each("status", status)
    def event(self, event): self._each("event", event)
    def flush(self): self._each("flush")
    def finish(self, reason): self._each("finish", reason)


class MemorySink(Sink):
    """Keeps everything it is told: for tests and for headless callers that want the numbers."""

    def __init__(self):
        self.info, self.events, self.statuses, self.finished = None, [], [], None
        self.points: dict[str, list] = {}
        self.previews, self.snapshots, self.checkpoints, self.episodes = [], [], [], []

    def start(self, info):
        self.info = info

    def metrics(self, batch):
        for key, (steps, values) in batch.points.items():
            self.points.setdefault(key, []).extend(zip(steps.tolist(), values.tolist()))

    def preview(self, step, images):
        self.previews.append((step, images))

    def snapshot(self, step, images):
        self.snapshots.append((step, images))

    def checkpoint(self, step, blob):
        self.checkpoints.append((step, len(blob)))

    def episode(self, episode):
        self.episodes.append(episode)

    def status(self, status):
        self.statuses.append(status)

    def event(self, event):
        self.events.append(event)

    def finish(self, reason):
        self.finished = reason
