"""A read-only session file or folder: viewing works; creating or continuing a session there is refused
with a clear message (the window then asks for another place). Root may write anywhere, so when the tests
run as root the commands run without root's power to override file permissions (setpriv)."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from studio.control import Control
from studio.run_settings import RunSettings
from studio.runs import make_runner, new_run

from conftest import REPO

TINY = ["--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8", "--threads", "1"]


# Root without these capabilities is bound by the mode bits like anyone else.
AS_ORDINARY = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner",
               "--inh-caps", "-dac_override,-dac_read_search,-fowner", "--"]


def _prefix() -> list[str]:
    return AS_ORDINARY if os.getuid() == 0 else []


@pytest.fixture(scope="module")
def place():
    """A folder and a session in it that the child processes can read but not write."""
    if os.getuid() == 0:
        try:
            subprocess.run([*AS_ORDINARY, sys.executable, "-c", "pass"], check=True, timeout=60)
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"running as root, and setpriv cannot drop root's override of file modes: {exc}")
    folder = Path(tempfile.mkdtemp(prefix="studio-readonly-"))
    path = folder / "saved.h5"
    from studio.trainers.gan_config import GANConfig
    make_runner(new_run("gan", GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8),
                        RunSettings(seed=0, device="cpu", snapshot_every=5), path), Control(), max_steps=10,
                preview_seconds=None).run()
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)  # it may be entered and read, nothing created in it
    yield folder, path
    os.chmod(folder, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


def _as_reader(args, home) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home), TRAINING_STUDIO_SESSIONS=str(home), OMP_NUM_THREADS="1")
    return subprocess.run([*_prefix(), sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def home():
    home = Path(tempfile.mkdtemp(prefix="studio-home-"))
    os.chmod(home, 0o777)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_a_read_only_session_can_be_viewed_and_exported_elsewhere(place, home):
    folder, path = place
    before = path.read_bytes()
    info = _as_reader(["main.py", "info", str(path)], home)
    assert info.returncode == 0 and "last step 10" in info.stdout, info.stderr
    code = ("import sys\nfrom studio.session.probe import check_session\n"
            "from studio.session.paths import can_write_file, folder_is_writable\n"
            "print(check_session(sys.argv[1])['last_step'], can_write_file(sys.argv[1]), "
            "folder_is_writable(sys.argv[2]))\n")
    checked = _as_reader(["-c", code, str(path), str(folder)], home)
    assert checked.stdout.split() == ["10", "False", "False"], checked.stderr
    out = home / "m.csv"
    assert _as_reader(["main.py", "export", str(path), "--metrics", str(out)], home).returncode == 0
    assert out.exists() and path.read_bytes() == before


def test_continuing_a_read_only_session_is_refused_clearly(place, home):
    _, path = place
    before = path.read_bytes()
    result = _as_reader(["main.py", "train", "--resume", str(path), "--steps", "2"], home)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and last.startswith("error:") and "Traceback" not in result.stderr
    assert "cannot open the session for writing" in last and "ermission denied" in last, last
    assert path.read_bytes() == before


def test_creating_a_session_in_a_read_only_folder_is_refused_clearly(place, home):
    folder, _ = place
    result = _as_reader(["main.py", "train", "gan", "--steps", "2", "--out", str(folder / "new.h5"), *TINY], home)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and "cannot create the session file" in last and "ermission denied" in last, last
    assert not (folder / "new.h5").exists()
