"""Start the desktop app: `python main.py [--model gan] [--start]`."""
import argparse
import sys


def run_app(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description="Training Studio: watch neural networks learn.")
    parser.add_argument("--model", help="model to select at start (gan)")
    parser.add_argument("--start", action="store_true", help="start training right away with the defaults")
    args = parser.parse_args(argv)

    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.trainers.registry import TRAINERS
    from widgets.main_window import MainWindow

    if args.model and args.model not in TRAINERS:
        parser.error(f"unknown model {args.model!r} (available: {', '.join(TRAINERS)})")
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="w", foreground="k")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Training Studio")
    window = MainWindow()
    if args.model:
        window.setup.select_model(args.model)
    window.show()
    if args.start:
        QTimer.singleShot(0, window.start)
    return app.exec()
