"""Train a model in the real window (offscreen) and save what a person sees, by default the GAN to
docs/window.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py [seconds] [--model vae]
        [--preset "2-D latent (manifold view)"] [--set eval_every=1000 ...] [--size 1000x700]
        [--out docs/window-vae.png] [--stop] [--looks FRAME] [--theme dark] [--presentation]
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRAINING_STUDIO_SESSIONS", tempfile.mkdtemp(prefix="studio-shot-"))
# A private settings store: the picture shows the defaults, not this machine's remembered layout.
os.environ.setdefault("TRAINING_STUDIO_SETTINGS", os.path.join(tempfile.mkdtemp(prefix="studio-shot-"), "s.ini"))


def main(seconds: float, model: str, preset: str | None, overrides: list[str], out: Path,
         size: tuple[int, int] = (1400, 900), stop: bool = False, looks: int | None = None,
         theme: str = "light", presentation: bool = False) -> None:
    from PySide6.QtWidgets import QApplication

    from studio import config as cfg
    from widgets.main_window import MainWindow

    app = QApplication([])
    window = MainWindow()
    window.resize(*size)
    window.set_appearance(theme, presentation)
    window.show()
    window.setup.select_model(model)
    if preset:
        window.setup.preset.setCurrentText(preset)
        window.setup._preset_picked()
    if overrides:
        current = window.setup.config()
        changes = dict(item.split("=", 1) for item in overrides)
        window.setup.form.set_values(cfg.from_dict(type(current), changes, base=current))
    window.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    if stop:  # the timeline then reads "snapshot N of M", as after a run
        window.stop()
        while window.state != "idle":
            app.processEvents()
            time.sleep(0.02)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)
    if looks is not None and window.player is not None and window.player.episode is not None:
        player = window.player  # "where it looks" on frame `looks` of the newest recorded game
        player.seek(looks)
        player.btn_looks.setChecked(True)
        end = time.monotonic() + 30
        while time.monotonic() < end and not (player._saliency and player._saliency.has(looks)):
            app.processEvents()
            time.sleep(0.02)
        for _ in range(10):
            app.processEvents()
            time.sleep(0.02)
    out.parent.mkdir(exist_ok=True)
    window.grab().save(str(out))
    window.close()
    print(f"wrote {out} at {window.lbl_step.text()}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("seconds", type=float, nargs="?", default=120.0)
    p.add_argument("--model", default="gan")
    p.add_argument("--preset")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a hyperparameter")
    p.add_argument("--size", default="1400x900", help="window size, WIDTHxHEIGHT")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "window.png")
    p.add_argument("--stop", action="store_true", help="stop the run (and save) before the picture")
    p.add_argument("--looks", type=int, metavar="FRAME",
                   help="show 'where the network looks' on this frame of the newest recorded game")
    p.add_argument("--theme", choices=("light", "dark", "system"), default="light")
    p.add_argument("--presentation", action="store_true", help="presentation mode (large fonts and lines)")
    a = p.parse_args()
    main(a.seconds, a.model, a.preset, a.set, a.out, tuple(int(x) for x in a.size.split("x")),
         a.stop, a.looks, a.theme, a.presentation)
