"""The CLI's progress line never exceeds the terminal's width (a wrapped line breaks the \\r redraw)."""
import io

from studio.progress import ProgressSink, fit_width
from studio.sinks import MetricBatch, Status
from studio.trainers.base import Series


class Tty(io.StringIO):
    def isatty(self):
        return True


class Info:
    title, device_name, session_path, start_step = "GAN", "CPU", None, 0
    series = [Series(f"loss_{i}", f"a long loss name {i}", "loss") for i in range(8)]


def test_the_progress_line_fits_the_terminal(monkeypatch):
    for columns in (40, 80, 200):
        monkeypatch.setenv("COLUMNS", str(columns))
        out = Tty()
        sink = ProgressSink(1000, stream=out, every=0.0)
        sink.start(Info)
        sink.metrics(MetricBatch({f"loss_{i}": ([1], [0.123456]) for i in range(8)}))
        sink.status(Status(500, 12.5, 40.0, "running"))
        drawn = out.getvalue().split("\r")[-1].replace("\033[K", "")
        assert drawn.startswith("step 500 [") and len(drawn) <= columns - 1
    assert fit_width("x" * 30, 200) == "x" * 30 and fit_width("x" * 30, 20) == "x" * 18 + "…"
