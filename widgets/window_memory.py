"""The main window's memory across launches: it puts back the geometry and dock arrangement, the last
model and every model's form, the theme, when the window opens, and writes them when it closes. The
arrangement of a model's panel docks is remembered per set of panels (PanelDocks.signature), as those
docks exist only while a run or a session shows them. "Reset layout" goes back to the arrangement the
window was built with."""
from PySide6.QtCore import QByteArray

from widgets.app_settings import AppSettings


class WindowMemory:
    def __init__(self, window, settings: AppSettings | None = None):
        self.w = window
        self.settings = settings if settings is not None else AppSettings()
        self._default = self._layout()  # as built, before anything remembered is applied

    def _layout(self) -> dict[str, QByteArray]:
        return {"geometry": self.w.saveGeometry(), "state": self.w.saveState()}

    def _apply(self, layout: dict) -> None:
        w = self.w
        if layout.get("geometry") is not None:
            w.restoreGeometry(layout["geometry"])  # False on a bad blob: nothing changes
        if layout.get("state") is not None:
            w.restoreState(layout["state"])

    def restore(self) -> None:
        s, w = self.settings, self.w
        self._apply({key: s.blob(f"layout/{key}") for key in self._default})
        w.set_appearance(s.text("theme") or "light", s.text("presentation") == "on")
        for kind, (preset, values) in self._forms().items():
            w.setup.kept[kind] = (preset, values)
        kind = s.model()
        if kind is not None and w.setup.model.findData(kind) >= 0:
            w.setup.select_model(kind)
        w.setup.restore_form(w.setup.kind())  # select_model does it only when the model changed

    def _forms(self) -> dict:
        from studio.trainers.registry import TRAINERS
        forms = {}
        for kind in TRAINERS:
            remembered = self.settings.model_form(kind)
            if remembered is not None:
                forms[kind] = remembered
        return forms

    def save_docks(self) -> None:
        """The panel docks' arrangement, under the name of this set of panels."""
        if self.w.docks.docks:
            self.settings.set_blob(f"docks/{self.w.docks.signature()}", self.w.saveState())

    def restore_docks(self) -> None:
        blob = self.settings.blob(f"docks/{self.w.docks.signature()}")
        if blob is not None:
            self.w.restoreState(blob)

    def save(self) -> None:
        s = self.settings
        self.save_docks()
        for key, blob in self._layout().items():
            s.set_blob(f"layout/{key}", blob)
        s.set_model(self.w.setup.kind())
        s.set_text("theme", self.w.appearance.choice)
        s.set_text("presentation", "on" if self.w.appearance.presentation else "off")
        for kind, (preset, values) in self.w.setup.remembered().items():
            s.set_model_form(kind, preset, values)
        s.sync()

    def reset_layout(self) -> None:
        """The arrangement the window was built with (size, settings and events docks, the panels'
        default places); the other settings stay."""
        w = self.w
        if w.isFullScreen():
            w.showNormal()
        self._apply(self._default)
        for dock in (w.settings_dock, w.events_dock):
            dock.setFloating(False)
            dock.show()
        w.docks.arrange()
