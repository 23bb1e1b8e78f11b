"""A saved session shown in the window: its curves, its panels at the step chosen on the timeline, and
its recorded episodes. Everything comes from the file (studio.session.history); nothing trains. A file
that another process is still writing keeps growing on screen (`poll`)."""
import functools
import time
from dataclasses import dataclass, field

import numpy as np

from studio.errors import SessionError
from studio.rl.episode_saliency import network_from_session
from studio.session.follow import Follower
from studio.session import layout as L
from studio.session.history import Timeline, all_metrics, saved_panels, saved_series
from studio.session.reader import SessionReader
from studio.sinks import MetricBatch

EPISODES_SHOWN = 60  # the newest episodes go to the player (as many as it keeps in a live run)


@dataclass
class Carry:
    """What a resumed run's views start from: the session as it was at the checkpoint's step."""
    step: int
    metrics: MetricBatch
    snapshots: list = field(default_factory=list)  # (step, {panel: snapshot}) in step order
    episodes: list = field(default_factory=list)


class SessionView:
    def __init__(self, window, path):
        self.window = window
        self.path = str(path)
        self.reader = SessionReader(path)   # SessionError with a clear message if it cannot be read
        try:
            self._show()
        except Exception as exc:  # noqa: BLE001 - h5py, numpy and zlib raise many types on damage
            self.reader.close()
            raise SessionError(f"{path}: damaged session file ({type(exc).__name__}: {exc})") from None

    def _show(self) -> None:
        w, r = self.window, self.reader
        w.plots.setup(saved_series(r))
        w.plots.add_batch(all_metrics(r))
        w.plots.redraw()
        self.panels = saved_panels(r)
        w.build_panels(self.panels, r.episode_spec())
        self.timeline = Timeline(r)
        w.timeline.setVisible(len(self.timeline) > 0)
        w.timeline.set_live(False)  # the newest position is the newest snapshot: nothing trains here
        w.timeline.set_last_step(r.last_step())
        w.timeline.set_steps(self.timeline.steps)
        if len(self.timeline):  # the window does not know this view yet: show the newest step here
            self.show_step(int(self.timeline.steps[-1]))
        w.log.clear()
        self._logged = 0
        self._log_events(r.events())
        if w.player is not None:
            # "Where it looks" on a stored game: the newest saved network (the file keeps no older ones).
            w.player.network_source = functools.partial(network_from_session, str(self.path))
            index = r.episode_index()
            for i in range(max(0, len(index) - EPISODES_SHOWN), len(index)):
                w.player.add_episode(r.episode(i))
        self.follower = Follower(r)

    def _log_events(self, events) -> None:
        """Events as a run's log shows them, with the time of day each was written (the file keeps it)."""
        times = self.reader.f[L.EVENTS].fields("time")[self._logged:self._logged + len(events)]
        for (step, kind, message), when in zip(events, times):
            clock = time.strftime("%H:%M:%S", time.localtime(float(when)))
            self.window.log.appendPlainText(f"{clock}  step {step:,}  [{kind}]  {message}")
        self._logged += len(events)

    def show_step(self, step: int) -> None:
        """Every panel as its newest snapshot at or before `step`."""
        for panel in self.panels:
            i = self.timeline.snapshot_index(panel.key, step)
            if i is None:
                continue
            try:
                content = self.reader.snapshot(panel.key, i)
            except Exception as exc:  # noqa: BLE001 - one damaged snapshot: say so, keep the rest
                self.window.show_message(f"{panel.label}: the snapshot of step "
                                         f"{int(self.timeline.panel_steps[panel.key][i]):,} cannot be read "
                                         f"({type(exc).__name__}: {exc})", error=True)
                continue
            self.window.grids[panel.key].show_content(int(self.timeline.panel_steps[panel.key][i]), content)

    def poll(self) -> bool:
        """Show what a writer has added since the last look; True if it added anything.
        SessionError if the file went bad meanwhile."""
        try:
            update = self.follower.poll()
            if update.rewound:  # the writer went back to a checkpoint: show the file as it is now
                self._show()
                return True
            w = self.window
            if update.metrics.points:
                w.plots.add_batch(update.metrics)
                w.timeline.set_last_step(self.reader.last_step())
            for key, steps in update.snapshots.items():
                self.timeline.extend(key, steps)
            if update.snapshots:
                w.timeline.setVisible(True)
                w.timeline.extend_steps(self.timeline.steps)  # moves on only if it was at the newest
            self._log_events(update.events)
            if w.player is not None:
                for i in update.episodes:
                    w.player.add_episode(self.reader.episode(i))
            return bool(update)
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
