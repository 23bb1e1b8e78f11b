"""Train the default GAN in the real window (offscreen) and save what a person sees to docs/window.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py [seconds]
"""
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRAINING_STUDIO_SESSIONS", tempfile.mkdtemp(prefix="studio-shot-"))


def main(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    from widgets.main_window import MainWindow

    app = QApplication([])
    window = MainWindow()
    window.show()
    window.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    out = ROOT / "docs" / "window.png"
    out.parent.mkdir(exist_ok=True)
    window.grab().save(str(out))
    window.close()
    print(f"wrote {out} at {window.lbl_step.text()}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 120.0)
