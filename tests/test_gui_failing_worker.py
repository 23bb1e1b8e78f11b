"""A run that fails mid-way (an exception in a training step, a GPU out of memory, a game that raises): the
window says so in one readable line, the session can be resumed from its last checkpoint, and a new run
starts without restarting the app."""
import threading
import time

import gymnasium.envs.classic_control.cartpole as cartpole
import pytest
import torch

from studio.runs import resume_run
from studio.session.reader import SessionReader
from studio.trainers.dqn_config import DQNConfig
from studio.trainers.gan import GANTrainer

from helpers_gui import shown_step

FAILURES = {
    "a bug in a step": (lambda: RuntimeError("simulated failure in the training step"), "simulated failure"),
    "the GPU out of memory": (lambda: torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                              "The GPU ran out of memory: lower the batch size"),
    "the game raising": (lambda: ValueError("simulated failure of the game"), "simulated failure of the game"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failing_run_is_shown_left_resumable_and_a_new_one_starts(qtbot, window, monkeypatch, failure):
    make_error, shown = FAILURES[failure]
    fail = threading.Event()
    if failure == "the game raising":
        real = cartpole.CartPoleEnv.step

        def step(self, action):
            if fail.is_set():
                raise make_error()
            return real(self, action)
        monkeypatch.setattr(cartpole.CartPoleEnv, "step", step)
        window.setup.select_model("dqn")
        window.setup.form.set_values(DQNConfig(hidden=16, learning_starts=100, train_freq=16, gradient_steps=2,
                                               eval_every=100_000, record_episodes=False))
    else:
        real = GANTrainer.train_step

        def train_step(self):
            if fail.is_set():
                raise make_error()
            return real(self)
        monkeypatch.setattr(GANTrainer, "train_step", train_step)
    window.setup.cadence.editors["checkpoint_seconds"].setText("1")
    window.start()
    qtbot.waitUntil(lambda: window.state == "running" and shown_step(window) >= 1, timeout=60000)
    qtbot.wait(3000)  # a few timed checkpoints (the file cannot be read in the process that writes it)
    path = window.session_path
    t0 = time.monotonic()
    fail.set()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=30000)
    print(f"{failure}: shown after {time.monotonic() - t0:.2f} s")  # the issue asks for < 1 s (not timed here)
    text = window.banner.text()
    assert shown in text and "Traceback" not in text and "\n" not in text.strip()
    assert window.lbl_state.text() == "failed"
    with SessionReader(path) as r:
        saved = r.latest_checkpoint()[0]
    prepared = resume_run(path, "cpu")  # resumable, from its last checkpoint
    try:
        assert prepared.trainer.step == saved > 0
    finally:
        prepared.writer.close()
    fail.clear()
    window.start()  # a new run, same window
    qtbot.waitUntil(lambda: window.state == "running" and shown_step(window) >= 1, timeout=60000)
    window.stop()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=30000)
    assert window.session_path != path
