"""Training Studio: `python main.py` opens the app; `python main.py train|sample|evaluate|export|info …` runs
headless."""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from studio.cli import COMMANDS  # Qt-free: the headless commands never import Qt

    if argv and argv[0] in COMMANDS:
        from studio.cli import main as cli_main
        return cli_main(argv)
    from studio.desktop_libs import desktop_problem, import_problem

    # Before Qt is imported (importing widgets does): Qt's own failure is an abort advising a reinstall.
    problem = None if {"-h", "--help"} & set(argv) else desktop_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        from widgets.app import run_app  # Qt is imported only for the window
    except ImportError as exc:  # a system library QtGui links to, or a Python package, is missing
        print(f"error: {import_problem(exc)}", file=sys.stderr)
        return 2
    return run_app(argv)


def _exit(code: int) -> int:
    """Leave without closing a session whose writes failed (HDF5 could crash on it at exit)."""
    disk_space = sys.modules.get("studio.session.disk_space")  # loaded by any session writer
    return disk_space.exit_code(code) if disk_space else code


def entry() -> None:
    """The program's entry point (also the `training-studio` command)."""
    sys.exit(_exit(main()))


if __name__ == "__main__":
    entry()
