"""How many CPU threads torch uses, chosen by measuring training while it runs.

On a quiet 2-core machine two intra-op threads are the fastest; beside one other CPU-bound program
they are several times slower than one, because every parallel region waits at its barrier for the
thread the OS has descheduled. The right count follows the load, which changes while a person works.
So the tuner times windows of training steps at neighbouring thread counts, keeps the fastest, and
tries again: sooner when the other programs' CPU use or the training speed changes, otherwise on an
interval that doubles while the choice holds (a quiet machine pays for a probe ever more rarely).
"""
import os
from dataclasses import dataclass

WINDOW_S = 1.0          # training time per measurement window
MIN_STEPS = 6           # and at least this many steps in it
WARMUP_STEPS = 3        # the first steps allocate and warm caches: not timed
RECHECK_FIRST_S = 30.0  # training time before the first re-check; doubles while the choice holds
RECHECK_MAX_S = 320.0
LOAD_CHANGE = 0.5       # cores of other programs' CPU use that make a re-check due at once
RATE_DROP = 0.7         # a window this much slower than at the choice (twice in a row): re-check
KEEP_MARGIN = 0.04      # another count must be this much faster to replace the current one
GIVE_UP = 2.0           # a probe of another count ends once it has taken this many times as long as
GIVE_UP_SLACK_S = 0.2   # the current count would have (plus this): beside busy programs a step at too
                        # many threads can stall for a second, and the views would freeze with it


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_counts(cores: int) -> list[int]:
    """The counts worth trying: 1, 2, 4, … and the number of cores."""
    counts, n = [], 1
    while n < cores:
        counts.append(n)
        n *= 2
    return counts + [max(1, cores)]


def other_cpu_load():
    """A callable returning how many cores other programs kept busy since its last call (None if the
    platform does not tell); psutil reads the system's and this process's CPU times."""
    try:
        import psutil
    except ImportError:  # the tuner still works from the training speed alone
        return lambda: None
    me = psutil.Process()

    def busy() -> tuple[float, float, float]:
        system = psutil.cpu_times()
        idle = system.idle + getattr(system, "iowait", 0.0)
        total = sum(system)
        own = me.cpu_times()
        return total - idle, own.user + own.system, total

    last = [busy()]

    def sample():
        now = busy()
        (b0, o0, t0), (b1, o1, t1) = last[0], now
        last[0] = now
        span = (t1 - t0) / psutil.cpu_count()  # wall seconds, summed over all cores / cores
        if span <= 0:
            return None
        return max(0.0, ((b1 - b0) - (o1 - o0)) / span)

    return sample


@dataclass
class Choice:
    threads: int
    rate: float           # steps per second of training time
    other_load: float | None  # cores other programs kept busy meanwhile (None: not known here)
    rates: dict           # every count measured this round: {threads: steps/s}


class ThreadTuner:
    """Call `step_done(seconds)` after every training step from the training thread itself (torch's
    thread count belongs to the thread that sets it). `set_threads` applies a count; `load` samples the
    other programs' CPU use; `on_change(choice)` hears about each new choice."""

    def __init__(self, cores: int, set_threads, start: int | None = None, load=None, on_change=None):
        self.cores, self.counts = cores, thread_counts(cores)
        self.set_threads, self.on_change = set_threads, on_change
        self.load = load or (lambda: None)
        # One thread first: beside busy programs a step at more threads can stall for a second, while a
        # quiet machine loses only the first window's speed before the next count is measured.
        self.current = self.counts[0]
        self.choice: Choice | None = None
        self._skip = WARMUP_STEPS
        self._steps, self._seconds, self._longest = 0, 0.0, 0.0
        self._rates: dict[int, float] = {}
        self._start_round()
        self._held_s = 0.0        # training time since the last choice
        self._recheck_s = RECHECK_FIRST_S
        if start != self.current:
            set_threads(self.current)
        self.load()               # start the first load interval now

    @property
    def active(self) -> bool:
        return len(self.counts) > 1

    def _neighbours(self, n: int) -> list[int]:
        i = self.counts.index(n)
        return [self.counts[j] for j in (i - 1, i + 1) if 0 <= j < len(self.counts)]

    def step_done(self, seconds: float) -> None:
        if not self.active:
            return
        if self._skip:
            self._skip -= 1
            if self._probing() and seconds > self._give_up_s(1):  # even this first step tells
                self._steps, self._seconds = 1, seconds
                self._window_done()
            return
        self._steps += 1
        self._seconds += seconds
        self._longest = max(self._longest, seconds)
        if self._seconds >= WINDOW_S and self._steps >= MIN_STEPS or self._losing():
            self._window_done()

    def _probing(self) -> bool:
        """Whether a window now measures another count than the current one, whose rate is known."""
        return bool(self._trying) and self.current != self._incumbent and self._incumbent in self._rates

    def _give_up_s(self, steps: int) -> float:
        return GIVE_UP * steps / max(self._rates[self._incumbent], 1e-9) + GIVE_UP_SLACK_S

    def _losing(self) -> bool:
        """Whether the probed count is clearly slower already (a long evaluation step counts against
        it too: the current count is kept, and the next round looks again)."""
        return self._probing() and self._seconds > self._give_up_s(self._steps)

    def _window_rate(self) -> float:
        steps, seconds = self._steps, self._seconds
        if self._longest > seconds / 2 and steps > 1:  # one step was an evaluation, a save: not typical
            steps, seconds = steps - 1, seconds - self._longest
        self._steps, self._seconds, self._longest = 0, 0.0, 0.0
        return steps / seconds if seconds > 0 else 0.0

    def _window_done(self) -> None:
        window_s = self._seconds
        if self._losing():  # its long steps are the evidence: none is set aside as untypical
            rate = self._steps / self._seconds
            self._steps, self._seconds, self._longest = 0, 0.0, 0.0
        else:
            rate = self._window_rate()
        if self._trying:  # a round: this window ran at self.current
            self._rates[self.current] = rate
            self._trying.pop(0)
            if self._trying:
                self._apply(self._trying[0])
            else:
                self._decide()
            return
        self._held_s += window_s
        other = self.load()
        c = self.choice
        load_moved = other is not None and c.other_load is not None and abs(other - c.other_load) >= LOAD_CHANGE
        self._slow_windows = self._slow_windows + 1 if rate < RATE_DROP * c.rate else 0
        if load_moved or self._slow_windows >= 2:
            self._recheck_s = RECHECK_FIRST_S  # the conditions changed: keep looking closely for a while
            self._start_round(other)
        elif self._held_s >= self._recheck_s:
            self._start_round(other)

    def _start_round(self, other_load: float | None = None) -> None:
        self._rates = {}
        self._incumbent = self.current
        # More threads than the cores other programs leave free only wait at their barriers (a step can
        # stall for a second): such a count is tried again once the measured load has gone down.
        self._trying = [self.current] + [n for n in self._neighbours(self.current) if self._room_for(n, other_load)]
        self._slow_windows = 0

    def _room_for(self, n: int, other_load: float | None) -> bool:
        return n < self.current or other_load is None or n <= self.cores - other_load + 0.5

    def _decide(self) -> None:
        keep = self._incumbent
        best = max(self._rates, key=self._rates.get)
        if self._rates[best] < (1 + KEEP_MARGIN) * self._rates[keep]:
            best = keep  # within noise: moving would only add probes
        previous = self.choice.threads if self.choice else None
        self._recheck_s = min(2 * self._recheck_s, RECHECK_MAX_S) if best == previous else RECHECK_FIRST_S
        self._apply(best)
        self.choice = Choice(best, self._rates[best], self.load(), dict(self._rates))
        self._held_s = 0.0
        if best != previous and self.on_change is not None:
            self.on_change(self.choice)
        further = [n for n in self._neighbours(best) if n not in self._rates
                   and self._room_for(n, self.choice.other_load)]
        if best != keep and further:  # it moved: go on climbing (or descending) at once
            self._incumbent, self._trying = best, further
            self._apply(further[0])

    def _apply(self, n: int) -> None:
        if n != self.current:
            self.set_threads(n)
            self.current = n
            self._skip = 1  # the first step at a new count starts its thread team
