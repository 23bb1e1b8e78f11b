"""The core under studio/ must run with no Qt installed: it never imports PySide6, pyqtgraph or widgets."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STUDIO = REPO / "studio"
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "widgets", "PyQt5", "PyQt6")


def _forbidden_imports(source: str, filename: str = "<src>") -> list[str]:
    """Every import of a forbidden top-level package in `source`, as 'line: name'."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call):  # importlib.import_module("x") / __import__("x")
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"{node.lineno}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def _studio_files() -> list[Path]:
    return sorted(STUDIO.rglob("*.py"))


def test_the_static_checker_catches_every_import_form():
    src = ("import PySide6\nfrom PySide6.QtCore import QObject\nimport pyqtgraph as pg\n"
           "from widgets import app\nimport importlib\nimportlib.import_module('widgets.app')\n"
           "__import__('shiboken6')\nimport numpy\nfrom studio import config\n")
    assert [line.split(": ")[1] for line in _forbidden_imports(src)] == [
        "PySide6", "PySide6.QtCore", "pyqtgraph", "widgets", "widgets.app", "shiboken6"]


def test_studio_has_python_files():
    names = {p.relative_to(STUDIO).as_posix() for p in _studio_files()}
    assert {"runner.py", "cli.py", "config.py", "session/writer.py", "trainers/gan.py"} <= names


@pytest.mark.parametrize("path", _studio_files(), ids=lambda p: p.relative_to(STUDIO).as_posix())
def test_no_qt_import_in_source(path):
    assert _forbidden_imports(path.read_text(encoding="utf-8"), str(path)) == []


def test_importing_every_studio_module_loads_no_qt_and_leaves_the_exception_hooks():
    modules = []
    for p in _studio_files():
        parts = ("studio",) + p.relative_to(STUDIO).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    code = (
        "import importlib, json, sys\n"
        f"mods = {modules!r}\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "hooks = sys.excepthook is sys.__excepthook__ and sys.unraisablehook is sys.__unraisablehook__\n"
        "print(json.dumps({'imported': [m for m in mods if m in sys.modules], 'bad': bad, 'hooks': hooks}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["imported"] == modules
    assert "studio.cli" in modules and "studio.runner" in modules
    assert result["bad"] == []
    assert result["hooks"], "importing a module replaced sys.excepthook or sys.unraisablehook (install them)"
