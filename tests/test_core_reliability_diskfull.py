"""A disk that fills up during a run, made real with a file-size limit on the training process
(RLIMIT_FSIZE: writes beyond it fail as on a full disk): training stops with one clear line, and what
was written before stays readable and resumable."""
import os
import resource
import signal
import subprocess
import sys

import numpy as np

from studio.control import Control
from studio.runs import make_runner, resume_run
from studio.session.reader import SessionReader

from conftest import REPO

LIMIT = 8_000_000  # bytes the session file may reach; a snapshot every step fills it in a few seconds
ARGS = ["train", "gan", "--steps", "1000000", "--checkpoint-seconds", "1", "--snapshot-every", "1", "--z-dim", "8",
        "--g-width", "4", "--d-width", "4", "--batch-size", "8", "--threads", "1"]


def _train_limited(path, margin=None) -> subprocess.CompletedProcess:
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    hooks = [] if margin is None else [f"--test-space-margin={margin}"]  # WriterHooks, through the CLI
    return subprocess.run([sys.executable, "main.py", *ARGS, "--out", str(path), *hooks], cwd=REPO, env=env,
                          preexec_fn=limit, capture_output=True, text=True, timeout=300)


def _readable_and_whole(path) -> int:
    with SessionReader(path) as r:
        for key in r.series_keys():
            steps, values = r.series(key)
            assert np.array_equal(steps, np.arange(1, len(steps) + 1)) and np.isfinite(values).all()
        assert len(r.snapshot_steps("samples")) > 10
        found = r.latest_checkpoint()
        assert found is not None
        return found[0]


def test_training_stops_before_the_disk_is_full_and_keeps_everything(tmp_path):
    path = tmp_path / "full.h5"
    result = _train_limited(path)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and last.startswith("error:") and "disk is almost full" in last, result.stderr
    assert "Traceback" not in result.stderr
    assert path.stat().st_size <= LIMIT
    step = _readable_and_whole(path)
    with SessionReader(path) as r:
        assert step == r.last_step()  # a last checkpoint at the very step it stopped: room was kept for it
    # With room again (this process has no limit), the session goes on from its last checkpoint.
    prepared = resume_run(path, "cpu")
    assert prepared.trainer.step == step
    make_runner(prepared, Control(), max_steps=step + 2, preview_seconds=None).run()
    with SessionReader(path) as r:
        assert r.last_step() == step + 2


def test_a_write_that_fails_anyway_is_one_clear_line_not_a_crash(tmp_path):
    """With the writer's own check switched off, HDF5's write itself fails (as when another program
    takes the last space): still a message, an ordinary exit, and a readable file."""
    path = tmp_path / "failed.h5"
    result = _train_limited(path, margin=-10**12)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2, result.stderr[-2000:]      # not killed by a signal (-11) at exit
    assert last.startswith("error:") and "could not save" in last and "File too large" in last, last
    assert "Traceback" not in result.stderr, result.stderr[-3000:]  # h5py's destructors repeat it otherwise
    _readable_and_whole(path)
