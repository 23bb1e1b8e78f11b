"""Start the desktop app: `python main.py [FILE.h5] [--model gan] [--start]`."""
import argparse
import os
import sys


def _has_screen() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _install_excepthook(window) -> None:
    """A bug in a GUI slot is shown in the window and logged; the window stays usable."""
    from PySide6.QtCore import QTimer

    from studio.app_log import log_exception

    def hook(typ, value, tb):
        where = log_exception("internal error in the window", exc_info=(typ, value, tb))
        text = f"Internal error: {typ.__name__}: {value}{where}"
        # Widgets belong to the GUI thread: from any other thread, post the message to it.
        QTimer.singleShot(0, window, lambda: window.show_message(text, error=True))

    sys.excepthook = hook


def run_app(argv: list[str]) -> int:
    from studio.trainers.registry import TRAINERS

    parser = argparse.ArgumentParser(prog="main.py", description="Training Studio: watch neural networks learn. "
                                     "Headless commands: main.py train|sample|evaluate|export|info --help")
    parser.add_argument("session", nargs="?", help="a saved session (.h5) to open")
    parser.add_argument("--model", choices=sorted(TRAINERS), help="model to select at start")
    parser.add_argument("--start", action="store_true", help="start training right away with the defaults")
    args = parser.parse_args(argv)
    if not _has_screen():
        print("error: no screen found (DISPLAY is not set). Run the app on a desktop, or use the headless "
              "commands: python main.py train --help", file=sys.stderr)
        return 2

    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from widgets.main_window import MainWindow
    except ImportError as exc:
        from studio.desktop_libs import import_problem, missing_library
        if not missing_library(exc):
            raise  # a bug, not this system: keep the traceback
        # A Qt module whose system library is missing (main.py checked the usual ones before Qt).
        print(f"error: {import_problem(exc)}", file=sys.stderr)
        return 2

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Training Studio")
    window = MainWindow()
    _install_excepthook(window)
    from studio.session import h5py_hooks
    # After the window's hook, which it wraps: h5py's repeats of a failed write (the window already says
    # it once) are dropped, every other exception still reaches the window.
    h5py_hooks.install()
    if args.model:
        window.setup.select_model(args.model)
    window.show()
    if args.session:
        window.open_session(args.session)
    if args.start:
        QTimer.singleShot(0, window.start)
    # Only at a launch of the app, not in every window made (tests, scripts/screenshot.py): the folder is
    # scanned in the background once the window is up, and a dialog asks about the sessions a crash left.
    QTimer.singleShot(0, window.recovery.start)
    return app.exec()
