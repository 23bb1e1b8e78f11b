"""Texts the viewer shows, as pure functions: the same words for a live run and an opened session."""
import time


def log_line(step: int, kind: str, message: str, when: float | None = None) -> str:
    """One line of the event log: the time of day it happened (now, if not given), the step, the kind."""
    clock = time.strftime("%H:%M:%S", time.localtime(when) if when is not None else time.localtime())
    return f"{clock}  step {step:,}  [{kind}]  {message}"
