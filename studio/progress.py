"""The headless CLI's progress lines on stderr: a data set's download, then step, steps/s, ETA and the latest
losses while training."""
import shutil
import sys
import time

from studio.sinks import Sink


def format_clock(seconds: float) -> str:
    """'m:ss', or 'h:mm:ss' from an hour on."""
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def fit_width(line: str, columns: int) -> str:
    """The line cut to one short of the terminal's width (the last column would wrap on some terminals)."""
    room = max(10, columns - 1)
    return line if len(line) <= room else line[: room - 1] + "…"


class DownloadLine:
    """callback(label, done_bytes, total_bytes) for studio/data/download.py, printed as one line per file:
    redrawn in place on a terminal, a fresh line every few seconds in a log."""

    def __init__(self, stream=None, every: float = 0.2):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every if self.tty else 5.0
        self._last: dict[str, float] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        finished = total > 0 and done >= total
        now = time.monotonic()
        if not finished and label in self._last and now - self._last[label] < self.every:
            return
        self._last[label] = now
        size = f"{done / 1e6:.1f} / {total / 1e6:.1f} MB {done / total:4.0%}" if total else f"{done / 1e6:.1f} MB"
        line = f"{'downloaded' if finished else 'downloading'} {label}  {size}"
        if self.tty:
            line = fit_width(line, shutil.get_terminal_size((80, 24)).columns)
            print("\r" + line + "\033[K", end="\n" if finished else "", file=self.stream, flush=True)
        else:
            print(line, file=self.stream, flush=True)


class ProgressSink(Sink):
    def __init__(self, total_steps: int, stream=None, every: float = 0.5):
        self.total, self.stream = total_steps, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        # A log file or CI gets a fresh line every few seconds instead of carriage-return redraws.
        self.every = every if self.tty else 5.0
        self.latest: dict[str, float] = {}
        self.labels: dict[str, str] = {}
        self.start_step = 0
        self.status_seen = None
        self._last = 0.0

    def start(self, info):
        self.start_step = info.start_step
        self.labels = {s.key: s.label for s in info.series}
        where = f" -> {info.session_path}" if info.session_path else ""
        print(f"{info.title} on {info.device_name}{where}", file=self.stream, flush=True)

    def metrics(self, batch):
        for key, (_, values) in batch.points.items():
            self.latest[key] = float(values[-1])

    def status(self, status):
        self.status_seen = status
        now = time.monotonic()
        if now - self._last < self.every and status.state != "stopped":
            return
        self._last = now
        done = status.step - self.start_step
        frac = min(1.0, done / self.total) if self.total else 0.0
        bar = "#" * int(frac * 24)
        eta = (self.total - done) / status.steps_per_s if status.steps_per_s > 0 else 0.0
        losses = "  ".join(f"{self.labels.get(k, k)} {v:.3g}" for k, v in self.latest.items())
        line = (f"step {status.step} [{bar:<24}] {frac:4.0%} {status.steps_per_s:6.1f} steps/s "
                f"elapsed {format_clock(status.elapsed_s)} ETA {format_clock(eta)}  {losses}")
        if self.tty:  # a line wider than the terminal wraps, and "\r" then redraws only its last part
            line = fit_width(line, shutil.get_terminal_size((80, 24)).columns)
        print(("\r" + line + "\033[K") if self.tty else line, end="" if self.tty else "\n",
              file=self.stream, flush=True)

    def event(self, event):
        print(f"{chr(10) if self.tty else ''}[{event.kind}] step {event.step}: {event.message}",
              file=self.stream, flush=True)

    def finish(self, reason):
        s = self.status_seen
        if self.tty:
            print(file=self.stream)
        if s is not None:
            done = s.step - self.start_step
            rate = done / s.elapsed_s if s.elapsed_s > 0 else 0.0
            said = {"error": "stopped by the error below"}.get(reason, reason)
            print(f"{said}: {done} steps in {s.elapsed_s:.1f} s of training ({rate:.1f} steps/s), "
                  f"now at step {s.step}", file=self.stream, flush=True)
