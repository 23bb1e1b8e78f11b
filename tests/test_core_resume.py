"""Exact resume: N steps, then M more from the checkpoint, equals N+M steps in one go (CPU, fixed seed)."""
import dataclasses

import h5py
import numpy as np
import pytest
import torch

from studio.control import Control
from studio.runs import make_runner, new_run, resume_run
from studio.session import layout as L
from studio.session.checkpoint import unpack
from studio.session.reader import SessionReader

from helpers_core import module_tensors

SERIES = ("loss_d", "loss_g", "d_real", "d_fake")
N, M = 5, 7   # N = 5 is a snapshot step (1, 2, 5, 10…), the case where a resume could repeat a snapshot


def run_to(prepared, last_step):
    runner = make_runner(prepared, Control(), max_steps=last_step, preview_seconds=None)
    assert runner.run() == "finished"
    return prepared.trainer


def read(path):
    with SessionReader(path) as r:
        series = {k: r.series(k) for k in r.series_keys()}
        snaps = r.snapshot_steps("samples").tolist()
        images = [r.snapshot("samples", i) for i in range(len(snaps))]
        step, blob = r.latest_checkpoint()
    return series, snaps, images, step, module_tensors(unpack(blob))


@pytest.fixture
def one_go(tmp_path, tiny_gan_config, tiny_settings):
    path = tmp_path / "one-go.h5"
    run_to(new_run("gan", tiny_gan_config, tiny_settings, path), N + M)
    return read(path)


def assert_same_run(resumed, reference):
    series, snaps, images, step, weights = resumed
    ref_series, ref_snaps, ref_images, ref_step, ref_weights = reference
    assert step == ref_step == N + M
    assert sorted(series) == sorted(ref_series) and set(SERIES) <= set(series)  # (+ the quality score's, empty)
    for key in SERIES:
        steps, values = series[key]
        assert steps.tolist() == list(range(1, N + M + 1)), f"{key}: steps {steps.tolist()}"
        assert len(np.unique(steps)) == len(steps)
        np.testing.assert_allclose(values, ref_series[key][1], rtol=1e-6, atol=1e-7, err_msg=key)
    assert snaps == ref_snaps == [0, 1, 2, 5, 10, N + M]  # and the last step trained
    for a, b in zip(images, ref_images):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    for k in ref_weights:
        torch.testing.assert_close(weights[k], ref_weights[k], rtol=1e-6, atol=1e-7)


def test_resume_continues_exactly(tmp_path, one_go, tiny_gan_config, tiny_settings):
    path = tmp_path / "split.h5"
    first = run_to(new_run("gan", tiny_gan_config, tiny_settings, path), N)
    assert first.step == N
    prepared = resume_run(path, "cpu")
    assert prepared.trainer.step == N and prepared.info.start_step == N
    assert prepared.info.session_path == str(path)
    run_to(prepared, N + M)
    assert_same_run(read(path), one_go)


def test_the_losses_depend_on_the_seed(tmp_path, one_go, tiny_gan_config, tiny_settings):
    """Guards the test above: a different seed gives a different run, so equality there means something."""
    path = tmp_path / "other-seed.h5"
    run_to(new_run("gan", tiny_gan_config, dataclasses.replace(tiny_settings, seed=1), path), N + M)
    series = read(path)[0]
    assert not np.allclose(series["loss_d"][1], one_go[0]["loss_d"][1], rtol=1e-3)


def test_resume_after_a_crash_drops_what_came_after_the_checkpoint(tmp_path, one_go, tiny_gan_config,
                                                                    tiny_settings):
    path = tmp_path / "crashed.h5"
    run_to(new_run("gan", tiny_gan_config, tiny_settings, path), N)
    # A writer that died after the checkpoint at N had already stored later points and a snapshot.
    with h5py.File(path, "r+") as f:
        for key in SERIES:
            ds = f[L.METRICS][key]
            rows = np.array([(N + 1, 123.0), (N + 2, 456.0)], L.METRIC_DTYPE)
            ds.resize((ds.shape[0] + 2,))
            ds[-2:] = rows
        g = f[L.IMAGES]["samples"]
        g["data"].resize(g["data"].shape[0] + 1, axis=0)
        g["step"].resize((g["step"].shape[0] + 1,))
        g["step"][-1] = N + 2
    prepared = resume_run(path, "cpu")
    assert prepared.trainer.step == N
    run_to(prepared, N + M)
    assert_same_run(read(path), one_go)


def test_two_resumes_in_a_row(tmp_path, one_go, tiny_gan_config, tiny_settings):
    path = tmp_path / "thrice.h5"
    run_to(new_run("gan", tiny_gan_config, tiny_settings, path), N)
    run_to(resume_run(path, "cpu"), N + 3)
    run_to(resume_run(path, "cpu"), N + M)
    assert_same_run(read(path), one_go)
    with SessionReader(path) as r:
        assert r.checkpoint_steps() == [N, N + 3, N + M]


def test_resume_after_kill_9(tmp_path):
    """A writer killed with SIGKILL leaves HDF5's 'open for write' mark; resume repairs the file
    and continues from its last checkpoint, with every point up to there kept."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    path = tmp_path / "killed.h5"
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "main.py", "train", "gan", "--steps", "1000000", "--out", str(path),
                             "--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8",
                             "--threads", "1", "--checkpoint-seconds", "1"], cwd=repo,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if path.exists():
                try:
                    with SessionReader(path) as r:
                        if len(r.checkpoint_steps()) >= 2:
                            break
                except Exception:
                    pass
        else:
            pytest.fail("the training process wrote no checkpoint in time")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with SessionReader(path) as r:
        ckpt_step = r.latest_checkpoint()[0]
    prepared = resume_run(path, "cpu")
    assert prepared.trainer.step == ckpt_step
    run_to(prepared, ckpt_step + 3)
    with SessionReader(path) as r:
        for key in SERIES:
            steps, values = r.series(key)
            assert steps.tolist() == list(range(1, ckpt_step + 4))
            assert np.isfinite(values).all()
        assert r.latest_checkpoint()[0] == ckpt_step + 3
