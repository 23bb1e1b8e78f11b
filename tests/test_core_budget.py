"""A run's budget (issue 13): steps, minutes, or a metric reaching a value from the side it started on;
the runner stops and saves as a Stop would, says why, and an unknown metric is refused before training."""
import numpy as np
import pytest

from studio.budget import Budget, BudgetWatch, eta_seconds
from studio.control import Control
from studio.errors import ConfigError
from studio.runner import Runner
from studio.runs import new_run
from studio.trainers.base import Series

from helpers_core import BlobSink

SERIES = [Series("loss", "loss", "losses"), Series("score", "score", "eval", smooth=False, sparse=True)]


def test_a_falling_loss_is_judged_by_its_moving_average():
    w = BudgetWatch(Budget(metric="loss", value=0.5), SERIES, start_step=0)
    w.metrics({"loss": (np.arange(3), np.array([1.0, 0.9, 0.1]))})   # one lucky batch: average still ~0.6
    assert w.spent(3, 0) == "" and 0.5 < w.current < 0.7
    w.metrics({"loss": (np.arange(3, 9), np.full(6, 0.3))})
    assert w.spent(9, 0) == "loss reached 0.5"


def test_a_rising_sparse_score_is_judged_by_its_points_and_nan_is_ignored():
    w = BudgetWatch(Budget(metric="score", value=20), SERIES, start_step=100)
    w.metrics({"score": (np.array([200, 300]), np.array([3.0, np.nan]))})
    w.metrics({"loss": (np.array([301]), np.array([50.0]))})     # another series: not looked at
    assert w.spent(301, 0) == ""
    w.metrics({"score": (np.array([400]), np.array([21.0]))})
    assert w.spent(400, 0) == "score reached 20"


def test_steps_and_minutes_count_from_where_this_run_began():
    w = BudgetWatch(Budget(steps=500, minutes=2), SERIES, start_step=1000, start_elapsed=60.0)
    assert w.spent(1499, 179.0) == ""
    assert w.spent(1500, 100.0) == "500 steps trained"
    assert w.spent(1200, 180.0) == "2 minutes of training"
    assert eta_seconds(Budget(steps=500, minutes=2), 1100, 10.0, 70.0, 1000, 60.0) == pytest.approx(40.0)
    assert eta_seconds(Budget(steps=500), 1100, 0.0, 70.0, 1000) is None      # no rate yet
    assert eta_seconds(Budget(metric="loss", value=1), 1100, 10.0, 70.0, 1000) is None
    assert Budget(steps=500, minutes=2).describe() == "500 steps or 2 min"


def test_an_unknown_metric_is_refused_naming_the_models_metrics():
    with pytest.raises(ConfigError, match="one of: loss, score"):
        BudgetWatch(Budget(metric="los", value=1), SERIES, start_step=0)


def test_the_runner_stops_at_its_budget_saves_and_says_why(tiny_gan_config, tiny_settings):
    prepared = new_run("gan", tiny_gan_config, tiny_settings, save=False)
    sink = BlobSink()
    runner = Runner(prepared.trainer, Control(), sink, prepared.info, snapshot_every=10,
                    checkpoint_seconds=3600.0, budget=Budget(steps=23))
    assert runner.run() == "finished"
    assert prepared.trainer.step == 23
    (note,) = [e for e in sink.events_of("info") if "budget" in e.message]
    assert note.message == "run budget reached: 23 steps trained; stopped and saved" and note.step == 23
    assert sink.checkpoints and sink.checkpoints[-1][0] == 23       # saved as a Stop saves


def test_the_runner_stops_when_a_metric_reaches_its_value(tiny_gan_config, tiny_settings):
    prepared = new_run("gan", tiny_gan_config, tiny_settings, save=False)
    sink = BlobSink()
    # D's output on real images starts near 0.5 and rises as D learns: the run ends when it reaches 0.6.
    runner = Runner(prepared.trainer, Control(), sink, prepared.info, snapshot_every=10, emit_seconds=0.0,
                    checkpoint_seconds=3600.0, max_steps=3000, budget=Budget(metric="d_real", value=0.6))
    assert runner.run() == "finished"
    assert 0 < prepared.trainer.step < 3000
    assert any("d_real reached 0.6" in e.message for e in sink.events)
