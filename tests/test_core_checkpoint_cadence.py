"""Checkpoints every few seconds: written on their own thread while training goes on, the two-slot,
CRC-checked, index-last format kept; a large replay memory only in the run's last checkpoint; a run
killed before its first checkpoint resumes from step 0."""
import shutil
import threading
import time

import numpy as np
import pytest
import torch

from studio.control import Control
from studio.errors import SessionError
from studio.run_settings import CHECKPOINT_SECONDS, RunSettings
from studio.runs import make_runner, new_run, resume_run
from studio.session.checkpoint import pack, unpack
from studio.session.checkpoint_thread import CheckpointThread
from studio.session.probe import check_session
from studio.session.reader import SessionReader
from studio.session.writer import WriterHooks
from studio.sinks import Event, MetricBatch
from studio.trainers.dqn_config import DQNConfig

from helpers_core import BlobSink, module_tensors, wait_until


def test_the_default_cadence_is_a_few_seconds():
    assert RunSettings().checkpoint_seconds == CHECKPOINT_SECONDS <= 5.0


def test_a_waiting_checkpoint_is_replaced_by_a_newer_one():
    gate, written = threading.Event(), []

    def write(step, blob):
        gate.wait(10)
        written.append(step)
    thread = CheckpointThread(write)
    thread.put(1, b"a")
    wait_until(lambda: thread.bytes_pending() == 1 and not thread._waiting, what="the first write to begin")
    thread.put(2, b"bb")
    thread.put(3, b"ccc")                      # 2 had not begun: only the newest waits
    assert thread.busy() and thread.bytes_pending() == 1 + 3
    gate.set()
    thread.stop()
    assert written == [1, 3] and not thread.busy()


def _writer(tmp_path, tiny_gan_config, tiny_settings, **hooks):
    prepared = new_run("gan", tiny_gan_config, tiny_settings, tmp_path / "s.h5", writer_hooks=WriterHooks(**hooks))
    return prepared, prepared.writer


def _as_killed(path):
    """A copy of the file as it is on disk now: what a kill -9 at this moment would leave (this process
    cannot open its own writer's file a second time)."""
    copy = path.with_name(f"killed-{time.monotonic_ns()}.h5")
    shutil.copyfile(path, copy)
    return copy


def _points(step):
    return MetricBatch({"loss_d": (np.array([step], np.int64), np.array([0.5]))})


def test_the_training_thread_hands_a_checkpoint_over_and_goes_on(tmp_path, tiny_gan_config, tiny_settings):
    prepared, writer = _writer(tmp_path, tiny_gan_config, tiny_settings, checkpoint_pause=0.5)
    writer.start(prepared.info)
    marker = writer.path.with_name(writer.path.name + ".writing-checkpoint")
    blob = pack(prepared.trainer.state_dict())
    writer.metrics(_points(1))
    start = time.monotonic()
    writer.checkpoint(1, blob)
    assert time.monotonic() - start < 0.3                   # not the 0.5 s the write is held for
    wait_until(marker.exists, what="the write to be under way")
    writer.event(Event(1, "checkpoint", "saved"))           # filed once the checkpoint is in the file…
    writer.event(Event(2, "info", "later"))                 # …and what follows it waits behind it
    for step in (2, 3):                                     # the training thread writes meanwhile
        writer.metrics(_points(step))
        writer._last_flush = 0.0
        writer.flush()
    with SessionReader(_as_killed(writer.path)) as r:       # no index row before the bytes are whole
        assert r.checkpoint_steps() == [] and r.events() == []
        assert list(r.series("loss_d")[0]) == [1, 2, 3]
    assert writer.wait_for_checkpoints(10)
    writer._last_flush = 0.0
    writer.flush()
    with SessionReader(_as_killed(writer.path)) as r:
        assert r.latest_checkpoint() == (1, blob)
        assert [(s, k) for s, k, _ in r.events()] == [(1, "checkpoint"), (2, "info")]
    writer.close()


def test_slots_alternate_and_a_crash_mid_write_keeps_the_older_one(tmp_path, tiny_gan_config, tiny_settings):
    prepared, writer = _writer(tmp_path, tiny_gan_config, tiny_settings)
    writer.start(prepared.info)
    blobs = {step: pack({"step": step, "pad": torch.full((300_000,), step)}) for step in (1, 2, 3)}
    for step in (1, 2):
        writer.checkpoint(step, blobs[step])
        assert writer.wait_for_checkpoints(10)
    gate = threading.Event()
    piece = writer._slots[0].__class__.__setitem__

    def stalled(ds, key, value):  # the third write stops after its first piece, as a kill would leave it
        piece(ds, key, value)
        gate.wait(10)
    try:
        type(writer._slots[0]).__setitem__ = stalled
        writer.checkpoint(3, blobs[3])
        wait_until(lambda: writer._slots[0].shape[0] == len(blobs[3]), what="the third write to begin")
        with SessionReader(_as_killed(writer.path)) as r:
            assert [row["slot"] for row in r.f["checkpoints/index"][:]] == [0, 1]
            assert r.latest_checkpoint() == (2, blobs[2])   # slot 1, untouched by the write into slot 0
    finally:
        type(writer._slots[0]).__setitem__ = piece
        gate.set()
    writer.close()
    with SessionReader(writer.path) as r:
        assert r.checkpoint_steps() == [1, 2, 3] and r.latest_checkpoint() == (3, blobs[3])


def test_a_failed_checkpoint_write_stops_the_run_with_its_message(tmp_path, tiny_gan_config, tiny_settings):
    prepared, writer = _writer(tmp_path, tiny_gan_config, tiny_settings)
    writer.start(prepared.info)

    def fail(step, blob):
        raise SessionError("could not save a checkpoint (No space left on device)")
    writer._thread._write = fail
    writer.checkpoint(1, b"x")
    assert writer.wait_for_checkpoints(10)
    with pytest.raises(SessionError, match="No space left"):
        writer.flush()                                      # said on the training thread, at its next call
    writer.close()                                          # once only; the file still closes


def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(tmp_path, tiny_gan_config, tiny_settings):
    prepared, writer = _writer(tmp_path, tiny_gan_config, tiny_settings)
    start = module_tensors(prepared.trainer.state_dict())
    writer.start(prepared.info)
    writer.metrics(_points(1))
    writer.close()                                          # as a kill before the first timed checkpoint leaves it
    assert check_session(writer.path)["checkpoint_step"] == 0   # the window offers Resume
    again = resume_run(writer.path, "cpu")
    assert again.trainer.step == 0
    for key, value in module_tensors(again.trainer.state_dict()).items():
        assert torch.equal(value, start[key]), key          # the same start, rebuilt from the seed
    make_runner(again, Control(), max_steps=2, preview_seconds=None).run()
    with SessionReader(writer.path) as r:
        assert list(r.series("loss_d")[0]) == [1, 2] and r.latest_checkpoint()[0] == 2


def test_a_large_replay_memory_is_left_out_of_timed_checkpoints_only(monkeypatch):
    """Timed checkpoints of a DQN whose replay memory is too big to save every few seconds hold the weights,
    optimizer, RNG and game; the run's last one holds the memory too, even at the step of a timed one."""
    monkeypatch.setattr("studio.trainers.dqn.TIMED_REPLAY_BYTES", 0)  # CartPole's 4.8 MB counts as large
    config = DQNConfig(buffer_size=500, learning_starts=20, batch_size=8, train_freq=1, gradient_steps=1,
                       eval_every=10**6, record_episodes=False)
    settings = RunSettings(seed=0, device="cpu")
    prepared = new_run("dqn", config, settings, save=False)
    sink = BlobSink()
    runner = make_runner(prepared, Control(), [sink], max_steps=30, preview_seconds=None)
    runner.checkpoint_seconds = 0.0                         # a timed checkpoint after every step
    runner.run()
    saved = [(step, "buffer" in unpack(blob)["extra"]) for step, blob in sink.blobs]
    # After the last step: a timed checkpoint, then the whole one the run ends with, at the same step.
    assert saved == [(step, False) for step in range(1, 31)] + [(30, True)]
    assert int(unpack(sink.blobs[-1][1])["extra"]["buffer"]["size"]) == 30
    monkeypatch.undo()
    assert prepared.trainer.timed_state_is_whole()          # at its real size, CartPole's goes in every one
