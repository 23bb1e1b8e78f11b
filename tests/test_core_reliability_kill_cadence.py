"""kill -9 at 20 random moments at the default checkpoint cadence (GAN, VAE and DQN at once): every file
opens, resumes, and has lost at most the cadence plus one step of training, measured.

A process can be killed once, and one process start costs seconds, so each child is frozen instead
(SIGSTOP) at its moments and its session file copied: a stopped process writes nothing more, so the copy is
exactly the file a kill -9 at that moment leaves (HDF5's unflushed buffers die with the process in both
cases). Its last moment is a real kill -9. The three children run side by side; the copies are resumed
afterwards, in this process, once every writer is dead (a live writer's file is refused)."""
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np

from studio.control import Control
from studio.run_settings import RunSettings
from studio.runs import make_runner, resume_run
from studio.session.reader import SessionReader

from conftest import REPO

SEED = 15
CADENCE = RunSettings().checkpoint_seconds       # the default: what a person gets
PAUSE = 0.3                                      # each checkpoint write is held this long (WriterHooks)
SPAN = 2 * CADENCE + 1.0                         # moments fall before the first checkpoint and across two more
MOMENTS = {"gan": 8, "vae": 6, "dqn": 6}         # 20 in all
# Beyond the cadence, the write in flight (PAUSE + ms) and one step: the status lines the loss is measured
# from come every 0.1 s, and three children share two cores.
SLACK = 0.6
DENSE = {"gan": "loss_d", "vae": "total", "dqn": "epsilon"}  # a point at every step

CHILD = r"""
import os, sys, time
import torch
torch.set_num_threads(1)
from studio.control import Control
from studio.run_settings import RunSettings
from studio.runs import make_runner, new_run
from studio.session.writer import WriterHooks
from studio.sinks import Sink
from studio.trainers.dqn_config import DQNConfig
from studio.trainers.gan_config import GANConfig
from studio.trainers.vae_config import VAEConfig

kind, path, log, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
config = {"gan": lambda: GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8, quality_every=0),
          "vae": lambda: VAEConfig(latent_dim=4, width=4, batch_size=32, eval_every=50, holdout=100, quality_every=0),
          "dqn": lambda: DQNConfig(hidden=16, buffer_size=500, batch_size=16, learning_starts=50, train_freq=4,
                                   gradient_steps=1, eps_steps=200, eval_every=10**6, record_episodes=False)}[kind]()


class StatusLog(Sink):
    # When each step was reached, by the wall clock: the test measures what a kill cost from it.
    def __init__(self):
        self.fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def _line(self, step):
        os.write(self.fd, f"{step} {time.time():.6f}\n".encode())

    def start(self, info):
        self._line(info.start_step)

    def status(self, status):
        self._line(status.step)


prepared = new_run(kind, config, RunSettings(seed=0, device="cpu", threads=1), path,
                   writer_hooks=WriterHooks(checkpoint_pause=pause))
make_runner(prepared, Control(), [StatusLog()], preview_seconds=None).run()
"""


def _lines(log) -> list[tuple[int, float]]:
    text = log.read_text() if log.exists() else ""
    return [(int(step), float(wall)) for step, wall in (line.split() for line in text.splitlines() if line.strip())]


class Child:
    def __init__(self, kind, tmp_path):
        self.kind = kind
        self.path, self.log = tmp_path / f"{kind}.h5", tmp_path / f"{kind}.log"
        self.marker = self.path.with_name(self.path.name + ".writing-checkpoint")
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(self.path), str(self.log), str(PAUSE)],
                                     cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS="1"),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.frozen: list[tuple[float, float]] = []   # wall-clock spans the child stood still
        self.kills: list[tuple] = []                   # (file as killed, run time of the kill, status lines)
        self.error = None

    def run_time(self, wall: float) -> float:
        """Seconds the child has been able to run since its start line, at `wall`."""
        start = _lines(self.log)[0][1]
        return wall - start - sum(min(b, wall) - a for a, b in self.frozen if a < wall)

    def _wait_until_run_time(self, when: float) -> None:
        while self.proc.poll() is None and self.run_time(time.time()) < when:
            time.sleep(0.005)

    def drive(self, moments: list[float], aimed: int) -> None:
        try:
            deadline = time.monotonic() + 120
            while not _lines(self.log):
                assert self.proc.poll() is None, self.proc.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, f"{self.kind}: no start line"
                time.sleep(0.01)
            for i, when in enumerate(moments):
                if i == aimed:  # inside a checkpoint write, between its bytes and its index row
                    while not self.marker.exists():
                        assert self.proc.poll() is None and time.monotonic() < deadline, "no checkpoint write"
                        time.sleep(0.005)
                else:
                    self._wait_until_run_time(when)
                assert self.proc.poll() is None, self.proc.stderr.read().decode()[-3000:]
                if i == len(moments) - 1:
                    self.proc.send_signal(signal.SIGKILL)
                    self.proc.wait()
                    self.kills.append((self.path, self.run_time(time.time()), _lines(self.log), i == aimed))
                    return
                self.proc.send_signal(signal.SIGSTOP)
                os.waitpid(self.proc.pid, os.WUNTRACED)  # stopped now: nothing more reaches the file
                stopped = time.time()
                copy = self.path.with_name(f"{self.kind}-{i}.h5")
                shutil.copyfile(self.path, copy)
                self.kills.append((copy, self.run_time(stopped), _lines(self.log), i == aimed))
                resumed = time.time()
                self.proc.send_signal(signal.SIGCONT)
                self.frozen.append((stopped, resumed))
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread
            self.error = exc
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def test_kill_9_at_20_moments_loses_at_most_the_cadence(tmp_path):
    assert CADENCE <= 5.0
    rng = random.Random(SEED)
    children = [Child(kind, tmp_path) for kind in MOMENTS]
    drivers = []
    for child in children:
        n = MOMENTS[child.kind]
        moments = sorted(rng.uniform(0.2, SPAN) for _ in range(n - 1)) + [SPAN + rng.uniform(0.0, 0.5)]
        aimed = next(i for i, m in enumerate(moments) if m > CADENCE)  # the first checkpoint's write
        drivers.append(threading.Thread(target=child.drive, args=(moments, aimed)))
    for d in drivers:
        d.start()
    for d in drivers:
        d.join()
    for child in children:
        if child.error is not None:
            raise child.error

    losses, before_first, mid_write = [], 0, 0
    for child in children:
        dense = DENSE[child.kind]
        for path, killed_at, lines, aimed in child.kills:
            where = f"{child.kind}, killed at {killed_at:.2f} s ({path.name})"
            with SessionReader(path) as r:  # opens, and every series reads
                for key in r.series_keys():
                    steps, values = r.series(key)
                    assert np.all(np.diff(steps) > 0), f"{where}: {key} out of order"
                steps, _ = r.series(dense)
                assert np.array_equal(steps, np.arange(1, len(steps) + 1)), f"{where}: {dense} has gaps"
                found = r.latest_checkpoint()
                assert found is not None or r.checkpoint_steps() == [], f"{where}: checkpoints but none whole"
                step = found[0] if found else 0
            before_first += found is None
            mid_write += aimed
            reached = max(child.run_time(wall) for s, wall in lines if s <= step)  # when that step was done
            loss = killed_at - reached
            losses.append(loss)
            assert loss <= CADENCE + PAUSE + SLACK, f"{where}: {loss:.2f} s of training lost (resumes at {step})"
            prepared = resume_run(path, "cpu")
            assert prepared.trainer.step == step, where
            make_runner(prepared, Control(), max_steps=step + 2, preview_seconds=None).run()
            with SessionReader(path) as r:
                assert np.array_equal(r.series(dense)[0], np.arange(1, step + 3)), where
                assert r.latest_checkpoint()[0] == step + 2, where
    assert len(losses) == 20 and before_first >= 2 and mid_write == 3, (before_first, mid_write)
    print(f"training lost per kill: max {max(losses):.2f} s, mean {np.mean(losses):.2f} s "
          f"(cadence {CADENCE:g} s, {before_first} kills before the first checkpoint)")
