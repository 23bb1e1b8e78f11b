"""Following a session that another process (the headless CLI) is writing: every poll brings only the
new points and snapshots, and together they are exactly what the file holds at the end."""
import subprocess
import sys
import time

import numpy as np

from studio.errors import SessionError
from studio.session.follow import Follower
from studio.session.reader import SessionReader

from conftest import REPO

# Several seconds of training (~300 tiny steps/s): the writer flushes every FLUSH_SECONDS, so the points
# reach a reader in a few batches.
STEPS = "2000"


def _open_when_ready(path, proc, timeout=60.0) -> SessionReader:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                return SessionReader(path)
            except SessionError:
                pass  # created but not complete yet
        assert proc.poll() is None, "the training process ended before its file could be read"
        time.sleep(0.05)
    raise AssertionError("the session file did not appear")


def test_polls_bring_exactly_what_the_writer_adds(tmp_path):
    path = tmp_path / "live.h5"
    proc = subprocess.Popen([sys.executable, "main.py", "train", "gan", "--steps", STEPS, "--out", str(path),
                             "--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8",
                             "--threads", "1", "--snapshot-every", "25"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        reader = _open_when_ready(path, proc)
        with reader:
            seen = {k: list(reader.series(k)[0]) for k in reader.series_keys()}
            shots = {k: list(reader.snapshot_steps(k)) for k in reader.panel_keys()}
            follower = Follower(reader)
            growing_polls = 0
            while True:
                running = proc.poll() is None
                update = follower.poll()
                assert not update.rewound
                if update.metrics.points and running:
                    growing_polls += 1
                for key, (steps, _) in update.metrics.points.items():
                    seen[key] += steps.tolist()
                for key, steps in update.snapshots.items():
                    shots[key] += steps.tolist()
                if not running:
                    break
                time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, proc.stderr.read().decode()
    with SessionReader(path) as r:
        for key in r.series_keys():
            steps, values = r.series(key)
            assert seen[key] == steps.tolist(), key               # nothing missed, nothing twice
        assert {k: r.snapshot_steps(k).tolist() for k in r.panel_keys()} == shots
        assert r.last_step() == int(STEPS)
    assert growing_polls >= 2, "the points all arrived at once: the file was not followed while it grew"


def test_a_poll_reports_a_file_cut_back_by_a_resume(tmp_path, tiny_gan_config, tiny_settings):
    """A writer that goes back to a checkpoint shortens the datasets: the follower says so."""
    from studio.control import Control
    from studio.runs import make_runner, new_run
    path = tmp_path / "cut.h5"
    make_runner(new_run("gan", tiny_gan_config, tiny_settings, path), Control(), max_steps=20,
                preview_seconds=None).run()
    with SessionReader(path) as reader:
        follower = Follower(reader)
        assert not follower.poll()                         # nothing new
        code = ("import h5py, sys, numpy as np\nfrom studio.session import layout as L\n"
                "with h5py.File(sys.argv[1], 'r+', locking=False) as f:\n"
                "    ds = f[L.EVENTS]; ds.resize((ds.shape[0] + 1,))\n"
                "    ds[-1] = np.array((20, 0.0, b'config', b'changed lr_g'), L.EVENT_DTYPE)\n")
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60, cwd=REPO)
        assert follower.poll().events == [(20, "config", "changed lr_g")]
        # Another process cuts it, as SessionWriter.reopen does to the rows after a checkpoint.
        code = "import h5py, sys\nwith h5py.File(sys.argv[1], 'r+', locking=False) as f:\n" \
               "    f['metrics/loss_d'].resize((10,))\n"
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
        update = follower.poll()
        assert update.rewound and update
    with SessionReader(path) as reader:
        assert np.array_equal(np.arange(1, 11), reader.series("loss_d")[0])
