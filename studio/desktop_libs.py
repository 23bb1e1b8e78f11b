"""The system libraries Qt's window needs on Linux, checked before Qt is loaded.

The PySide6 wheel bundles Qt but not the system libraries Qt links to, and a fresh Linux system may
lack some (since Qt 6.5 the xcb platform also needs libxcb-cursor). Qt then aborts with advice to
reinstall, which does not help; this check names the missing libraries and the install command
instead. It sits in the Qt-free core because it must run before anything imports PySide6 (importing
`widgets` does, through pyqtgraph), and it never imports Qt itself.

`python -m studio.desktop_libs` prints the same advice as a warning (scripts/setup.sh runs it).
"""
import ctypes
import os
import platform
import re
import sys

# soname -> (Debian/Ubuntu, Fedora, Arch) package. The lists are the direct dependencies outside the
# wheel (`readelf -d`) of PySide6 6.11's Qt libraries the app loads and of its platform plugins;
# glibc and libstdc++ are left out, every system has them.
QT_GUI = {  # QtCore, QtGui, QtWidgets, QtDBus, QtOpenGL, QtSvg: needed whatever the platform
    "libEGL.so.1": ("libegl1", "mesa-libEGL", "libglvnd"),
    "libGL.so.1": ("libgl1", "mesa-libGL", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
    "libz.so.1": ("zlib1g", "zlib", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd", "zstd"),
}
XCB = {  # platforms/libqxcb.so and libQt6XcbQpa
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
}
WAYLAND = {  # platforms/libqwayland.so and libQt6WaylandClient
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client", "wayland"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor", "wayland"),
}
PLATFORM_LIBS = {"xcb": XCB, "wayland": WAYLAND}
PACKAGES = {**QT_GUI, **XCB, **WAYLAND}
INSTALL = {"debian": "sudo apt-get install", "fedora": "sudo dnf install", "arch": "sudo pacman -S"}

_SONAME = re.compile(r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")


def qt_platforms(env) -> list[str]:
    """The window-system platforms Qt 6 will try, in its order (QGuiApplicationPrivate::
    createPlatformIntegration): QT_QPA_PLATFORM if set (a ';' list), else wayland in a Wayland
    session, then xcb when DISPLAY is set. Empty when Qt may use another platform (offscreen, vnc,
    eglfs...), which this does not check."""
    requested = env.get("QT_QPA_PLATFORM")
    if requested:
        names = [part.split(":")[0] for part in requested.split(";")]
    else:
        names = ["xcb"] if "DISPLAY" in env else []
        if "WAYLAND_DISPLAY" in env or env.get("XDG_SESSION_TYPE") == "wayland":
            names.insert(0, "wayland")
    # Qt's wayland-egl and wayland-brcm variants load the same client library as wayland.
    names = ["wayland" if name.startswith("wayland") else name for name in names]
    return list(dict.fromkeys(names)) if set(names) <= set(PLATFORM_LIBS) else []


def missing_soname(soname: str) -> str | None:
    """None when the dynamic loader can load `soname` (as Qt will), else the library it could not find:
    `soname` itself or one of its own dependencies."""
    try:
        ctypes.CDLL(soname)
    except OSError as exc:
        found = _SONAME.search(str(exc))
        return found.group(1) if found else soname
    return None


def missing(sonames) -> list[str]:
    """The libraries among `sonames` (or their dependencies) that cannot be loaded, in order."""
    found = (missing_soname(name) for name in sonames)
    return list(dict.fromkeys(name for name in found if name))


def distro() -> str:
    """'fedora', 'arch' or 'debian' (also the answer for an unknown system), from /etc/os-release."""
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        return "debian"
    family = f"{release.get('ID', '')} {release.get('ID_LIKE', '')}".split()
    for name in ("fedora", "rhel", "arch"):
        if name in family:
            return "arch" if name == "arch" else "fedora"
    return "debian"


def packages(sonames, system: str = "debian") -> list[str]:
    """The packages of `system` (a key of INSTALL) that provide the known ones among `sonames`."""
    column = list(INSTALL).index(system)
    return list(dict.fromkeys(PACKAGES[name][column] for name in sonames if name in PACKAGES))


def install_command(sonames, system: str = "debian") -> str:
    """One command that installs the packages providing `sonames` with `system`'s package manager."""
    return f"{INSTALL[system]} {' '.join(packages(sonames, system))}"


def advice(sonames) -> str:
    """One line naming the missing libraries and ending with the command that installs them."""
    unknown = [name for name in sonames if name not in PACKAGES]
    what = "system libraries that are" if len(sonames) > 1 else "a system library that is"
    text = f"the window cannot open: Qt needs {what} missing here: {', '.join(sonames)}."
    command = install_command(sonames, distro())
    if not unknown:
        return f"{text} Install {'them' if len(sonames) > 1 else 'it'} with: {command}"
    text += f" Install the package that provides {', '.join(unknown)}"
    return text + "." if len(unknown) == len(sonames) else f"{text}, and the others with: {command}"


def desktop_problem(env=None, sys_platform: str | None = None, assume_desktop: bool = False) -> str | None:
    """The message to show when Qt's window would fail for want of system libraries, else None.

    Qt falls back from one platform to the next, so the window opens when any platform it will try has
    all its libraries; if none has, the advice is for the one needing the fewest packages.
    `assume_desktop` checks xcb even with no screen set (at set-up time, over ssh for instance)."""
    env = os.environ if env is None else env
    if (sys_platform or sys.platform) != "linux":
        return None
    platforms = qt_platforms(env)
    if not platforms and assume_desktop and not env.get("QT_QPA_PLATFORM"):
        platforms = ["xcb"]
    if not platforms:
        return None
    gui = missing(QT_GUI)
    options = [gui + [name for name in missing(PLATFORM_LIBS[p]) if name not in gui] for p in platforms]
    if not all(options):
        return None
    return advice(min(options, key=lambda names: len(packages(names))))


def missing_library(exc: ImportError) -> str | None:
    """The shared library whose absence made an import fail, if that was the cause."""
    named = _SONAME.search(str(exc))
    return named.group(1) if named else None


def import_problem(exc: ImportError) -> str:
    """The message for a failed import of Qt: the missing system libraries if that is the cause."""
    soname = missing_library(exc)
    if not soname or soname.startswith(("libQt6", "libpyside6", "libshiboken6")):
        # Not a system library: the Python packages themselves are missing or damaged.
        reason = " ".join(str(exc).split())
        return f"the window cannot open: {reason}. Run bash scripts/setup.sh to (re)install the app's packages."
    return advice(list(dict.fromkeys([soname, *missing(QT_GUI)])))


def main() -> int:
    """Set-up check: warn, never fail, when the window would not open on this system."""
    problem = desktop_problem(assume_desktop=True)
    if problem:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
