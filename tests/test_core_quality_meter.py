"""The quality meter (studio/quality/meter.py) scores off the training thread and hands points back in step
order at the steps they measured; the GAN's average of G's weights; the runner records the scores."""
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from studio.errors import DataError
from studio.models.weight_average import WeightAverage
from studio.quality.meter import MAX_WAITING, QualityMeter


class SlowScorer:
    """Scores a batch by its mean, after waiting for `gate` (so a test controls when scoring finishes)."""
    def __init__(self, reference, digit_classes, gate=None, threads=None):
        self.gate, self.threads = gate, threads

    def score(self, images):
        if self.threads is not None:
            self.threads.append(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(5)
        return SimpleNamespace(fd=float(np.mean(images)), coverage=0.5, shares=np.full(10, 0.1))


def wait_for(meter, n, timeout=5.0):
    got, end = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        got += meter.take()
        time.sleep(0.01)
    return got


def test_scores_come_back_in_step_order_from_another_thread():
    threads = []
    meter = QualityMeter(np.zeros((5, 28, 28), np.uint8), True,
                         lambda ref, dc: SlowScorer(ref, dc, threads=threads))
    for step, value in ((200, 0.25), (400, 0.75)):
        assert meter.submit(step, {"": lambda v=value: np.full((4, 28, 28), v, np.float32)})
        time.sleep(0.05)
    got = wait_for(meter, 2)
    assert [s for s, _ in got] == [200, 400]
    assert got[0][1] == {"fd": 0.25, "coverage": 5.0} and got[1][1]["fd"] == 0.75
    assert threads and all(name != threading.current_thread().name for name in threads)
    meter.close()


def test_a_busy_scorer_skips_points_rather_than_queue_them():
    gate = threading.Event()
    meter = QualityMeter(np.zeros((5, 28, 28), np.uint8), True, lambda ref, dc: SlowScorer(ref, dc, gate))
    sample = {"": lambda: np.zeros((2, 28, 28), np.float32)}
    accepted = [meter.submit(step, sample) for step in range(10)]
    assert accepted[:MAX_WAITING] == [True] * MAX_WAITING and not any(accepted[MAX_WAITING:])
    assert meter.take() == []  # nothing finished yet
    gate.set()
    assert [s for s, _ in wait_for(meter, MAX_WAITING)] == list(range(MAX_WAITING))
    meter.close()


def test_scoring_takes_at_most_its_share_of_the_time_and_one_torch_thread():
    now = [100.0]
    seen = {}

    class Timed(SlowScorer):
        def score(self, images):
            seen["threads"] = torch.get_num_threads()
            now[0] += 2.0  # this job takes 2 s
            return super().score(images)
    meter = QualityMeter(np.zeros((5, 28, 28), np.uint8), True, Timed, max_share=0.1, clock=lambda: now[0])
    before = torch.get_num_threads()
    sample = {"": lambda: np.zeros((2, 28, 28), np.float32)}
    assert meter.submit(1, sample) and wait_for(meter, 1)[0][0] == 1   # began at 100, took 2 s
    assert seen["threads"] == 1 and torch.get_num_threads() == before  # the scorer's setting is its own
    now[0] = 119.9
    assert not meter.submit(2, sample)                                   # 2 s is over a tenth of 19.9 s
    now[0] = 120.0
    assert meter.submit(3, sample) and wait_for(meter, 1)[0][0] == 3
    meter.close()


def test_non_finite_scores_are_dropped_and_a_failure_is_said_once():
    class Nan(SlowScorer):
        def score(self, images):
            return SimpleNamespace(fd=float("nan"), coverage=1.0, shares=np.full(10, 0.1))
    meter = QualityMeter(np.zeros((5, 28, 28), np.uint8), True, Nan)
    meter.submit(1, {"": lambda: np.zeros((2, 28, 28))})
    assert wait_for(meter, 1) == [(1, {"coverage": 10.0})]

    def broken(ref, dc):
        raise DataError("digit_classifier.safetensors: missing")
    meter = QualityMeter(np.zeros((5, 28, 28), np.uint8), True, broken)
    meter.submit(1, {"": lambda: np.zeros((2, 28, 28))})
    end = time.monotonic() + 5
    while not meter.failed and time.monotonic() < end:
        meter.take()
        time.sleep(0.01)
    assert meter.take_failure() == "digit_classifier.safetensors: missing" and meter.take_failure() == ""
    assert not meter.submit(2, {"": lambda: np.zeros((2, 28, 28))})  # off for the rest of the run


def test_weight_average_follows_slowly_and_copies_buffers():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
    avg = WeightAverage(net)
    start = [p.clone() for p in avg.module.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
        net[1].running_mean.fill_(7.0)
    avg.update(net, decay=0.999, step=10_000)
    moved = [float((a - s).mean()) for a, s in zip(avg.module.parameters(), start)]
    assert all(m == pytest.approx(0.001, rel=1e-3) for m in moved)  # 1 − decay of the way
    assert torch.equal(avg.module[1].running_mean, net[1].running_mean)
    avg.update(net, decay=0.999, step=0)  # early on the average follows quickly: (1 + 0) / (10 + 0) = 0.1
    moved = [float((a - s).mean()) for a, s in zip(avg.module.parameters(), start)]
    assert all(m == pytest.approx(0.001 + 0.999 * 0.9, rel=1e-3) for m in moved)
    assert all(not p.requires_grad for p in avg.module.parameters())


def test_a_gan_run_records_both_scores_at_the_steps_they_measured(tmp_path, tiny_gan_config, tiny_settings,
                                                                monkeypatch):
    """Through the runner into the session file, with the shipped classifier: G's and its average's
    Fréchet distance and classes covered, at multiples of `quality_every` (this tiny GAN trains faster than
    it is scored, so the meter skips points while two wait)."""
    import dataclasses

    from studio.control import Control
    from studio.runs import make_runner, new_run
    from studio.session.reader import SessionReader

    monkeypatch.setattr("studio.runner.SCORE_WAIT_S", 60.0)  # a loaded test machine: wait for the scores
    config = dataclasses.replace(tiny_gan_config, quality_every=10)
    prepared = new_run("gan", config, tiny_settings, tmp_path / "q.h5")
    assert make_runner(prepared, Control(), max_steps=30, preview_seconds=None).run() == "finished"
    with SessionReader(tmp_path / "q.h5") as r:
        for key in ("fd", "fd_ema", "coverage", "coverage_ema"):
            steps, values = r.series(key)
            assert steps.tolist()[:2] == [10, 20] and set(steps.tolist()) <= {10, 20, 30}, key
            assert np.isfinite(values).all()
        assert (r.series("fd")[1] > 0).all() and set(r.series("coverage")[1]) <= set(range(11))
        assert r.series_label("fd_ema") == "FD: average of G"
