"""One number per named item as horizontal bars, e.g. the Q-value of every action of a game agent with
the action's name; the largest (the action a greedy agent takes) is marked. Horizontal, so that the
names of up to 18 Atari actions (UPRIGHTFIRE, …) stay readable beside their bars."""
import numpy as np
import pyqtgraph as pg

from widgets.panel_view import PanelView

PLAIN, CHOSEN = pg.mkColor("#9fb6cd"), pg.mkColor("#d62728")


class ValueBars(PanelView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = self.view.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)  # the first action on top, as the game's manual lists them
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7)
        self.plot.addItem(self.bars)
        self.layout().addWidget(self.view)
        self.names: tuple = ()
        self.chosen: int | None = None  # the marked action (the largest value)

    def setup(self, panel) -> None:
        super().setup(panel)
        self.names = tuple(panel.names)
        self.plot.getAxis("left").setTicks([[(i, n) for i, n in enumerate(self.names)]])
        self.plot.setYRange(-0.6, len(self.names) - 0.4, padding=0)
        self.bars.setOpts(x0=[], y=[], width=[])
        self.chosen = None

    def show_content(self, step: int, values) -> None:
        values = np.asarray(values, np.float64)
        if len(values) != len(self.names) or not np.all(np.isfinite(values)):
            return  # a NaN run halts on its own; bars of nothing would only mislead
        self.chosen = int(values.argmax())
        brushes = [CHOSEN if i == self.chosen else PLAIN for i in range(len(values))]
        self.bars.setOpts(x0=np.minimum(values, 0), y=np.arange(len(values)), width=np.abs(values),
                          brushes=brushes)
        self._titled(step)
