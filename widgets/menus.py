"""The menu bar: File, Run, View and Help. Every action with a toolbar button or a key is here, with its
shortcut shown beside it (Qt draws the shortcut of an action in a menu)."""
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence

from widgets.export_menu import ExportMenu

DOCS = Path(__file__).resolve().parent.parent / "docs"


class Menus:
    def __init__(self, window):
        self.w = w = window
        bar = w.menuBar()
        self.actions: dict[str, QAction] = {}

        file = bar.addMenu("&File")
        self._add(file, "new", "&New Run", w.new_run, QKeySequence.New,
                  "Close what is on screen and set up a new run")
        file.addAction(w.sessions.act_open)
        self.recent = file.addMenu("Open &Recent")
        self.recent.aboutToShow.connect(self._fill_recent)
        file.addAction(w.sessions.act_list)
        file.addAction(w.sessions.act_compare)
        w.exports = ExportMenu(w.viewer, file, w, w.memory.settings)
        file.addSeparator()
        self._add(file, "quit", "&Quit", w.close, "Ctrl+Q", "Stop the run (it is saved) and quit")

        run = bar.addMenu("&Run")
        for act in (w.act_start, w.act_step, w.act_stop):
            run.addAction(act)
        run.addSeparator()
        self._add(run, "budget", "Run &Budget…", self.edit_budget, "Ctrl+B",
                  "Let the next run end by itself: after N steps, M minutes, or when a metric reaches a value")
        run.addSeparator()
        run.addAction(w.sessions.act_resume)

        view = bar.addMenu("&View")
        self.panels_menu = view.addMenu("&Panels")
        self.show_panels([])
        view.addSeparator()
        self._add(view, "log_y", "Log-Scale &Y", w.plots.set_log_y, "Ctrl+Shift+L",
                  "Curves on a logarithmic y axis (losses that span decades)", checked=False)
        smoothing = view.addMenu("&Smoothing")
        for value, text in ((0, "None (raw points)"), (60, "Light (0.6)"), (90, "Normal (0.9)"), (99, "Heavy (0.99)")):
            act = smoothing.addAction(text)
            act.triggered.connect(lambda *_, v=value: w.plots.smoothing.setValue(v))
        self._add(view, "save_curves", "Save &Curves as Picture…", self._save_curves, "Ctrl+Shift+S",
                  "The curves as on screen, as PNG or SVG")
        view.addSeparator()
        self._add(view, "full_screen", "&Full Screen", self._full_screen, QKeySequence.FullScreen,
                  "Fill the screen (a projector, a small laptop)", checked=False)
        view.addSeparator()
        theme = view.addMenu("&Theme")
        self.theme_group = QActionGroup(w)
        self.theme_actions = {}
        for choice, text in (("light", "&Light"), ("dark", "&Dark"), ("system", "Follow the &System")):
            act = theme.addAction(text)
            act.setCheckable(True)
            act.triggered.connect(lambda *_, c=choice: w.set_appearance(choice=c))
            self.theme_group.addAction(act)
            self.theme_actions[choice] = act
        self._add(view, "presentation", "&Presentation Mode", lambda on: w.set_appearance(presentation=on),
                  "Ctrl+Shift+P", "Large fonts and lines, to read from the back of a classroom", checked=False)
        view.addSeparator()
        self._add(view, "reset_layout", "&Reset Layout", w.memory.reset_layout, None,
                  "Back to the window's first size and arrangement")

        help_ = bar.addMenu("&Help")
        self._add(help_, "shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, QKeySequence.HelpContents,
                  "Every key of the window")
        self._add(help_, "format", "&Session File Format", lambda: self._open(DOCS / "session-format.md"), None,
                  "What a session's HDF5 file holds, for reading it in other programs")
        self._add(help_, "logs", "Open the &Log Folder", self._open_logs, None,
                  "Where the app writes what went wrong, to attach to a report")
        help_.addSeparator()
        self._add(help_, "about", "&About Training Studio", self.show_about, None,
                  "Versions of the app, torch, Qt and the device it trains on")

    def _add(self, menu, key, text, slot, shortcut, tip, checked=None) -> QAction:
        act = QAction(text, self.w)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setToolTip(tip)
        act.setStatusTip(tip)
        if checked is not None:
            act.setCheckable(True)
            act.setChecked(checked)
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda *_: slot())
        menu.addAction(act)
        self.actions[key] = act
        return act

    def all_actions(self) -> list[tuple[str, QAction]]:
        """(menu path, action) for every item of the menu bar, submenus included."""
        found = []

        def walk(menu, path):
            for act in menu.actions():
                if act.menu() is not None:
                    walk(act.menu(), f"{path} ▸ {act.menu().title().replace('&', '')}")
                elif not act.isSeparator():
                    found.append((path, act))

        for top in self.w.menuBar().actions():
            if top.menu() is not None:
                walk(top.menu(), top.menu().title().replace("&", ""))
        return found

    def edit_budget(self) -> None:
        from widgets.budget_dialog import BudgetDialog
        w = self.w
        info = w.info if w.info is not None and w.info.kind == w.setup.kind() else None
        metrics = [s.key for s in info.series] if info is not None else []
        dialog = BudgetDialog(w.budget, metrics, w)
        if dialog.exec():
            w.set_budget(dialog.budget)
            if w.state != "idle":
                w.show_message(f"Run budget {dialog.budget.describe()}: it applies to the next run.")

    def show_panels(self, panel_actions) -> None:
        """View ▸ Panels: show or hide each dock (the model's panels change with the run on screen)."""
        menu = self.panels_menu
        menu.clear()
        for dock in (self.w.settings_dock, self.w.events_dock):
            menu.addAction(dock.toggleViewAction())
        if panel_actions:
            menu.addSeparator()
            for act in panel_actions:
                menu.addAction(act)

    def show_appearance(self, choice: str, presentation: bool) -> None:
        """Check the items that match the appearance (without triggering them again)."""
        self.theme_actions[choice].setChecked(True)
        act = self.actions["presentation"]
        act.blockSignals(True)
        act.setChecked(presentation)
        act.blockSignals(False)

    # --- File ▸ Open Recent ---
    def _fill_recent(self) -> None:
        self.recent.clear()
        paths = self.w.memory.settings.recent()
        for path in paths:
            act = self.recent.addAction(path)
            act.setEnabled(Path(path).exists())
            act.triggered.connect(lambda *_, p=path: self.w.open_session(p))
        if not paths:
            self.recent.addAction("No recent sessions").setEnabled(False)
        self.recent.addSeparator()
        clear = self.recent.addAction("Clear the List")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.w.memory.settings.clear_recent)

    # --- View ---
    def _full_screen(self, on: bool) -> None:
        if on:
            self.w.showFullScreen()
        else:
            self.w.showNormal()

    def _save_curves(self) -> None:
        from PySide6.QtWidgets import QFileDialog
        settings = self.w.memory.settings
        folder = Path(settings.folder("export") or Path.home())
        out, chosen = QFileDialog.getSaveFileName(self.w, "Save the curves", str(folder / "curves.png"),
                                                  "PNG picture (*.png);;SVG drawing (*.svg)")
        if not out:
            return
        if not Path(out).suffix:
            out += ".svg" if "svg" in chosen else ".png"
        try:
            self.w.plots.save_picture(out)
        except Exception as exc:  # noqa: BLE001 - a full disk or a bad path: one line, the window goes on
            self.w.show_message(f"Not saved: {type(exc).__name__}: {exc}", error=True)
            return
        settings.set_folder("export", out)
        self.w.show_message(f"Saved the curves to {out}.")

    # --- Help ---
    def show_shortcuts(self) -> None:
        from widgets.help_dialogs import ShortcutsDialog
        ShortcutsDialog(self.all_actions(), self.w).exec()

    def show_about(self) -> None:
        from widgets.help_dialogs import show_about
        show_about(self.w)

    def _open_logs(self) -> None:
        from studio.app_log import log_dir
        folder = log_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.w.show_message(f"The log folder {folder} cannot be made: {exc.strerror}.", error=True)
            return
        self._open(folder)

    def _open(self, path: Path) -> None:
        if not path.exists():
            self.w.show_message(f"{path} is missing from this installation.", error=True)
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.w.show_message(f"No program here opens {path}; it is at that path.", error=True)
