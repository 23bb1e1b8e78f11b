"""Training Studio: `python main.py` opens the app; `python main.py train|sample|evaluate|export|info …` runs
headless."""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from studio.cli import COMMANDS  # Qt-free: the headless commands never import Qt

    if argv and argv[0] in COMMANDS:
        from studio.cli import main as cli_main
        return cli_main(argv)
    from widgets.app import run_app  # Qt is imported only for the window
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
