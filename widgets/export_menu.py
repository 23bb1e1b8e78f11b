"""File ▸ Export: the session on screen (an opened one, or the run that has just ended) as CSV, a GIF of
a panel's evolution, a PNG of a panel at the timeline's step, the chosen episode as MP4/GIF, or the
model's weights. Each export reads the file on a background thread; the window says when it is done."""
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog

from studio.errors import StudioError
from studio.session.reader import SessionReader


class ExportMenu(QObject):
    done = Signal(str, bool)  # message, is it an error

    def __init__(self, window, menu):
        super().__init__(window)
        self.w = window
        self.busy = False
        sub = menu.addMenu("&Export")
        self.actions = {
            "csv": QAction("Metrics as CSV…", window, triggered=self.metrics_csv),
            "gif": QAction("Panel evolution as GIF…", window, triggered=self.panel_gif),
            "png": QAction("Panel at the timeline step as PNG…", window, triggered=self.panel_png),
            "episode": QAction("Chosen episode as MP4 or GIF…", window, triggered=self.episode),
            "weights": QAction("Model weights (safetensors or .pt)…", window, triggered=self.weights),
        }
        for act in self.actions.values():
            sub.addAction(act)
        sub.aboutToShow.connect(self.update_actions)
        self.done.connect(self._finished)

    def source(self) -> str | None:
        """The session file an export reads: one being written by a run here is not ready yet."""
        if self.w.viewer.run_state != "idle" or not self.w.session_path:
            return None
        return self.w.session_path

    def update_actions(self) -> None:
        ok = self.source() is not None and not self.busy
        for key, act in self.actions.items():
            act.setEnabled(ok and (key != "episode" or getattr(self.w.player, "episode", None) is not None)
                           and (key not in ("gif", "png") or bool(self.w.grids)))

    # --- the exports ---
    def metrics_csv(self) -> None:
        from studio.session.export import metrics_csv
        out = self._ask("Export the metrics", "metrics.csv", "CSV tables (*.csv)")
        if out:
            self._run(lambda r: f"{metrics_csv(r, out)} steps of metrics", out)

    def panel_gif(self) -> None:
        from studio.session.export_images import panel_gif
        panel = self._panel()
        out = panel and self._ask(f"Export the evolution of {panel}", f"{panel}.gif", "Animated GIF (*.gif)")
        if out:
            self._run(lambda r: f"{panel_gif(r, panel, out)} snapshots of {panel}", out)

    def panel_png(self) -> None:
        from studio.session.export_images import panel_png
        panel = self._panel()
        step = self.w.viewer.step
        name = f"{panel}-step{step}.png" if step is not None else f"{panel}.png"
        out = panel and self._ask(f"Export {panel} as a picture", name, "PNG picture (*.png)")
        if out:
            self._run(lambda r: f"{panel} at step {panel_png(r, panel, out, step):,}", out)

    def episode(self) -> None:
        from studio.session.export_video import episode_video
        chosen = self.w.player.episode
        out = self._ask("Export the episode", f"episode-step{chosen.step}.mp4", "MP4 video (*.mp4);;Animated GIF (*.gif)")
        if not out:
            return

        def export(reader):
            steps = reader.episode_index()["step"].tolist()
            if chosen.step not in steps:
                raise StudioError("that episode is not in the session file (it was not saved)")
            return f"the episode of step {chosen.step:,} ({episode_video(reader, steps.index(chosen.step), out)} frames)"
        self._run(export, out)

    def weights(self) -> None:
        from studio.session.export_weights import export_weights
        out = self._ask("Export the model's weights", "weights.safetensors",
                        "safetensors (*.safetensors);;PyTorch state dict (*.pt)")
        if out:
            self._run(lambda r: f"the weights of step {export_weights(r, out):,}", out)

    # --- helpers ---
    def _finished(self, text: str, error: bool) -> None:
        self.busy = False
        self.w.show_message(text, error)

    def _panel(self) -> str | None:
        keys = list(self.w.grids)
        if len(keys) == 1:
            return keys[0]
        titles = [self.w.grids[k].label or k for k in keys]  # what the panels say on screen, not their keys
        title, ok = QInputDialog.getItem(self.w, "Which panel?", "Panel:", titles, 0, False)
        return keys[titles.index(title)] if ok else None

    def _ask(self, title: str, name: str, filters: str) -> str | None:
        settings = self.w.memory.settings
        folder = settings.folder("export") or str(Path(self.source()).parent)  # where the last export went
        out, chosen = QFileDialog.getSaveFileName(self.w, title, str(Path(folder) / name), filters)
        if out and not Path(out).suffix:  # no suffix typed: the chosen filter's
            out += chosen[chosen.index("*") + 1: chosen.index(")")] if "*" in chosen else ""
        if out:
            settings.set_folder("export", out)
        return out or None

    def _run(self, export, out: str) -> None:
        path = self.source()
        self.busy = True
        self.w.show_message(f"Exporting to {out}…")

        def work():
            try:
                with SessionReader(path) as reader:
                    what = export(reader)
                self.done.emit(f"Exported {what} to {out}.", False)
            except StudioError as exc:
                self.done.emit(f"Not exported: {exc}", True)
            except Exception as exc:  # noqa: BLE001 - a damaged file must not take the window down
                self.done.emit(f"Not exported: {type(exc).__name__}: {exc}", True)
        # Not a daemon: quitting waits for the export, so no temporary file is left behind.
        threading.Thread(target=work, name="export").start()
