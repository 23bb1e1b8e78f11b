"""h5py's repeats of a failed write are quieted only once an entry point installs the hooks, and then by
wrapping the hooks already there (the window's own excepthook keeps working)."""
import sys
import types

from studio.session import h5py_hooks


def _h5py_cleanup_error():
    code = compile("raise RuntimeError('Cannot write data (file write failed)')", "h5py/_objects.pyx", "exec")
    try:
        exec(code)
    except RuntimeError as exc:
        return type(exc), exc, exc.__traceback__


def _other_error():
    try:
        raise ValueError("a bug")
    except ValueError as exc:
        return type(exc), exc, exc.__traceback__


def test_install_wraps_the_current_excepthook_once(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda typ, value, tb: seen.append(typ))
    h5py_hooks.install()
    installed = sys.excepthook
    h5py_hooks.install()                       # again (each CLI command in one process): no second wrapper
    assert sys.excepthook is installed
    sys.excepthook(*_h5py_cleanup_error())
    assert seen == []
    sys.excepthook(*_other_error())
    assert seen == [ValueError]


def test_install_wraps_the_current_unraisablehook(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    h5py_hooks.install()
    h5py_object = type("Wrapper", (), {"__repr__": lambda self: "<function h5py._objects.with_phil.wrapper>"})()
    sys.unraisablehook(types.SimpleNamespace(exc_value=RuntimeError("write failed"), object=h5py_object))
    assert seen == []
    other = types.SimpleNamespace(exc_value=RuntimeError("elsewhere"), object=object())
    sys.unraisablehook(other)
    assert seen == [other]
