"""Readable curves (issue 13): the hover readout gives the kept values exactly, log-scale y, and the
curves saved as PNG and SVG."""
import numpy as np
from PySide6.QtCore import QPointF

from studio.sinks import MetricBatch
from studio.trainers.base import Series


def plots_with_data(qtbot):
    from widgets.metric_plots import MetricPlots
    p = MetricPlots()
    qtbot.addWidget(p)
    p.resize(600, 400)
    p.show()
    p.setup([Series("loss_d", "D loss", "losses"), Series("loss_g", "G loss", "losses"),
             Series("score", "score", "quality", smooth=False, sparse=True)])
    steps = np.arange(0, 1000, 10)
    p.add_batch(MetricBatch({"loss_d": (steps, np.exp(-steps / 300.0)), "loss_g": (steps, 1 + 0 * steps),
                             "score": (steps[::10], steps[::10] / 10.0)}))
    p.refresher.now()
    return p


def test_hover_readout_equals_the_kept_points(qtbot):
    p = plots_with_data(qtbot)
    rows = p.readout.rows("losses", 437)  # between points: the newest at or before 437 is step 430
    assert [(label, at) for label, at, *_ in rows] == [("D loss", 430), ("G loss", 430)]
    assert rows[0][2] == np.exp(-430 / 300.0) and rows[1][2] == 1.0
    buf = p.buffers["loss_d"]
    assert rows[0][3] == buf.smooth[43]
    assert p.readout.rows("quality", 437) == [("score", 400, 40.0, None)]  # unsmoothed: no second number
    assert p.readout.rows("losses", -5) == []
    # A real mouse move over the first plot shows its crosshair and the same numbers.
    box = p.plots["losses"].getViewBox()
    scene_pos = box.mapViewToScene(QPointF(437, 0.5))
    p.readout._moved((scene_pos,))
    assert p.readout.shown is not None and p.readout.shown[0] == "losses"
    name, rows_shown = p.readout.shown
    assert rows_shown[0][1] == p.readout.rows("losses", rows_shown[0][1] + 0.5)[0][1]
    assert "D loss: " + f"{np.exp(-rows_shown[0][1] / 300.0):.4g}" in p.readout.label.textItem.toPlainText()
    assert p.readout.lines["losses"].isVisible()
    p.readout._moved((QPointF(-50, -50),))   # off the plots: hidden
    assert not p.readout.label.isVisible()


def test_log_scale_and_saving_the_curves(qtbot, tmp_path):
    p = plots_with_data(qtbot)
    p.set_log_y(True)
    assert all(plot.ctrl.logYCheck.isChecked() for plot in p.plots.values())
    assert p.plots["losses"].viewRange()[1][0] < -0.5   # log10 of exp(-990/300) ≈ -1.4 is in view
    p.set_log_y(False)
    assert p.plots["losses"].viewRange()[1][0] > -0.5
    p.save_picture(tmp_path / "curves.png")
    p.save_picture(tmp_path / "curves.svg")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "curves.svg").read_text()
    assert "<svg" in svg and ("polyline" in svg or "<path" in svg)
