"""The sessions list (a table of a folder's sessions: open one, compare several) and the compare view
(the curves of several sessions overlaid, with the settings that differ in the legend)."""
import numpy as np
from PySide6.QtCore import Qt

from studio.session.reader import SessionReader
from studio.trainers import quality_series as Q
from widgets.compare_view import CompareView
from widgets.sessions_list import COLUMNS, SessionsList

from helpers_gui import TINY, saved_gan


def _two_gans(tmp_path):
    from dataclasses import replace

    from studio.control import Control
    from studio.run_settings import RunSettings
    from studio.runs import make_runner, new_run
    a = saved_gan(tmp_path, steps=30, name="a.h5")
    b = tmp_path / "b.h5"
    make_runner(new_run("gan", replace(TINY, lr_g=0.003), RunSettings(seed=1, device="cpu"), b), Control(),
                max_steps=20, preview_seconds=None).run()
    return a, b


def test_the_list_shows_the_folder_and_asks_to_open_or_compare(qtbot, tmp_path):
    a, b = _two_gans(tmp_path)
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n" + b"x" * 500)
    dialog = SessionsList(folder=tmp_path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.status.text() == "3 sessions", timeout=30000)
    table = dialog.table
    files = {table.item(r, COLUMNS.index("File")).text(): r for r in range(table.rowCount())}
    assert set(files) == {"a.h5", "b.h5", "bad.h5"}
    assert table.item(files["a.h5"], COLUMNS.index("Steps")).text() == "30"
    assert table.item(files["bad.h5"], 0).foreground().color() == Qt.darkRed
    table.sortItems(COLUMNS.index("Steps"))                        # by the number, not the text
    steps = [table.item(r, COLUMNS.index("Steps")).text() for r in range(3)]
    assert steps == ["", "20", "30"]  # the damaged file has no steps to show
    with qtbot.waitSignal(dialog.openRequested) as opened:
        row = [r for r in range(3) if table.item(r, COLUMNS.index("File")).text() == "b.h5"][0]
        table.itemDoubleClicked.emit(table.item(row, 1))
    assert opened.args == [str(b)]
    table.selectAll()
    assert dialog.btn_compare.isEnabled() and not dialog.btn_open.isEnabled()
    with qtbot.waitSignal(dialog.compareRequested) as compared:
        dialog.btn_compare.click()
    assert sorted(compared.args[0]) == sorted(map(str, (a, b, tmp_path / "bad.h5")))


def test_the_compare_view_overlays_each_sessions_curves(qtbot, tmp_path):
    a, b = _two_gans(tmp_path)
    view = CompareView([a, b])
    qtbot.addWidget(view)
    view.smoothing.setValue(0)                                     # raw points, to compare with the file
    assert set(view.plots) == {"loss", "D output", Q.FD_PLOT, Q.COVER_PLOT}
    for path in (a, b):
        with SessionReader(path) as r:
            steps, values = r.series("loss_d")
        x, y = view.curves[(str(path), "loss_d")].getOriginalDataset()
        assert np.array_equal(x, steps) and np.allclose(y, values)
    names = [item.text for _, item in view.plots["loss"].legend.items]
    # The settings that differ, named as the form names them.
    assert any("a: D loss (G learning rate = 0.001" in n for n in names)
    assert any("b: D loss (G learning rate = 0.003" in n for n in names)
    colors = {view.curves[(str(p), "loss_d")].opts["pen"].color().name() for p in (a, b)}
    assert len(colors) == 2                                        # one colour per session
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"nothing")
    assert not view.add_session(bad) and "Not added" in view.message.text()
    view.remove_session(b)
    assert (str(b), "loss_d") not in view.curves and "Add another" in view.message.text()


def test_sessions_are_added_from_the_compare_view_and_refusals_stay_shown(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QPushButton
    a, b = _two_gans(tmp_path)
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"nothing")
    view = CompareView([bad, a])
    qtbot.addWidget(view)
    assert "Not added" in view.message.text() and "Add another" in view.message.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kw: ([str(b)], ""))
    [add] = [btn for btn in view.findChildren(QPushButton) if btn.text().startswith("Add")]
    add.click()
    assert (str(b), "loss_d") in view.curves and (str(a), "loss_d") in view.curves
    assert "Not added" in view.message.text() and "2 sessions" in view.message.text()
