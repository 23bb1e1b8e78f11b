"""ViewerState: the one owner of what the window shows — the run's state, the banner, the source on
screen (the live run or an opened session), the timeline's position and the picture each panel shows, the
curves' and log's new lines, the recorded episodes — emitting each change to the views subscribed to it
(napari's viewer-model pattern). Views never reach into each other or the window. Every method runs on the
GUI thread; `Control` stays what the worker obeys, and the run actions set both.

Plan and progress: docs/design/viewer-state-plan.md."""
import threading

import numpy as np

from studio.errors import SessionError
from studio.viewer.events import Events
from studio.viewer.sources import LiveRun
from studio.viewer.texts import log_line

RUN_STATES = ("idle", "running", "paused", "stopping")


class ViewerState:
    def __init__(self):
        self.run_state = "idle"      # idle | running | paused | stopping
        self.preparing = False       # a run was asked for and has not started yet
        self.outcome = ""            # how the last run ended (finished, stopped, halted, failed), while idle
        self.message = ("", False)   # the banner: (text, is an error)
        self.steps = np.zeros(0, np.int64)  # the timeline's snapshot steps
        self.index = 0               # the timeline's position in `steps`
        self.live = False            # a run is on: the newest position shows it as it trains
        self.last_step = None        # how far training went (None: not known)
        self.source = None           # LiveRun | SessionSource | None: what the panels show
        self.episode = None          # the episode chosen in the player (Export reads it)
        self.following = False       # the opened session is growing: another program writes it
        # source(source): the views are rebuilt from it; shown(key, step, picture): a panel shows a kept
        # snapshot; preview(serial): a newer live picture waits (views take it with take_newest);
        # metrics(batch), log(line), log_cleared(), episode_added(episode): more to show; status(Status): the
        # live run's numbers; following(bool): the opened session grows.
        self.events = Events("run_state", "message", "steps", "step", "live", "last_step", "source", "shown",
                             "preview", "metrics", "log", "log_cleared", "episode_added", "status", "following")
        self._pending = None         # the LiveRun of a run asked for and not started yet
        self._owner = threading.get_ident()
        self.events.step.connect(self._resolve)  # first: the views hear `shown` after `step`

    # --- the run ---
    def set_run_state(self, state: str, preparing: bool = False) -> None:
        if state not in RUN_STATES:
            raise ValueError(f"unknown run state {state!r}")
        self._check_thread()
        self.run_state, self.preparing = state, preparing
        if state != "idle":
            self.outcome = ""
        self.events.run_state.emit(state)

    @property
    def active(self) -> bool:
        """A run is on and takes orders (pause, step, settings, viewer choices)."""
        return self.run_state in ("running", "paused")

    def state_label(self) -> str:
        if self.preparing:
            return "preparing…"
        if self.run_state == "idle":
            if self.source is not None and self.live_run is None:
                return "live (read-only)" if self.following else "viewing"
            return self.outcome or "idle"
        return self.run_state

    def ended(self, outcome: str) -> None:
        """How the run ended, said by the state label once it is idle (the first word counts: a run that
        halted on NaN and was then stopped halted)."""
        self.outcome = self.outcome or outcome

    # --- the run's life (called by widgets/run_bridge.py, on the GUI thread) ---
    def prepare_run(self, carry=None) -> LiveRun:
        """A run was asked for: "preparing…" until it has started; `carry` is a resumed session's views."""
        self._pending = LiveRun(carry)
        self.set_run_state("running", preparing=True)
        return self._pending

    def started(self, info) -> LiveRun:
        """The run has started: it is the source on screen, its newest position is live; a resumed run's
        carried curves, snapshots and episodes are shown first."""
        run = self._pending if self._pending is not None else LiveRun()
        self._pending = None
        carry = run.adopt(info)
        self._set_source(run)
        self.events.source.emit(run)
        self._empty_timeline_and_log(live=True)
        if carry is not None:
            self.events.metrics.emit(carry.metrics)
            self.snapshots(carry.snapshots)
            for episode in carry.episodes:
                self.events.episode_added.emit(episode)
        self.set_run_state(self.run_state)  # prepared: no longer "preparing…"
        return run

    def preview(self, step: int, images: dict) -> None:
        run = self.live_run
        if run is None:
            return
        serial = run.set_preview(step, images)
        if self.showing_live:
            self.events.preview.emit(serial)

    def take_newest(self, key: str, after: int):
        """(serial, step, picture) of the live run's newest picture for `key` if newer than serial `after`
        and the newest position is on screen; else None."""
        run = self.live_run
        return run.newest(key, after) if run is not None and self.showing_live else None

    def snapshots(self, snapshots) -> None:
        """(step, {panel: picture}) pairs the run kept, in step order: the timeline grows."""
        run = self.live_run
        if run is not None:
            run.add_snapshots(snapshots)
            self.extend_steps(run.steps())

    def status(self, status) -> None:
        if self.live_run is not None:
            self.live_run.last_step = status.step
            self.events.status.emit(status)

    def metrics(self, batch) -> None:
        self.events.metrics.emit(batch)

    def episode_recorded(self, episode) -> None:
        self.events.episode_added.emit(episode)

    def log(self, step: int, kind: str, message: str, when: float | None = None) -> None:
        self.events.log.emit(log_line(step, kind, message, when))

    def log_text(self, line: str) -> None:
        self.events.log.emit(line)

    def run_ended(self) -> None:
        """The run's thread has finished: idle, and the newest position shows the newest snapshot instead
        of live pictures (in this order: the views hear "idle" before they are redrawn)."""
        self._pending = None
        self.set_run_state("idle")
        run = self.live_run
        if run is None or run.ended:
            return
        run.ended = True
        self.set_live(False)
        self.set_last_step(run.last_step)
        if self.at_newest and len(self.steps):
            self._resolve(self.step)

    @property
    def session_path(self) -> str | None:
        """The session file of the source on screen (a run's own, or the opened one)."""
        if isinstance(self.source, LiveRun):
            return self.source.info.session_path if self.source.info is not None else None
        return getattr(self.source, "path", None)

    @property
    def live_run(self) -> LiveRun | None:
        return self.source if isinstance(self.source, LiveRun) else None

    # --- an opened session (studio/viewer/session.py) ---
    def open(self, source) -> None:
        """Show a session: its curves, panels at the newest snapshot, log and episodes."""
        self._set_source(source)
        self._show_session(source)

    def _show_session(self, source) -> None:
        with self.events.batch():
            self.set_live(False)  # the newest position is the newest snapshot: nothing trains here
            self.set_last_step(source.last_step())
        self.events.source.emit(source)  # again on a reload: the views are rebuilt from the file
        self.events.metrics.emit(source.metrics())
        self.set_steps(source.steps())
        self.events.log_cleared.emit()
        for line in source.log_lines():
            self.events.log.emit(line)
        for episode in source.episodes():
            self.events.episode_added.emit(episode)

    def apply(self, delta) -> None:
        """What a writer added to the opened session since the last look (SessionSource.poll)."""
        if delta.rewound:  # it went back to a checkpoint: the file as it is now
            self._show_session(self.source)
            return
        if delta.metrics.points:
            self.events.metrics.emit(delta.metrics)
            self.set_last_step(self.source.last_step())
        if delta.steps_changed:
            self.extend_steps(self.source.steps())  # moves on only if it was at the newest
        for line in delta.log:
            self.events.log.emit(line)
        for episode in delta.episodes:
            self.events.episode_added.emit(episode)

    def close_source(self) -> None:
        """Nothing on screen: the source is let go (a session's file is closed), and with it how the last
        run ended."""
        self.outcome = ""
        self._set_source(None)
        self.events.source.emit(None)
        self._empty_timeline_and_log(live=False)

    def _empty_timeline_and_log(self, live: bool) -> None:
        """A new source with nothing kept yet: no snapshot steps, no known last step, an empty log."""
        with self.events.batch():
            self.set_live(live)
            self.set_last_step(None)
            self.set_steps(np.zeros(0, np.int64))
        self.events.log_cleared.emit()

    def set_following(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            self.events.following.emit(following)

    def _set_source(self, source) -> None:
        self._check_thread()
        old, self.source = self.source, source
        self.episode, self.following = None, False
        if old is not None and old is not source:
            old.close()

    # --- what each panel shows ---
    @property
    def marked_step(self) -> int | None:
        """The step the curves mark: none while the run's newest position is on screen."""
        return None if isinstance(self.source, LiveRun) and self.at_newest else self.step

    def _resolve(self, step) -> None:
        """The position moved (or the source changed): each panel's picture at `step` — the live run's
        newest at its newest position, else the newest kept snapshot at or before the step."""
        source = self.source
        if source is None or step is None:
            return
        if self.showing_live:
            run = self.live_run
            if run.serial:
                self.events.preview.emit(run.serial)
            return
        for panel in source.panels:
            try:
                found = source.snapshot_at(panel.key, step)
            except SessionError as exc:  # one damaged snapshot: say so, show the rest
                self.say(str(exc), error=True)
                continue
            if found is not None:
                self.events.shown.emit(panel.key, *found)

    def choose_episode(self, episode) -> None:
        self.episode = episode

    # --- the banner ---
    def say(self, text: str, error: bool = False) -> None:
        self._check_thread()
        self.message = (text, error)
        self.events.message.emit(text, error)

    # --- the timeline ---
    @property
    def at_newest(self) -> bool:
        return len(self.steps) == 0 or self.index == len(self.steps) - 1

    @property
    def showing_live(self) -> bool:
        """The panels show the run as it trains (a plain read: the game view asks 30 times a second)."""
        return self.live and (len(self.steps) == 0 or self.index == len(self.steps) - 1)

    @property
    def step(self) -> int | None:
        return int(self.steps[self.index]) if len(self.steps) else None

    def set_steps(self, steps, follow: bool = True) -> None:
        """New snapshot steps. With `follow` (a new source, or the position was at the newest) the position
        goes to the newest and `step` is emitted; otherwise it stays on the step it showed."""
        self._check_thread()
        old = self.step
        self.steps = np.asarray(steps, np.int64)
        n = len(self.steps)
        with self.events.batch():
            self.events.steps.emit(self.steps)
            if not n:
                self.index = 0
            elif follow or old is None:
                self.index = n - 1
                self.events.step.emit(self.step)
            else:  # the same step, at its new index (thinning may have moved it)
                self.index = max(0, int(np.searchsorted(self.steps, old, side="right")) - 1)

    def extend_steps(self, steps) -> None:
        """More snapshots: a position at the newest follows them, one moved back stays."""
        self.set_steps(steps, follow=self.at_newest)

    def choose(self, index: int, force: bool = False) -> None:
        """The viewer picked position `index` (clamped); emits `step` when it changed or `force`."""
        self._check_thread()
        if not len(self.steps):
            return
        index = int(np.clip(index, 0, len(self.steps) - 1))
        changed = index != self.index
        self.index = index
        if changed or force:
            self.events.step.emit(self.step)

    def choose_step(self, step: int) -> None:
        """The newest snapshot position at or before `step` (a typed step)."""
        self.choose(max(0, int(np.searchsorted(self.steps, step, side="right")) - 1), force=True)

    def set_live(self, live: bool) -> None:
        self._check_thread()
        self.live = live
        self.events.live.emit(live)

    def set_last_step(self, step: int | None) -> None:
        self._check_thread()
        self.last_step = step
        self.events.last_step.emit(step)

    def _check_thread(self) -> None:
        # Views are Qt widgets: a change from the worker thread would reach them on the wrong thread.
        assert threading.get_ident() == self._owner, "ViewerState is changed on the GUI thread only"
