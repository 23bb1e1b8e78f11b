"""The Linux desktop check: missing system libraries are named, with the command that installs them, before
Qt is loaded (studio/desktop_libs.py). No test here imports Qt."""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio import desktop_libs

REPO = Path(__file__).resolve().parent.parent
ALL_DESKTOP = [*desktop_libs.QT_GUI, *desktop_libs.XCB]


def _report_missing(monkeypatch, *sonames):
    """Make the library lookup report `sonames` missing and everything else present; Debian commands."""
    monkeypatch.setattr(desktop_libs, "missing_soname", lambda name: name if name in sonames else None)
    monkeypatch.setattr(desktop_libs, "distro", lambda: "debian")


def test_missing_xcb_libraries_are_named_with_the_apt_get_line(monkeypatch):
    _report_missing(monkeypatch, "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    message = desktop_libs.desktop_problem({"DISPLAY": ":0"}, "linux")
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
    assert message.endswith("Install them with: sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    assert "\n" not in message


def test_a_missing_qtgui_library_is_reported_with_the_platform_ones(monkeypatch):
    _report_missing(monkeypatch, "libEGL.so.1", "libxcb-cursor.so.0")
    message = desktop_libs.desktop_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert message.endswith("sudo apt-get install libegl1 libxcb-cursor0")


def test_nothing_missing_means_no_message(monkeypatch):
    _report_missing(monkeypatch)
    assert desktop_libs.desktop_problem({"DISPLAY": ":0"}, "linux") is None


@pytest.mark.parametrize("env, sys_platform", [
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "minimal"}, "linux"),
    ({}, "linux"),  # no screen: the app says so itself
    ({"DISPLAY": ":0"}, "darwin"),
    ({"DISPLAY": ":0"}, "win32"),
])
def test_offscreen_no_screen_and_other_systems_are_not_checked(monkeypatch, env, sys_platform):
    def lookup(name):
        raise AssertionError(f"looked up {name}")
    monkeypatch.setattr(desktop_libs, "missing_soname", lookup)
    assert desktop_libs.desktop_problem(env, sys_platform) is None


@pytest.mark.parametrize("env, expected", [
    ({"DISPLAY": ":0"}, ["xcb"]),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, ["wayland", "xcb"]),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, ["wayland", "xcb"]),
    ({"WAYLAND_DISPLAY": "wayland-0"}, ["wayland"]),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, ["xcb"]),
    ({"QT_QPA_PLATFORM": "wayland-egl;xcb:nodialogs"}, ["wayland", "xcb"]),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, []),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb;offscreen"}, []),  # Qt may fall back to offscreen
])
def test_platforms_in_qts_order(env, expected):
    assert desktop_libs.qt_platforms(env) == expected


def test_wayland_session_opens_when_either_platform_is_complete(monkeypatch):
    env = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    _report_missing(monkeypatch, "libxcb-cursor.so.0")  # Qt tries wayland first, which has everything
    assert desktop_libs.desktop_problem(env, "linux") is None
    _report_missing(monkeypatch, "libwayland-cursor.so.0")  # wayland fails, Qt falls back to xcb
    assert desktop_libs.desktop_problem(env, "linux") is None
    _report_missing(monkeypatch, "libwayland-cursor.so.0", "libxcb-cursor.so.0", "libxcb-icccm.so.4")
    assert desktop_libs.desktop_problem(env, "linux").endswith("sudo apt-get install libwayland-cursor0")


def test_a_dependency_named_by_the_loader_is_reported(monkeypatch):
    monkeypatch.setattr(desktop_libs.ctypes, "CDLL", _fake_cdll({"libxcb-image.so.0": "libxcb-util.so.1"}))
    assert desktop_libs.missing(["libxcb-image.so.0", "libxcb.so.1"]) == ["libxcb-util.so.1"]


def _fake_cdll(failures):
    def cdll(name):
        if name in failures:
            raise OSError(f"{failures[name]}: cannot open shared object file: No such file or directory")
    return cdll


@pytest.mark.parametrize("system, command", [
    ("fedora", "sudo dnf install xcb-util-cursor xcb-util-wm libX11-xcb"),
    ("arch", "sudo pacman -S xcb-util-cursor xcb-util-wm libx11"),
    ("debian", "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libx11-xcb1"),
])
def test_the_command_for_each_package_manager(monkeypatch, system, command):
    monkeypatch.setattr(desktop_libs, "missing_soname", lambda name: name if name in (
        "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libX11-xcb.so.1") else None)
    monkeypatch.setattr(desktop_libs, "distro", lambda: system)
    assert desktop_libs.desktop_problem({"DISPLAY": ":0"}, "linux").endswith(command)


@pytest.mark.parametrize("release, expected", [
    ({"ID": "ubuntu", "ID_LIKE": "debian"}, "debian"),
    ({"ID": "fedora"}, "fedora"),
    ({"ID": "rocky", "ID_LIKE": "rhel centos fedora"}, "fedora"),
    ({"ID": "manjaro", "ID_LIKE": "arch"}, "arch"),
    ({"ID": "opensuse-tumbleweed", "ID_LIKE": "opensuse suse"}, "debian"),
])
def test_distro_from_os_release(monkeypatch, release, expected):
    monkeypatch.setattr(desktop_libs.platform, "freedesktop_os_release", lambda: release)
    assert desktop_libs.distro() == expected


def test_import_error_of_a_system_library_names_its_package(monkeypatch):
    _report_missing(monkeypatch, "libEGL.so.1")
    exc = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    assert desktop_libs.import_problem(exc).endswith("Install it with: sudo apt-get install libegl1")
    exc = ImportError("libfoo.so.2: cannot open shared object file: No such file or directory")
    message = desktop_libs.import_problem(exc)
    assert "provides libfoo.so.2, and the others with: sudo apt-get install libegl1" in message


def test_import_error_of_the_python_packages_points_to_setup(monkeypatch):
    _report_missing(monkeypatch)
    for exc in (ModuleNotFoundError("No module named 'pyqtgraph'"),
                ImportError("libQt6Gui.so.6: cannot open shared object file: No such file or directory")):
        assert "scripts/setup.sh" in desktop_libs.import_problem(exc)


@pytest.mark.skipif(sys.platform != "linux", reason="the libraries are Linux ones")
def test_the_real_check_runs_on_this_machine():
    result = desktop_libs.desktop_problem({"DISPLAY": ":0"}, "linux")
    assert result is None or result.startswith("the window cannot open: Qt needs")
    assert "libc.so.6" not in desktop_libs.missing(["libc.so.6"])
    assert desktop_libs.missing(["libnot-a-library-here.so.7"]) == ["libnot-a-library-here.so.7"]


def _needed(path: Path) -> set[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line}


@pytest.mark.skipif(sys.platform != "linux" or not shutil.which("readelf"), reason="needs Linux and readelf")
def test_the_tables_cover_what_the_installed_qt_links_to():
    spec = importlib.util.find_spec("PySide6")  # finds the wheel without importing Qt
    qt = Path(spec.origin).parent / "Qt"
    gui = [qt / "lib" / f"libQt6{name}.so.6" for name in ("Core", "Gui", "Widgets", "DBus", "OpenGL",
                                                            "OpenGLWidgets", "Svg", "Test")]
    xcb = [qt / "lib" / "libQt6XcbQpa.so.6", qt / "plugins" / "platforms" / "libqxcb.so"]
    wayland = [qt / "lib" / "libQt6WaylandClient.so.6", qt / "plugins" / "platforms" / "libqwayland.so"]
    bundled = {p.name for p in (qt / "lib").iterdir()}
    base = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2",
            "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
    for paths, table in ((gui, desktop_libs.QT_GUI), (xcb, {**desktop_libs.QT_GUI, **desktop_libs.XCB}),
                         (wayland, {**desktop_libs.QT_GUI, **desktop_libs.WAYLAND})):
        system = set().union(*(_needed(p) for p in paths if p.exists())) - bundled - base
        assert system and system <= set(table), sorted(system - set(table))


def test_readme_lists_the_install_command_of_every_package_manager():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for system in desktop_libs.INSTALL:
        assert desktop_libs.install_command(ALL_DESKTOP, system) in readme


def _run(code: str, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "DISPLAY")}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)


_PATCHED = ("import sys\n"
            "import studio.desktop_libs as d\n"
            "d.missing_soname = lambda name: name if name == 'libxcb-cursor.so.0' else None\n"
            "d.distro = lambda: 'debian'\n")
_QT_LOADED = "print('Qt loaded:', any(m.split('.')[0] in ('PySide6', 'pyqtgraph', 'widgets') for m in sys.modules))\n"


def test_the_app_stops_before_qt_with_one_error_line():
    proc = _run(_PATCHED + "import main\ncode = main.main([])\n" + _QT_LOADED + "sys.exit(code)\n", DISPLAY=":987")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: the window cannot open: Qt needs a system library that is missing here: libxcb-cursor.so.0. "
        "Install it with: sudo apt-get install libxcb-cursor0"]
    assert "Qt loaded: False" in proc.stdout  # so no QApplication was made


def test_a_failing_qt_import_gives_one_error_line():
    code = (_PATCHED + "d.missing_soname = lambda name: None\n"
            "class NoEGL:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'PySide6.QtGui':  # as when libQt6Gui's libEGL is missing\n"
            "            raise ImportError('libEGL.so.1: cannot open shared object file: No such file or directory')\n"
            "sys.meta_path.insert(0, NoEGL())\n"
            "import main\nsys.exit(main.main([]))\n")
    proc = _run(code, DISPLAY=":987")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the window cannot open"), proc.stderr
    assert "libEGL.so.1" in lines[0]


def test_the_setup_check_warns_without_failing():
    proc = _run(_PATCHED + "sys.exit(d.main())\n")  # no screen at set-up time: xcb is still checked
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "warning: the window cannot open: Qt needs a system library that is missing here: libxcb-cursor.so.0. "
        "Install it with: sudo apt-get install libxcb-cursor0"]


_FAIL_MAIN_WINDOW = ("class Fail:\n"
                     "    def find_spec(self, name, path=None, target=None):\n"
                     "        if name == 'widgets.main_window':\n"
                     "            raise ImportError({message!r})\n"
                     "sys.meta_path.insert(0, Fail())\n"
                     "d.missing_soname = lambda name: None\n"
                     "import main\nsys.exit(main.main([]))\n")


def test_a_library_missing_for_a_later_qt_module_gives_one_error_line():
    message = "libxcb-glx.so.0: cannot open shared object file: No such file or directory"
    proc = _run(_PATCHED + _FAIL_MAIN_WINDOW.format(message=message), DISPLAY=":987")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: the window cannot open: Qt needs a system library that is missing here: libxcb-glx.so.0. "
        "Install the package that provides libxcb-glx.so.0."]


def test_an_import_bug_in_the_window_keeps_its_traceback():
    proc = _run(_PATCHED + _FAIL_MAIN_WINDOW.format(message="cannot import name 'Nope' from 'widgets.x'"),
                DISPLAY=":987")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "Nope" in proc.stderr
