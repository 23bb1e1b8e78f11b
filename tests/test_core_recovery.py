"""Crash recovery at launch (studio/session/recovery.py): a session whose `main.py train` was killed with
kill -9 is found, with how much it saved; one closed cleanly, one whose writer still runs, and old ones
are not; a damaged or hanging file costs its own row, never the scan."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import h5py
import pytest

from studio.control import Control
from studio.run_settings import RunSettings
from studio.runs import make_runner, new_run
from studio.session import recovery
from studio.session.reader import SessionReader

from conftest import REPO
from helpers_core import hanging_child, wait_until

TINY = ["--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8", "--threads", "1",
        "--quality-every", "0"]


def _reads(path, check) -> bool:
    """check(reader) on the session a child is writing; False while the file is still being made."""
    try:
        with SessionReader(path) as r:
            return check(r)
    except Exception:  # noqa: BLE001 - the file is still being made
        return False


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A GAN trained by `main.py train` in a child process, killed with kill -9 after its first checkpoint.
    While it still ran, the folder was scanned once: (folder, path, what that scan found)."""
    folder = tmp_path_factory.mktemp("sessions")
    path = folder / "killed.h5"
    proc = subprocess.Popen([sys.executable, "main.py", "train", "gan", "--steps", "1000000", "--out", str(path),
                             "--checkpoint-seconds", "1", *TINY], cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: proc.poll() is not None or _reads(path, lambda r: len(r.checkpoint_steps()) > 0), 90,
                   "the first checkpoint", poll=0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        while_live = recovery.scan(folder)
    finally:
        proc.send_signal(signal.SIGKILL)  # kill -9 (a no-op if it has ended)
        proc.wait()
    return folder, path, while_live


def test_a_killed_run_is_found_with_what_it_saved(killed):
    folder, path, _ = killed
    with pytest.raises(OSError, match="already open for write"):  # HDF5's own verdict on the file
        h5py.File(path, "r", locking=False).close()
    [found] = recovery.scan(folder)
    with SessionReader(path) as r:
        assert (found.kind, found.title, found.steps) == ("gan", r.title, r.last_step())
        assert found.checkpoint_step == r.checkpoint_steps()[-1] and found.checkpoint_step <= found.steps
    assert found.path == str(path) and found.error == "" and found.host == ""
    st = path.stat()
    assert (found.size, found.mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert found.checkpoint_time <= found.saved_at + 1


def test_a_live_writer_is_not_a_crash(killed):
    assert killed[2] == []  # scanned while `main.py train` was writing the file
    # The same for a writer this process knows is alive (itself): a run the window started meanwhile.
    assert recovery.writer_alive(os.getpid(), socket.gethostname(), time.time())
    assert not recovery.writer_alive(os.getpid(), "another-computer", time.time())


def test_a_process_that_got_the_writers_id_later_is_not_the_writer():
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not recovery.writer_alive(sleeper.pid, socket.gethostname(), saved_at=time.time() - 3600)
        assert recovery.writer_alive(sleeper.pid, socket.gethostname(), saved_at=time.time())
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not recovery.writer_alive(sleeper.pid, socket.gethostname(), time.time())  # gone


def test_a_cleanly_finished_session_and_old_ones_are_not_listed(killed, tmp_path, tiny_gan_config):
    clean = tmp_path / "clean.h5"
    make_runner(new_run("gan", tiny_gan_config, RunSettings(seed=0, device="cpu"), clean), Control(),
                max_steps=3, preview_seconds=None).run()
    assert not recovery.left_open(clean) and recovery.left_open(killed[1])
    old = tmp_path / "old.h5"
    shutil.copyfile(killed[1], old)
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    assert recovery.scan(tmp_path) == []


def test_hundreds_of_sessions_are_judged_without_hdf5(killed, tmp_path):
    """200 closed sessions beside the crashed one: only the crashed one is read with HDF5 (in a child)."""
    clean = tmp_path / "clean-0.h5"
    shutil.copyfile(killed[1], clean)
    with open(clean, "r+b") as fh:  # as a writer's clean close leaves it (the superblock's checksum is
        fh.seek(11)                  # not HDF5's concern here: only the flag byte is read)
        fh.write(b"\x00")
    for i in range(1, 200):
        os.link(clean, tmp_path / f"clean-{i}.h5")
    shutil.copyfile(killed[1], tmp_path / "crashed.h5")
    t0 = time.monotonic()
    found = recovery.candidates(tmp_path)
    assert time.monotonic() - t0 < 1.0
    assert [p.name for p, _ in found] == ["crashed.h5"]


def test_a_run_killed_before_its_first_checkpoint_is_offered_from_step_0(tmp_path):
    """Its weights and RNG at step 0 come back from the seed (studio/runs.py), so Resume is offered."""
    path = tmp_path / "early.h5"
    proc = subprocess.Popen([sys.executable, "main.py", "train", "gan", "--steps", "1000000", "--out", str(path),
                             "--checkpoint-seconds", "3600", *TINY], cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: proc.poll() is not None or _reads(path, lambda r: r.last_step() > 0), 90,
                   "the first metric flush", poll=0.05)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    [found] = recovery.scan(tmp_path)
    assert found.error == "" and found.steps > 0 and found.checkpoint_step == 0 and found.checkpoint_time is None


def test_a_damaged_file_is_listed_with_why(killed, tmp_path):
    cut = tmp_path / "cut.h5"
    cut.write_bytes(killed[1].read_bytes()[:4096])  # the superblock (flag set) and hardly more
    long_ago = time.time() - 60
    os.utime(cut, (long_ago, long_ago))  # not a run that is creating its file right now
    [found] = recovery.scan(tmp_path)
    assert found.path == str(cut) and "cut short" in found.error and found.checkpoint_step is None


def test_a_file_that_hangs_does_not_hang_the_scan(killed, tmp_path, monkeypatch):
    monkeypatch.setattr(recovery, "CHILD_ARGS", hanging_child("studio.session.recovery", "read_left_open"))
    for name in ("a.h5", "hangs.h5", "z.h5"):
        shutil.copyfile(killed[1], tmp_path / name)
    t0 = time.monotonic()
    found = {os.path.basename(c.path): c for c in recovery.scan(tmp_path, per_file_s=1.0)}
    assert time.monotonic() - t0 < 10
    assert set(found) == {"a.h5", "hangs.h5", "z.h5"}
    assert "took too long" in found["hangs.h5"].error
    assert found["a.h5"].error == found["z.h5"].error == "" and found["z.h5"].steps == found["a.h5"].steps > 0
