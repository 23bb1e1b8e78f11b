"""Cooperative pause / resume / single-step / stop for a run, safe to call from any thread.

The training loop calls `next_turn()` before every step; that is its only pause and stop point,
so a step is never cut in half and the optimizer state is always whole.
"""
import threading


class Control:
    def __init__(self, paused: bool = False):
        self._cond = threading.Condition()
        self._paused = paused
        self._stop = False
        self._step_credit = 0
        self._pending_config = None
        self._pending_views = {}

    # --- called by the GUI, the CLI's signal handler, or tests ---
    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._step_credit = 0  # Pause means now: steps queued by Step are dropped
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._step_credit = 0
            self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """While paused, let exactly n more steps run, then stay paused."""
        with self._cond:
            self._paused = True
            self._step_credit += n
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def set_config(self, config) -> None:
        """Hand a new config to the loop; it is applied before the next step."""
        with self._cond:
            self._pending_config = config
            self._cond.notify_all()

    def set_view(self, key: str, value) -> None:
        """A viewer's choice for a panel (Trainer.set_view); shown at once, even while paused."""
        with self._cond:
            self._pending_views[key] = value
            self._cond.notify_all()

    @property
    def steps_pending(self) -> int:
        return self._step_credit

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopping(self) -> bool:
        return self._stop

    # --- called by the training loop ---
    def take_config(self):
        with self._cond:
            config, self._pending_config = self._pending_config, None
            return config

    def take_views(self) -> dict:
        with self._cond:
            views, self._pending_views = self._pending_views, {}
            return views

    def next_turn(self, idle=None, idle_every: float = 0.1) -> bool:
        """Block while paused; True when a step may run, False when the run must stop.

        `idle` is called about every `idle_every` seconds while paused (outside the lock), so the
        loop can still publish its status and apply config changes without running a step.
        """
        while True:
            with self._cond:
                if self._stop:
                    return False
                if not self._paused:
                    return True
                if self._step_credit > 0:
                    self._step_credit -= 1
                    return True
                if (self._pending_config is None and not self._pending_views) or idle is None:
                    # nothing for idle to apply (and without idle, nobody would take it): sleep
                    self._cond.wait(idle_every)
            if idle is not None:
                idle()
