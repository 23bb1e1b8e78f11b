"""A run's budget: train this many steps, or this many minutes, or until a metric reaches a value —
whichever comes first — then stop and save as a Stop would. The runner checks it as metrics arrive;
the window shows what is left and an ETA.

A metric "reaches" its target from the side it started on: a loss that starts above 0.1 is done when it
falls to 0.1, a score that starts below 20 when it rises to 20. A dense, noisy series is judged by its
moving average (β 0.9, the curve drawn by default), so one lucky batch does not end the run; a sparse
one (an evaluation every few hundred steps) by its points."""
import math
from dataclasses import dataclass

import numpy as np

from studio.config import param
from studio.errors import ConfigError

SMOOTHING = 0.9
NOTE = "run budget reached: "  # how the runner's event about it begins (the window reads what follows)


@dataclass(frozen=True)
class Budget:
    steps: int = param(0, "Stop after this many training steps of this run (0: no limit).", low=0,
                       high=10**10, label="stop after steps")
    minutes: float = param(0.0, "Stop after this many minutes of training, pauses excluded (0: no limit).",
                           low=0.0, high=10**6, label="stop after minutes")
    metric: str = param("", "Stop when this metric reaches `value` (a series key such as eval_score or "
                        "loss_d; empty: none).", label="stop when metric")
    value: float = param(0.0, "The value `metric` must reach (from the side it starts on).",
                         label="reaches value")

    def is_set(self) -> bool:
        return self.steps > 0 or self.minutes > 0 or bool(self.metric)

    def describe(self) -> str:
        parts = []
        if self.steps:
            parts.append(f"{self.steps:,} steps")
        if self.minutes:
            parts.append(f"{self.minutes:g} min")
        if self.metric:
            parts.append(f"{self.metric} reaches {self.value:g}")
        return " or ".join(parts) if parts else "no limit"


def check_metric(budget: Budget, series) -> None:
    """ConfigError naming the model's metrics when the budget's metric is not one of them."""
    keys = [s.key for s in series]
    if budget.metric and budget.metric not in keys:
        raise ConfigError(f"stop when metric: '{budget.metric}' is not a metric of this model "
                          f"(one of: {', '.join(keys)})")


class BudgetWatch:
    """Follows a run against its budget. `start_step` and `start_elapsed`: where this run began (a
    resumed session counts its budget from there)."""

    def __init__(self, budget: Budget, series, start_step: int, start_elapsed: float = 0.0):
        check_metric(budget, series)
        self.budget = budget
        self.start_step, self.start_elapsed = start_step, start_elapsed
        self.sparse = {s.key: s.sparse or not s.smooth for s in series}
        self._ema, self._weight = 0.0, 0.0
        self.current = math.nan   # the metric as judged (smoothed or raw)
        self._falling = None      # the side it started on: True when it must fall to the value
        self.reason = ""          # why the budget is spent ("" while it is not)

    @property
    def last_step(self) -> int | None:
        return self.start_step + self.budget.steps if self.budget.steps else None

    def metrics(self, points: dict) -> None:
        """A batch of points {key: (steps, values)}; only the budget's metric is looked at."""
        key = self.budget.metric
        if not key or key not in points:
            return
        values = np.asarray(points[key][1], np.float64)
        values = values[np.isfinite(values)]
        if not len(values):
            return
        if self.sparse.get(key, False):
            judged = values
        else:
            judged = np.empty(len(values))
            for i, v in enumerate(values):  # batches are small (a few points per status interval)
                self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * v
                self._weight = SMOOTHING * self._weight + (1 - SMOOTHING)
                judged[i] = self._ema / self._weight
        if self._falling is None:
            self._falling = bool(judged[0] > self.budget.value)
        self.current = float(judged[-1])
        hit = judged <= self.budget.value if self._falling else judged >= self.budget.value
        if hit.any() and not self.reason:
            self.reason = f"{key} reached {self.budget.value:g}"

    def spent(self, step: int, elapsed: float) -> str:
        """Why the run should end now ("" to go on)."""
        b = self.budget
        if self.reason:
            return self.reason
        if b.steps and step - self.start_step >= b.steps:
            return f"{b.steps:,} steps trained"
        if b.minutes and elapsed - self.start_elapsed >= b.minutes * 60:
            return f"{b.minutes:g} minutes of training"
        return ""


def eta_seconds(budget: Budget, step: int, steps_per_s: float, elapsed: float, start_step: int,
                start_elapsed: float = 0.0) -> float | None:
    """Seconds of training left under the step or time budget (the nearer), or None when unknown."""
    left = []
    if budget.steps and steps_per_s > 0:
        left.append(max(0.0, (start_step + budget.steps - step) / steps_per_s))
    if budget.minutes:
        left.append(max(0.0, start_elapsed + budget.minutes * 60 - elapsed))
    return min(left) if left else None
