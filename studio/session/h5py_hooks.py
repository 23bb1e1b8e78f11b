"""Quiet h5py's repeats of a failed write, which the session writer reports once, in words.

Nothing changes on import: the entry points call `install()`, which wraps whatever hooks are current
(the window's own excepthook included), so every other exception still reaches them.
"""
import sys


def _from_h5py_cleanup(tb) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("_objects.pyx"):
            return True
        tb = tb.tb_next
    return False


def _quiet_unraisable(previous):
    def hook(unraisable) -> None:
        # h5py repeats a failed write from its objects' destructors as 'Exception ignored' tracebacks.
        if isinstance(unraisable.exc_value, RuntimeError) and "h5py._objects" in repr(unraisable.object):
            return
        previous(unraisable)
    hook.quiets_h5py = True
    return hook


def _quiet_except(previous):
    def hook(typ, value, tb) -> None:
        # The same destructor errors also reach sys.excepthook (Cython prints their traceback first). A
        # failed write there fails the writer's next flush too, which reports it in words.
        if issubclass(typ, RuntimeError) and "write failed" in str(value) and _from_h5py_cleanup(tb):
            return
        previous(typ, value, tb)
    hook.quiets_h5py = True
    return hook


def install() -> None:
    """Wrap the current sys.unraisablehook and sys.excepthook; once only, so calling it again (each CLI
    command run in one process) does not stack wrappers. Install it after any hook of one's own."""
    if not getattr(sys.unraisablehook, "quiets_h5py", False):
        sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    if not getattr(sys.excepthook, "quiets_h5py", False):
        sys.excepthook = _quiet_except(sys.excepthook)
