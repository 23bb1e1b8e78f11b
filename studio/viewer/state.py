"""ViewerState: the one owner of what the window shows — the run's state, the banner, the timeline's
position — emitting each change to the views subscribed to it (napari's viewer-model pattern). Every method
runs on the GUI thread; `Control` stays what the worker obeys, and the run actions set both.

Plan and progress: docs/design/viewer-state-plan.md (steps 3 and 4)."""
import threading

import numpy as np

from studio.viewer.events import Events

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
        self.events = Events("run_state", "message", "steps", "step", "live", "last_step")
        self._owner = threading.get_ident()

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

    def state_label(self, viewing: bool = False) -> str:
        if self.preparing:
            return "preparing…"
        if self.run_state == "idle":
            return "viewing" if viewing else (self.outcome or "idle")
        return self.run_state

    def ended(self, outcome: str) -> None:
        """How the run ended, said by the state label once it is idle (the first word counts: a run that
        halted on NaN and was then stopped halted)."""
        self.outcome = self.outcome or outcome

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
