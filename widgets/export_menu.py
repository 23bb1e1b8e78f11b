"""File ▸ Export: the session on screen (an opened one, or the run that has just ended) as CSV, a GIF of
a panel's evolution, a PNG of a panel at the timeline's step, the chosen episode as MP4/GIF, or the
model's weights. What is on screen comes from the viewer state (studio/viewer/state.py), not the window.
Each export reads the file on a background thread; the banner says when it is done."""
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog

from studio.errors import StudioError
from studio.session.reader import SessionReader


class ExportMenu(QObject):
    done = Signal(str, bool)  # message, is it an error

    def __init__(self, state, menu, parent, settings):
        super().__init__(parent)
        self.state, self.parent_widget, self.settings = state, parent, settings
        self.busy = False
        sub = menu.addMenu("&Export")
        self.actions = {
            "csv": QAction("Metrics as CSV…", parent, triggered=self.metrics_csv),
            "gif": QAction("Panel evolution as GIF…", parent, triggered=self.panel_gif),
            "png": QAction("Panel at the timeline step as PNG…", parent, triggered=self.panel_png),
            "episode": QAction("Chosen episode as MP4 or GIF…", parent, triggered=self.episode),
            "weights": QAction("Model weights (safetensors or .pt)…", parent, triggered=self.weights),
        }
        for act in self.actions.values():
            sub.addAction(act)
        sub.aboutToShow.connect(self.update_actions)
        self.done.connect(self._finished)

    def source(self) -> str | None:
        """The session file an export reads: one being written by a run here is not ready yet."""
        if self.state.run_state != "idle" or not self.state.session_path:
            return None
        return self.state.session_path

    def _panels(self) -> list:
        return list(getattr(self.state.source, "panels", None) or [])

    def update_actions(self) -> None:
        ok = self.source() is not None and not self.busy
        for key, act in self.actions.items():
            act.setEnabled(ok and (key != "episode" or self.state.episode is not None)
                           and (key not in ("gif", "png") or bool(self._panels())))

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
        step = self.state.step
        name = f"{panel}-step{step}.png" if step is not None else f"{panel}.png"
        out = panel and self._ask(f"Export {panel} as a picture", name, "PNG picture (*.png)")
        if out:
            self._run(lambda r: f"{panel} at step {panel_png(r, panel, out, step):,}", out)

    def episode(self) -> None:
        from studio.session.export_video import episode_video
        chosen = self.state.episode
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
        self.state.say(text, error)

    def _panel(self) -> str | None:
        panels = self._panels()
        keys = [p.key for p in panels]
        if len(keys) == 1:
            return keys[0]
        titles = [p.label or p.key for p in panels]  # what the panels say on screen, not their keys
        title, ok = QInputDialog.getItem(self.parent_widget, "Which panel?", "Panel:", titles, 0, False)
        return keys[titles.index(title)] if ok else None

    def _ask(self, title: str, name: str, filters: str) -> str | None:
        settings = self.settings
        folder = settings.folder("export") or str(Path(self.source()).parent)  # where the last export went
        out, chosen = QFileDialog.getSaveFileName(self.parent_widget, title, str(Path(folder) / name), filters)
        if out and not Path(out).suffix:  # no suffix typed: the chosen filter's
            out += chosen[chosen.index("*") + 1: chosen.index(")")] if "*" in chosen else ""
        if out:
            settings.set_folder("export", out)
        return out or None

    def _run(self, export, out: str) -> None:
        path = self.source()
        self.busy = True
        self.state.say(f"Exporting to {out}…")

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
