"""The headless CLI, run as a user runs it: `python main.py train|sample|info …` in a subprocess."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.runs import load_trainer
from studio.session.reader import SessionReader

REPO = Path(__file__).resolve().parent.parent
TINY = ["--z-dim", "8", "--g-width", "8", "--d-width", "8", "--batch-size", "8"]
SERIES = ("loss_d", "loss_g", "d_real", "d_fake")
TIMEOUT = 240


def cli_env(sessions: Path) -> dict:
    env = dict(os.environ, TRAINING_STUDIO_SESSIONS=str(sessions), OMP_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    return env


def start(args, sessions: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "main.py", *map(str, args)], cwd=REPO, env=cli_env(sessions),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def cli(args, sessions: Path) -> subprocess.CompletedProcess:
    return finish(start(args, sessions))


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}:\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    return result


# --- the happy path: train, info, sample, resume --------------------------------------------

@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """Train 5 steps, then (in parallel) info, sample and a refused two-stage sample, then resume for 3 more
    steps."""
    base = tmp_path_factory.mktemp("cli")
    sessions = base / "sessions"
    sessions.mkdir()
    f, x = base / "F.h5", base / "X.npy"
    r = {"train": cli(["train", "gan", "--steps", 5, "--seed", 0, "--out", f, *TINY], sessions)}
    if r["train"].returncode == 0:
        procs = {"info": start(["info", f], sessions), "sample": start(["sample", f, "--n", 10, "--out", x], sessions),
                 "stages": start(["sample", f, "--n", 4, "--stages", 2, "--out", f.with_name("s.npy")], sessions)}
        r["expected_samples"] = load_trainer(f, "cpu")[0].generate(10, 0)  # while the children run
        r.update({name: finish(proc) for name, proc in procs.items()})
        r["resume"] = cli(["train", "--resume", f, "--steps", 3], sessions)
    r.update(f=f, x=x, sessions=sessions)
    return r


def test_train_creates_the_session(flow):
    ok(flow["train"])
    assert flow["f"].is_file()
    assert list(flow["sessions"].iterdir()) == []            # --out was used, not the default folder
    assert f"session: {flow['f']}" in flow["train"].stderr


def test_info_prints_the_steps(flow):
    out = ok(flow["info"]).stdout
    assert str(flow["f"]) in out
    assert re.search(r"last step 5\b", out)
    rows = re.findall(r"(\d+) points, steps (\d+)\D(\d+)", out)
    assert rows == [("5", "1", "5")] * 4, out
    assert re.search(r"latest usable at step 5\b", out)
    assert "z_dim=8" in out and "g_width=8" in out and "seed=0" in out


def test_sample_writes_float32_images_in_0_1(flow):
    ok(flow["sample"])
    x = np.load(flow["x"])
    assert x.dtype == np.float32 and x.shape == (10, 28, 28)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert x.std() > 0 and not np.allclose(x[0], x[1])       # ten different samples
    np.testing.assert_allclose(x, flow["expected_samples"], atol=1e-5)   # from the step-5 checkpoint


def test_resume_reaches_step_8(flow):
    ok(flow["resume"])
    with SessionReader(flow["f"]) as r:
        assert r.last_step() == 8
        for key in SERIES:
            assert r.series(key)[0].tolist() == list(range(1, 9))
        assert r.checkpoint_steps() == [5, 8]
        assert r.latest_checkpoint()[0] == 8
        assert r.settings["seed"] == 0 and r.config["z_dim"] == 8


# --- bad inputs: one line on stderr, no traceback, non-zero exit ----------------------------

ERRORS = {
    # id: (arguments, a fragment the one-line message must contain)
    "unknown-flag": (["train", "gan", "--steps", 1, "--bogus", 3], "--bogus"),
    "lr-out-of-range": (["train", "gan", "--steps", 1, "--lr-g", 5], "G learning rate"),
    "unknown-loss": (["train", "gan", "--steps", 1, "--loss", "foo"], "loss"),
    "info-missing": (["info", "{tmp}/absent.h5"], "absent.h5"),
    "sample-missing": (["sample", "{tmp}/absent.h5", "--n", 4, "--out", "{tmp}/never.npy"], "absent.h5"),
    "resume-missing": (["train", "--resume", "{tmp}/absent.h5", "--steps", 3], "absent.h5"),
    "out-exists": (["train", "gan", "--steps", 1, "--out", "{tmp}/taken.h5", *TINY], "taken.h5"),
    "info-corrupt": (["info", "{tmp}/corrupt.h5"], "corrupt.h5"),
}


@pytest.fixture(scope="module")
def errors(tmp_path_factory):
    """Every bad command, run side by side (each pays torch's import time)."""
    tmp = tmp_path_factory.mktemp("cli-errors")
    sessions = tmp / "sessions"
    sessions.mkdir()
    (tmp / "taken.h5").write_bytes(b"precious, do not overwrite")
    (tmp / "corrupt.h5").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    procs = {name: start([str(a).format(tmp=tmp) for a in args], sessions) for name, (args, _) in ERRORS.items()}
    results = {name: finish(p) for name, p in procs.items()}
    return tmp, sessions, results


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_input_is_one_clear_line(errors, name):
    _, _, results = errors
    result = results[name]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert "internal error" not in lines[0]                    # an expected failure, not a crash
    assert ERRORS[name][1] in lines[0], lines[0]


def test_bad_input_leaves_no_files_behind(errors):
    tmp, sessions, _ = errors
    assert list(sessions.iterdir()) == []
    assert not (tmp / "never.npy").exists() and not (tmp / "absent.h5").exists()
    assert (tmp / "taken.h5").read_bytes() == b"precious, do not overwrite"


def test_the_cli_names_the_models_as_the_registry_does():
    """The CLI parses and checks with studio/trainers/kinds.py (no torch); the trainers it then builds are
    the registry's: same names in the same order, same config classes and presets."""
    from studio.trainers.kinds import KINDS, kind_of
    from studio.trainers.registry import TRAINERS
    assert KINDS == tuple(TRAINERS)
    for name, cls in TRAINERS.items():
        assert kind_of(name) == (cls.config_cls, cls.presets, cls.default_preset), name


def test_no_command_prints_usage(capsys):
    from studio.cli import main
    assert main(["bogus"]) == 2
    assert capsys.readouterr().err.startswith("usage:")


def test_stages_are_refused_for_a_one_stage_model(flow):
    result = flow["stages"]
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "two-stage" in result.stderr.strip().splitlines()[-1]
    assert not flow["f"].with_name("s.npy").exists()


def test_two_stage_vae_samples_through_one_or_both_stages(tmp_path):
    f = tmp_path / "V.h5"
    ok(cli(["train", "vae", "--preset", "Two-stage VAE", "--steps", 6, "--stage2-start", 3, "--latent-dim", 4,
            "--width", 4, "--batch-size", 16, "--holdout", 50, "--out", f], tmp_path))
    one, two, auto = tmp_path / "1.npy", tmp_path / "2.npy", tmp_path / "a.npy"
    # The three samplings and info only read the file: side by side, as a user may run them.
    procs = [start(["sample", f, "--n", 8, "--out", out, *stages], tmp_path)
             for stages, out in ((["--stages", 1], one), (["--stages", 2], two), ([], auto))]
    procs.append(start(["info", f], tmp_path))
    *_, info = [ok(finish(proc)) for proc in procs]
    assert np.array_equal(np.load(auto), np.load(two))  # past the second stage's start, both by default
    assert not np.array_equal(np.load(one), np.load(two))
    info = info.stdout
    assert "points latent" in info and "second stage −ELBO (train)" in info
