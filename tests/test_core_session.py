"""The session file: what a run writes is what SessionReader reads; damage is detected, not trusted."""
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from studio import config as cfg
from studio.control import Control
from studio.errors import SessionError
from studio.runs import load_trainer, make_runner, new_run, resume_run
from studio.session import layout as L
from studio.session.checkpoint import unpack
from studio.session.reader import SessionReader
from studio.session.writer import SessionWriter

from helpers_core import BlobSink, RunThread, module_tensors, wait_until

REPO = Path(__file__).resolve().parent.parent
SERIES = ("loss_d", "loss_g", "d_real", "d_fake")


def train(path, config, settings, steps, control=None, sinks=()):
    prepared = new_run("gan", config, settings, path)
    assert prepared.info.session_path == str(path)
    runner = make_runner(prepared, control or Control(), list(sinks), max_steps=steps, preview_seconds=None)
    assert runner.run() == "finished"
    return prepared.trainer


def resume(path, steps, sinks=()):
    prepared = resume_run(path, "cpu")
    runner = make_runner(prepared, Control(), list(sinks), max_steps=prepared.trainer.step + steps,
                         preview_seconds=None)
    assert runner.run() == "finished"
    return prepared.trainer


@pytest.fixture(autouse=True)
def _no_run_left_behind():
    yield
    RunThread.stop_all()   # a failed test must not leave a training thread running


@pytest.fixture
def session(tmp_path, sessions_dir, tiny_gan_config, tiny_settings):
    """A finished 12-step session whose config was changed (lr_d) before its first step."""
    path = tmp_path / "run.h5"
    control = Control()
    control.set_config(dataclasses.replace(tiny_gan_config, lr_d=3e-3))   # applied before step 1
    sink = BlobSink()
    trainer = train(path, tiny_gan_config, tiny_settings, 12, control, [sink])
    return path, trainer, sink


def test_the_file_holds_what_the_run_reported(session, tiny_gan_config, tiny_settings):
    path, trainer, sink = session
    with SessionReader(path) as r:
        assert r.schema_version == L.SCHEMA_VERSION == 1
        assert r.kind == "gan" and r.title == trainer.title
        assert r.config == cfg.to_dict(tiny_gan_config)           # the config the run started with
        assert r.settings == cfg.to_dict(tiny_settings)
        assert r.series_keys() == list(SERIES)                     # in the trainer's order, not HDF5's
        for key in SERIES:
            steps, values = r.series(key)
            assert steps.tolist() == list(range(1, 13))
            assert values.tolist() == [v for _, v in sink.points[key]]   # every point, bit for bit
        assert r.series_label("loss_d") == "D loss"
        assert r.last_step() == 12
        assert r.panel_keys() == ["samples", "samples_ema"]
        assert r.snapshot_steps("samples").tolist() == [s for s, _ in sink.snapshots] == [0, 1, 2, 5, 10, 12]
        for i, (_, images) in enumerate(sink.snapshots):
            np.testing.assert_array_equal(r.snapshot("samples", i), images["samples"])
        assert r.checkpoint_steps() == [12]
        step, blob = r.latest_checkpoint()
        assert step == 12 and blob == sink.blobs[-1][1]
        state = unpack(blob)
        assert state["step"] == 12 and state["config"]["lr_d"] == 3e-3
        events = r.events()
        assert [(s, k) for s, k, _ in events] == [(0, "config"), (12, "checkpoint")]
        assert "D learning rate = 0.003" in events[0][2] and "lr_d" not in events[0][2]
        assert "last step 12" in r.summary()


def test_no_file_is_left_open_or_created_elsewhere(session, sessions_dir):
    path, _, _ = session
    assert list(sessions_dir.iterdir()) == []                 # --out was honoured
    with h5py.File(path, "r") as f:                           # the writer closed the file
        assert f.attrs["app"] == L.APP


def test_default_path_goes_to_the_sessions_folder(sessions_dir, tiny_gan_config, tiny_settings):
    prepared = new_run("gan", tiny_gan_config, tiny_settings)
    prepared.writer.close()
    (made,) = sessions_dir.iterdir()
    assert made.name.startswith("gan-") and made.suffix == ".h5"
    assert prepared.info.session_path == str(made)
    second = new_run("gan", tiny_gan_config, tiny_settings)
    second.writer.close()
    assert len(list(sessions_dir.iterdir())) == 2             # a second run never reuses the name


def test_save_false_writes_nothing(sessions_dir, tiny_gan_config, tiny_settings):
    prepared = new_run("gan", tiny_gan_config, tiny_settings, save=False)
    assert prepared.writer is None and prepared.info.session_path is None
    assert list(sessions_dir.iterdir()) == []


def test_a_live_file_can_be_read_while_it_is_written(tmp_path, tiny_gan_config, tiny_settings):
    path = tmp_path / "live.h5"
    prepared = new_run("gan", tiny_gan_config, tiny_settings, path)
    sink, control = BlobSink(), Control(paused=True)
    run = RunThread(make_runner(prepared, control, [sink], preview_seconds=None)).start()
    try:
        control.step(5)
        wait_until(lambda: prepared.trainer.step == 5 and getattr(sink.last_status(), "state", "") == "paused")
        # Another process follows the file (SWMR); the writer flushes within FLUSH_SECONDS of a point.
        code = ("import json, sys, time\n"
                "from studio.session.reader import SessionReader\n"
                "deadline = time.monotonic() + 30\n"
                "while True:\n"
                "    with SessionReader(sys.argv[1]) as r:\n"
                "        if r.last_step() == 5 or time.monotonic() > deadline:\n"
                "            print(json.dumps({k: r.series(k)[0].tolist() for k in r.series_keys()}))\n"
                "            break\n"
                "    time.sleep(0.1)\n")
        proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True,
                              text=True, timeout=90)
        assert proc.returncode == 0, proc.stderr
        seen = json.loads(proc.stdout)
        assert seen == {key: [1, 2, 3, 4, 5] for key in SERIES}
    finally:
        control.stop()
        run.join()


# --- checkpoints and damage -----------------------------------------------------------------

@pytest.fixture
def two_checkpoints(tmp_path, tiny_gan_config, tiny_settings):
    """A session trained 5 steps, then resumed for 3: checkpoints at steps 5 (slot 0) and 8 (slot 1)."""
    path = tmp_path / "two.h5"
    train(path, tiny_gan_config, tiny_settings, 5)
    resume(path, 3)
    with h5py.File(path, "r") as f:
        index = f[L.CHECKPOINTS][L.CKPT_INDEX][:]
    assert index["step"].tolist() == [5, 8] and index["slot"].tolist() == [0, 1]
    return path


def damage(path, slot, how="flip"):
    with h5py.File(path, "r+") as f:
        data = f[L.CHECKPOINTS][L.CKPT_SLOTS[slot]]
        if how == "flip":
            middle = data.shape[0] // 2
            data[middle:middle + 16] = 255 - data[middle:middle + 16]
        else:  # a torn write: the bytes stop early
            data.resize((data.shape[0] // 3,))


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_latest_checkpoint_skips_a_damaged_slot(two_checkpoints, how):
    path = two_checkpoints
    with SessionReader(path) as r:
        assert r.latest_checkpoint()[0] == 8
    damage(path, 1, how)
    with SessionReader(path) as r:
        step, blob = r.latest_checkpoint()
        assert step == 5 and unpack(blob)["step"] == 5
        assert r.checkpoint_steps() == [5, 8]                 # the index still lists both
    trainer, _, _ = load_trainer(path, "cpu")
    assert trainer.step == 5


def test_no_usable_checkpoint(two_checkpoints):
    damage(two_checkpoints, 0)
    damage(two_checkpoints, 1)
    with SessionReader(two_checkpoints) as r:
        assert r.latest_checkpoint() is None
        assert "latest usable at step none" in r.summary()
    with pytest.raises(SessionError, match="no usable checkpoint"):
        load_trainer(two_checkpoints, "cpu")
    with pytest.raises(SessionError, match="no usable checkpoint"):
        resume_run(two_checkpoints, "cpu")


def test_resume_after_a_damaged_latest_checkpoint(two_checkpoints):
    damage(two_checkpoints, 1)
    trainer = resume(two_checkpoints, 2)
    assert trainer.step == 7
    with SessionReader(two_checkpoints) as r:
        for key in SERIES:
            assert r.series(key)[0].tolist() == list(range(1, 8))
        step, blob = r.latest_checkpoint()
        assert step == 7
        saved = module_tensors(unpack(blob))
    now = module_tensors(trainer.state_dict())
    assert all(torch.equal(saved[k], now[k]) for k in now)


def test_resume_never_writes_over_the_checkpoint_it_resumed_from(two_checkpoints):
    """Slot 1 (step 8) is damaged, so the run continues from slot 0 (step 5): the next checkpoint
    must go to slot 1, or a crash during that write would leave no checkpoint at all."""
    damage(two_checkpoints, 1)
    resume(two_checkpoints, 2)
    with h5py.File(two_checkpoints, "r") as f:
        index = f[L.CHECKPOINTS][L.CKPT_INDEX][:]
    assert index["step"].tolist() == [5, 8, 7]
    assert index["slot"].tolist() == [0, 1, 1]
    damage(two_checkpoints, 1, "truncate")  # as if the process died while writing step 7
    with SessionReader(two_checkpoints) as r:
        assert r.latest_checkpoint()[0] == 5


# --- files that are not (readable) sessions -------------------------------------------------

def test_a_newer_schema_is_read_but_never_written(session):
    from studio.runs import resume_run
    from studio.session.writer import SessionWriter
    path = session[0]
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = L.SCHEMA_VERSION + 1
    with SessionReader(path) as r:
        assert r.newer and "read-only" in r.newer_note() and len(r.series("loss_d")[0]) > 0
    before = path.read_bytes()
    with pytest.raises(SessionError, match="newer Training Studio"):
        resume_run(path, "cpu")
    with pytest.raises(SessionError, match="newer Training Studio"):
        SessionWriter.reopen(path, 3)
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"hello, this is not HDF5\n", os.urandom(4096), b""])
def test_non_hdf5_files(tmp_path, content):
    path = tmp_path / "fake.h5"
    path.write_bytes(content)
    with pytest.raises(SessionError) as err:
        SessionReader(path)
    assert str(path) in str(err.value)


def test_hdf5_that_is_not_a_session(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(SessionError, match="not a Training Studio session"):
        SessionReader(path)


def test_damaged_attributes(session):
    path = session[0]
    with h5py.File(path, "r+") as f:
        f.attrs["config_json"] = "{not json"
    with pytest.raises(SessionError, match="damaged"):
        SessionReader(path)


def test_missing_session_file(tmp_path):
    with pytest.raises(SessionError, match="no such session"):
        SessionReader(tmp_path / "absent.h5")
    with pytest.raises(SessionError):
        load_trainer(tmp_path / "absent.h5", "cpu")


def test_create_refuses_an_existing_path(tmp_path, session, tiny_gan_config, tiny_settings):
    path = session[0]
    before = path.read_bytes()
    info = new_run("gan", tiny_gan_config, tiny_settings, save=False).info
    with pytest.raises(SessionError, match="exists already"):
        SessionWriter.create(path, info)
    assert path.read_bytes() == before
    with pytest.raises(SessionError, match="exists already"):
        new_run("gan", tiny_gan_config, tiny_settings, path)
    assert path.read_bytes() == before


def test_create_in_an_impossible_place(tmp_path, tiny_gan_config, tiny_settings):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    info = new_run("gan", tiny_gan_config, tiny_settings, save=False).info
    with pytest.raises(SessionError) as err:
        SessionWriter.create(blocker / "run.h5", info)
    assert str(blocker / "run.h5") in str(err.value)


def test_config_json_attribute_is_plain_json(session):
    with h5py.File(session[0], "r") as f:
        assert json.loads(f.attrs["config_json"])["z_dim"] == 8
        assert f["config"].attrs["z_dim"] == 8                 # readable in any HDF5 viewer too
