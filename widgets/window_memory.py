"""The main window's memory across launches: it puts back the geometry, panel arrangement, splitter
sizes, the last model and every model's form when the window opens, and writes them when it closes.
"Reset layout" goes back to the arrangement the window was built with."""
from PySide6.QtCore import QByteArray

from widgets.app_settings import AppSettings

SPLITTERS = ("main_split", "views", "body_split")  # the window's splitters, by attribute name


class WindowMemory:
    def __init__(self, window, settings: AppSettings | None = None):
        self.w = window
        self.settings = settings if settings is not None else AppSettings()
        self._default = self._layout()  # as built, before anything remembered is applied

    def _layout(self) -> dict[str, QByteArray]:
        w = self.w
        layout = {"geometry": w.saveGeometry(), "state": w.saveState()}
        for name in SPLITTERS:
            layout[name] = getattr(w, name).saveState()
        return layout

    def _apply(self, layout: dict) -> None:
        w = self.w
        if layout.get("geometry") is not None:
            w.restoreGeometry(layout["geometry"])
        if layout.get("state") is not None:
            w.restoreState(layout["state"])
        for name in SPLITTERS:
            if layout.get(name) is not None:
                getattr(w, name).restoreState(layout[name])  # returns False on a bad blob: nothing changes

    def restore(self) -> None:
        s, w = self.settings, self.w
        self._apply({key: s.blob(f"layout/{key}") for key in self._default})
        for kind, (preset, values) in self._forms().items():
            w.setup.kept[kind] = (preset, values)
        w.set_appearance(s.text("theme") or "light", s.text("presentation") == "on")
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

    def save(self) -> None:
        s = self.settings
        for key, blob in self._layout().items():
            s.set_blob(f"layout/{key}", blob)
        s.set_model(self.w.setup.kind())
        s.set_text("theme", self.w.appearance.choice)
        s.set_text("presentation", "on" if self.w.appearance.presentation else "off")
        for kind, (preset, values) in self.w.setup.remembered().items():
            s.set_model_form(kind, preset, values)
        s.sync()

    def reset_layout(self) -> None:
        """The arrangement the window was built with (size, panels, splitters); the settings stay."""
        if self.w.isFullScreen():
            self.w.showNormal()
        self._apply(self._default)
