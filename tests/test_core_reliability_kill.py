"""kill -9 of a headless training process at 10 random moments, some of them in the middle of a checkpoint
write: every time the file opens, holds every metric point the writer had flushed, and the next process
resumes from the last whole checkpoint. One session is killed, resumed, killed again … 10 times. (What a
kill costs at the default cadence, at 20 moments and for every model: test_core_reliability_kill_cadence.py.)"""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from studio.control import Control
from studio.runs import make_runner, resume_run
from studio.session.reader import SessionReader

from conftest import REPO

ROUNDS, SEED = 10, 99
MID_CHECKPOINT = {2, 5, 7, 9}   # rounds killed while a checkpoint is being written
TINY = ["--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8", "--threads", "1",
        "--quality-every", "0"]  # sparse quality points are not what this test counts


def _flushed(log) -> int:
    lines = log.read_text().split() if log.exists() else []
    return int(lines[-1]) if lines else 0


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_kill_9_at_10_moments_loses_nothing_flushed_and_resumes(tmp_path):
    rng = random.Random(SEED)
    path = tmp_path / "killed.h5"
    marker = path.with_name(path.name + ".writing-checkpoint")
    log = tmp_path / "flushed.log"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    hooks = ["--test-flush-log", str(log), "--test-checkpoint-pause", "0.3"]  # WriterHooks, through the CLI
    mid_checkpoint_kills = 0
    for round_ in range(ROUNDS):
        if round_ == 0:
            args = ["train", "gan", "--steps", "1000000", "--out", str(path), "--checkpoint-seconds", "1", *TINY,
                    *hooks]
        else:
            args = ["train", "--resume", str(path), "--steps", "1000000", *hooks]
        log.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "main.py", *args], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait(lambda: _flushed(log) > 0 or proc.poll() is not None, 90, "the first flush")
            assert proc.poll() is None, proc.stderr.read().decode()
            if round_ in MID_CHECKPOINT:
                _wait(marker.exists, 30, "a checkpoint write")
                time.sleep(rng.uniform(0.0, 0.2))
                mid_checkpoint_kills += marker.exists()
            else:
                time.sleep(rng.uniform(0.0, 2.5))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        flushed = _flushed(log)
        with SessionReader(path) as r:
            for key in r.series_keys():
                steps, values = r.series(key)
                assert np.array_equal(steps, np.arange(1, len(steps) + 1)), f"round {round_}: {key} has gaps"
                assert len(steps) >= flushed, f"round {round_}: {key} lost points {len(steps) + 1}–{flushed}"
            found = r.latest_checkpoint()
            assert found is not None, f"round {round_}: no whole checkpoint"
    assert mid_checkpoint_kills >= 2, "too few kills landed inside a checkpoint write"
    # A last, clean resume: it starts at the newest whole checkpoint and nothing is ever counted twice.
    with SessionReader(path) as r:
        step = r.latest_checkpoint()[0]
    prepared = resume_run(path, "cpu")
    assert prepared.trainer.step == step
    make_runner(prepared, Control(), max_steps=step + 3, preview_seconds=None).run()
    with SessionReader(path) as r:
        for key in r.series_keys():
            steps, values = r.series(key)
            assert np.array_equal(steps, np.arange(1, step + 4)) and np.isfinite(values).all()
        assert r.latest_checkpoint()[0] == step + 3
        ckpts = r.checkpoint_steps()
        assert ckpts == sorted(ckpts)


def test_a_session_still_being_written_is_not_taken_over(tmp_path):
    """HDF5 marks a file open for writing both while its writer runs and after it was killed; only a dead
    writer's file may be repaired and continued."""
    from studio.errors import SessionError
    path = tmp_path / "live.h5"
    log = tmp_path / "flushed.log"
    proc = subprocess.Popen([sys.executable, "main.py", "train", "gan", "--steps", "1000000", "--out", str(path),
                             "--checkpoint-seconds", "1", *TINY, "--test-flush-log", str(log)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def has_checkpoint():
        with SessionReader(path) as r:
            return r.latest_checkpoint() is not None
    try:
        _wait(lambda: _flushed(log) > 0, 90, "the first flush")
        _wait(has_checkpoint, 30, "a checkpoint")
        with pytest.raises(SessionError, match=f"still being written by another program \\(process {proc.pid}\\)"):
            resume_run(path, "cpu")
        assert proc.poll() is None                   # the writer was not disturbed
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    prepared = resume_run(path, "cpu")               # its writer is gone: now it is repaired and continued
    make_runner(prepared, Control(), max_steps=prepared.trainer.step + 1, preview_seconds=None).run()
