"""Train studio sessions through the real CLI for the benchmarks, keeping count of training seconds.

Each benchmark that compares against a plain script trains the studio side as a user would, with
`main.py train` in --resume chunks, and measures it by the training time the CLI reports.
"""
import math
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION_STEPS = 20
# What the CLI prints when a run ends (studio/progress.py); if it ever changes, wall time minus the
# measured start-up cost is used instead.
FINISH_LINE = re.compile(r"(\d+) steps in ([\d.]+) s of training")

commands: list[str] = []  # every command run, for the results files


def run(argv: list[str]) -> tuple[float, str]:
    """Run a command from the repo root; return its wall seconds and its combined output."""
    commands.append(shlex.join(argv))
    print("$", commands[-1], flush=True)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {commands[-1]}\n{proc.stdout}{proc.stderr}")
    return wall, proc.stdout + proc.stderr


class StudioSession:
    """One CLI session trained in --resume chunks, keeping count of steps and training seconds."""

    def __init__(self, path: Path, seed: int, kind: str, options: list[str] = ()):
        self.path, self.seed, self.kind, self.options = path, seed, kind, list(options)
        self.steps = 0
        self.train_s = self.process_s = 0.0
        self.rate = 1.0
        self.startup_s = None  # measured lazily, used only if the CLI stops reporting training time

    def _train(self, argv: list[str], n: int) -> None:
        wall, out = run([sys.executable, "main.py", "train", *argv, "--steps", str(n)])
        match = FINISH_LINE.search(out)
        if match:
            done, seconds = int(match.group(1)), float(match.group(2))
        else:
            if self.startup_s is None:
                self.startup_s = self.measure_startup()
            done, seconds = n, max(wall - self.startup_s, 1e-3)
        self.steps += done
        self.train_s += seconds
        self.process_s += wall
        self.rate = done / seconds

    def measure_startup(self) -> float:
        """Seconds a zero-step resume takes: imports, data, opening the session, exit."""
        return run([sys.executable, "main.py", "train", "--resume", str(self.path), "--steps", "0"])[0]

    def start(self, steps: int = CALIBRATION_STEPS) -> None:
        self.path.unlink(missing_ok=True)
        self._train([self.kind, "--seed", str(self.seed), "--out", str(self.path), *self.options], steps)

    def train_until(self, budget: float) -> None:
        # Chunks sized from the latest measured rate; a short top-up chunk if a chunk ran fast.
        while self.train_s < 0.98 * budget:
            self._train(["--resume", str(self.path)], max(1, math.ceil((budget - self.train_s) * self.rate)))

    def train_steps(self, n: int) -> None:
        self._train(["--resume", str(self.path)], n)

    def sample(self, out: Path, n: int, extra: list[str] = ()) -> None:
        run([sys.executable, "main.py", "sample", str(self.path), "--n", str(n), "--out", str(out), *extra])
