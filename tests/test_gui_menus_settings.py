"""Desktop conventions (issue 13): every menu action with its shortcut, what the window remembers across
two instances, a corrupt settings store, Reset Layout, New Run, and the Help dialogs."""
import os
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QToolBar

from helpers_gui import saved_gan

EXPECTED = {  # (menu, item) -> shortcut ("" = none): what a person finds in the menus
    ("File", "New Run"): "Ctrl+N", ("File", "Open Session…"): "Ctrl+O", ("File", "Sessions…"): "Ctrl+L",
    ("File", "Compare Sessions…"): "", ("File", "Quit"): "Ctrl+Q",
    ("Run", "Start"): "Space", ("Run", "Step"): "S", ("Run", "Stop"): "Ctrl+.", ("Run", "Resume session"): "Ctrl+R",
    ("Run", "Run Budget…"): "Ctrl+B",
    ("View", "Log-Scale Y"): "Ctrl+Shift+L", ("View", "Save Curves as Picture…"): "Ctrl+Shift+S",
    ("View", "Presentation Mode"): "Ctrl+Shift+P", ("View ▸ Theme", "Dark"): "", ("View ▸ Smoothing", "None (raw points)"): "",
    ("View ▸ Panels", "Settings"): "", ("View ▸ Panels", "Events"): "", ("View", "Full Screen"): "F11", ("View", "Reset Layout"): "",
    ("Help", "Keyboard Shortcuts"): "F1", ("Help", "Session File Format"): "", ("Help", "Open the Log Folder"): "",
    ("Help", "About Training Studio"): "",
}


def menu_items(w) -> dict:
    return {(path, act.text().replace("&", "")): act.shortcut().toString() for path, act in w.menus.all_actions()}


def test_every_action_is_in_a_menu_with_its_shortcut(window):
    items = menu_items(window)
    for key, shortcut in EXPECTED.items():
        assert key in items, f"missing menu item {key}"
        assert items[key] == shortcut, f"{key}: {items[key]!r} instead of {shortcut!r}"
    assert ("File ▸ Export", "Metrics as CSV…") in items
    in_menus = {id(act) for _, act in window.menus.all_actions()}
    toolbar = [a for a in window.findChild(QToolBar, "run-toolbar").actions() if not a.isSeparator()]
    assert toolbar and all(id(a) in in_menus for a in toolbar)  # every toolbar button is in a menu too


def test_the_window_remembers_model_form_splitters_and_recent_sessions(qtbot, tmp_path, monkeypatch):
    from widgets.main_window import MainWindow
    monkeypatch.setenv("TRAINING_STUDIO_SESSIONS", str(tmp_path))
    session = saved_gan(tmp_path, steps=20)

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.setup.select_model("vae")
    first.setup.preset.setCurrentText("2-D latent (manifold view)")
    first.setup._preset_picked()
    first.setup.form.set_values(replace(first.setup.config(), lr=0.0042))
    first.addDockWidget(Qt.RightDockWidgetArea, first.events_dock)  # the events moved to the right
    assert first.open_session(session)
    first.splitDockWidget(first.docks.docks["samples"], first.events_dock, Qt.Vertical)  # under the samples
    first.docks.docks["samples"].setFloating(True)                   # and the samples floated
    first.setup.select_model("vae")           # opening showed the GAN's settings; back to the VAE's form
    first.resize(761, 557)  # inside the offscreen screen (800×600): restoreGeometry keeps a window on screen
    first.close()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.setup.kind() == "vae"
    assert second.setup.preset.currentText() == "2-D latent (manifold view)"
    config = second.setup.config()
    assert config.lr == 0.0042 and config.latent_dim == 2
    assert (second.width(), second.height()) == (761, 557)
    assert second.dockWidgetArea(second.events_dock) == Qt.RightDockWidgetArea
    assert second.memory.settings.recent() == [os.path.abspath(session)]
    second.menus._fill_recent()
    recent = [a for a in second.menus.recent.actions() if a.text() == os.path.abspath(session)]
    assert recent and recent[0].isEnabled()
    recent[0].trigger()
    assert second.viewed is not None and second.setup.kind() == "gan"
    assert second.docks.docks["samples"].isFloating()                # the GAN's panels as they were left
    second.close()


def test_switching_models_keeps_each_models_values_within_a_launch(window):
    window.setup.select_model("vae")
    window.setup.form.set_values(replace(window.setup.config(), beta=3.5))
    window.setup.select_model("gan")
    window.setup.select_model("vae")
    assert window.setup.config().beta == 3.5


def test_a_corrupt_or_foreign_settings_file_never_stops_the_app(qtbot, tmp_path):
    from widgets.main_window import MainWindow
    path = os.environ["TRAINING_STUDIO_SETTINGS"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x00\xff[v1]\nmodel=@Variant(\x00\x00\x00\x7f\x00\x00\x00garbage\nrecent={not json\n"
                b"forms%2Fvae={\"preset\": 3, \"values\": [1, 2]}\nlayout%2Fgeometry=12\n" + os.urandom(300))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.setup.kind() == "gan" and w.memory.settings.recent() == []
    w.setup.select_model("vae")
    assert w.setup.config().latent_dim == 16        # the preset's values, not the garbage
    w.close()                                        # and saving over it works
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.setup.kind() == "vae"
    again.close()


def test_reset_layout_and_new_run(window, tmp_path):
    assert window.open_session(saved_gan(tmp_path, steps=20))
    samples = window.docks.docks["samples"]
    window.settings_dock.close()
    window.addDockWidget(Qt.TopDockWidgetArea, window.events_dock)
    samples.setFloating(True)
    window.menus.actions["reset_layout"].trigger()
    assert window.settings_dock.isVisible() and window.dockWidgetArea(window.settings_dock) == Qt.LeftDockWidgetArea
    assert window.dockWidgetArea(window.events_dock) == Qt.BottomDockWidgetArea
    assert not samples.isFloating() and window.dockWidgetArea(samples) == Qt.RightDockWidgetArea
    toggles = [a.text() for a in window.menus.panels_menu.actions() if not a.isSeparator()]
    panels = [window.docks.docks[k].windowTitle() for k in ("samples", "samples_ema")]
    assert toggles == ["Settings", "Events", *panels]                # View ▸ Panels lists the run's panels
    window.menus.actions["new"].trigger()
    assert window.viewed is None and window.view_stack.currentWidget() is window.hint
    assert [a.text() for a in window.menus.panels_menu.actions()] == ["Settings", "Events"]


def test_help_dialogs_list_the_shortcuts_and_versions(window):
    import torch
    from widgets.help_dialogs import ShortcutsDialog, shortcut_rows, versions
    rows = shortcut_rows(window.menus.all_actions())
    keys = {(where, keys) for where, keys, _ in rows}
    assert ("File", QKeySequence("Ctrl+Q").toString(QKeySequence.NativeText)) in keys
    assert ("Run", "Space") in keys
    dialog = ShortcutsDialog(window.menus.all_actions(), window)
    assert dialog.table.rowCount() == len(rows)
    found = dict(versions())
    assert found["torch"] == torch.__version__ and found["Trains on"]
