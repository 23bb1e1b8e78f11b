"""The installed Qt binding and pyqtgraph must survive hours of repaints: guard against known bugs."""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import pyqtgraph as pg  # noqa: E402


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_repainting_a_plot_does_not_leak_references_to_none(qtbot):
    # PySide6 6.12.0 loses two references to None per repaint; at ~10 repaints/s None's count reaches
    # zero within minutes and Python aborts ("none_dealloc"). pyproject excludes that release.
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    curve = plot.plot(np.arange(100.0), np.random.rand(100))
    for _ in range(3):
        plot.repaint()
    before = sys.getrefcount(None)
    for _ in range(100):
        curve.setData(np.arange(100.0), np.random.rand(100))
        plot.repaint()
    assert sys.getrefcount(None) >= before - 10, "the Qt binding drops references to None while painting"
