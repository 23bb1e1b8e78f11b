"""A generator's sample quality scored while it trains, off the training thread.

The training thread only copies the network (a few milliseconds) and hands over a sampler; one background
thread draws the fixed batch from that copy, runs the shipped classifier and computes the Fréchet distance
and class coverage. Results come back at the step whose weights were scored, a few steps later, and the
runner records them at that step (Trainer.take_scores)."""
import math
import threading
import time
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from studio.errors import StudioError

MAX_WAITING = 2  # jobs not yet scored; a slower scorer skips a point rather than fall ever further behind
# Scoring (~0.9 s of one core per 1,000 samples here) runs beside training's threads and slows it: a point
# is skipped while the scorer's last job took more than this share of the time since it began.
MAX_SHARE = 0.1


class QualityMeter:
    def __init__(self, reference_images: np.ndarray, digit_classes: bool, make_scorer=None, *,
                 max_share: float = MAX_SHARE, clock=time.monotonic):
        """`reference_images`: uint8 (N, 28, 28), the run's training data; `digit_classes`: whether its
        classes are the shipped classifier's (MNIST digits); `make_scorer(reference, digit_classes)`: the
        scorer (studio.quality.score.QualityScorer unless a test passes another)."""
        self._reference, self.digit_classes = reference_images, digit_classes
        self._make_scorer = make_scorer
        self._scorer = None  # built on the scoring thread: the reference features take a second
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[tuple[int, Future]] = []
        self._lock = threading.Lock()
        self.failed = ""  # why scoring stopped, else ""
        self._unsaid = ""  # the same, until take_failure() has passed it on
        self.max_share, self._clock = max_share, clock
        self._last_job = None  # (began, seconds) of the newest finished job: the next may begin after a rest

    def submit(self, step: int, samplers: dict[str, Callable[[], np.ndarray]]) -> bool:
        """Score `samplers` ({series suffix: () -> images in [0, 1] or uint8}) as of `step`, on the
        scoring thread. False when skipped (the scorer is behind, or failed)."""
        if self.failed or sum(not f.done() for _, f in self._jobs) >= MAX_WAITING:
            return False
        if self._last_job is not None:
            began, seconds = self._last_job
            if self._clock() - began < seconds / self.max_share:
                return False
        if self._pool is None:
            # One torch thread: the training thread's own threads are the ones the machine's cores are for.
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="quality-score", initializer=_one_torch_thread)
        self._jobs.append((step, self._pool.submit(self._score, samplers)))
        return True

    def _score(self, samplers) -> dict[str, float]:
        with self._lock:
            if self._scorer is None:
                if self._make_scorer is None:
                    from studio.quality.score import QualityScorer as make
                else:
                    make = self._make_scorer
                self._scorer = make(self._reference, self.digit_classes)
            scorer = self._scorer
        began = self._clock()  # after the reference's features, computed once
        out = {}
        for suffix, sample in samplers.items():
            q = scorer.score(sample())
            out[f"fd{suffix}"] = q.fd
            out[f"coverage{suffix}"] = q.coverage * len(q.shares)  # in classes: "10 of 10" reads better than 1.0
        self._last_job = (began, self._clock() - began)
        return out

    def take(self, wait: float = 0.0) -> list[tuple[int, dict[str, float]]]:
        """Scores finished since the last call, in step order (a later job never overtakes an earlier one);
        `wait`: seconds to wait for those still being scored (at the end of a run). A score that is not
        finite is left out: a degenerate batch says nothing, and the runner halts on non-finite points."""
        if wait > 0 and self._jobs:
            futures.wait([job for _, job in self._jobs], timeout=wait)
        done = []
        while self._jobs and self._jobs[0][1].done():
            step, job = self._jobs.pop(0)
            try:
                scores = job.result()
            except (StudioError, OSError, RuntimeError, ValueError) as exc:
                self.failed = self._unsaid = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._jobs.clear()
                break
            done.append((step, {k: v for k, v in scores.items() if math.isfinite(v)}))
        return done

    def take_failure(self) -> str:
        """Why scoring stopped, once (for the event log); "" otherwise."""
        said, self._unsaid = self._unsaid, ""
        return said

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._jobs.clear()


def _one_torch_thread() -> None:
    import torch  # the setting is the calling thread's own (OpenMP): training keeps its count
    torch.set_num_threads(1)
