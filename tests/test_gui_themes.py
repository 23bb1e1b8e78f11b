"""Themes (issue 13): dark repaints the plots, banner and palette; presentation mode scales the fonts and
the curves; the choice is remembered; a run's panels built later take the theme too."""
import numpy as np
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from widgets.themes import DARK, LIGHT


def background_rgb(widget) -> tuple:
    image = widget.grab().toImage()
    c = image.pixelColor(image.width() - 8, image.height() // 2)  # right edge: background, not a curve
    return c.red(), c.green(), c.blue()


def test_dark_theme_repaints_plots_banner_and_widgets(window, qtbot):
    plots = window.plots
    window.viewer.set_run_state("idle")
    from studio.trainers.base import Series
    plots.setup([Series("a", "A", "loss")])
    light = background_rgb(plots.view)
    window.menus.theme_actions["dark"].trigger()
    qtbot.wait(50)
    assert window.appearance.theme is DARK
    assert background_rgb(plots.view) == (0x1b, 0x1d, 0x21) and light == (255, 255, 255)
    axis = plots.plots["loss"].getAxis("left")
    assert axis.textPen().color().name() == DARK.plot_fg
    assert QApplication.instance().palette().color(QPalette.Window).lightness() < 80
    window.show_message("Not started: bad value", error=True)
    assert DARK.banner_error in window.banner.styleSheet()
    window.menus.theme_actions["light"].trigger()
    assert background_rgb(plots.view) == (255, 255, 255)
    assert LIGHT.banner_error in window.banner.styleSheet()


def test_presentation_mode_scales_fonts_and_lines_and_is_remembered(qtbot, tmp_path):
    from studio.trainers.base import Series
    from widgets.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    base = QApplication.instance().font().pointSizeF()
    w.plots.setup([Series("a", "A", "loss")])
    w.menus.actions["presentation"].trigger()
    w.menus.theme_actions["dark"].trigger()
    assert QApplication.instance().font().pointSizeF() > 1.5 * base
    raw, smooth = w.plots.curves["a"]
    assert smooth.opts["pen"].widthF() >= 3
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.appearance.choice == "dark" and again.appearance.presentation
    assert again.menus.actions["presentation"].isChecked() and again.menus.theme_actions["dark"].isChecked()
    again.menus.actions["presentation"].trigger()      # off again: the font is the base size, not compounded
    assert np.isclose(QApplication.instance().font().pointSizeF(), base)
    again.set_appearance("light", False)
    again.close()


def test_a_runs_panels_take_the_theme(window, qtbot):
    window.set_appearance("dark")
    window.start()
    qtbot.waitUntil(lambda: bool(window.grids), timeout=60000)
    grid = next(iter(window.grids.values()))
    import pyqtgraph as pg
    views = grid.findChildren(pg.GraphicsView)
    assert views and all(v.backgroundBrush().color().name() == DARK.plot_bg for v in views)
    window.stop()
    window.set_appearance("light")
