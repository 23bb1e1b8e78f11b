"""One number per named item as horizontal bars, e.g. the Q-value of every action of a game agent with
the action's name; one bar is marked (the largest: the action a greedy agent takes; in the episode
player, the action actually taken). Horizontal, so that the names of up to 18 Atari actions
(UPRIGHTFIRE, …) stay readable beside their bars."""
import numpy as np
import pyqtgraph as pg

from widgets.panel_view import PanelView

PLAIN, CHOSEN = pg.mkColor("#9fb6cd"), pg.mkColor("#d62728")


class NamedBars:
    """Horizontal bars on a pyqtgraph layout, one per name, the first on top."""

    def __init__(self, layout: pg.GraphicsLayout):
        self.plot = layout.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)  # the first action on top, as the game's manual lists them
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7)
        self.plot.addItem(self.bars)
        self.names: tuple = ()
        self.chosen: int | None = None

    def set_names(self, names) -> None:
        self.names = tuple(names)
        self.plot.getAxis("left").setTicks([[(i, n) for i, n in enumerate(self.names)]])
        self.plot.setYRange(-0.6, len(self.names) - 0.4, padding=0)
        self.clear()

    def clear(self) -> None:
        self.bars.setOpts(x0=[], y=[], width=[])
        self.chosen = None

    def fix_range(self, low: float, high: float) -> None:
        """Keep the value axis still (an episode's whole range) rather than following every frame."""
        low, high = min(0.0, low), max(0.0, high)
        self.plot.setXRange(low, high + 0.05 * (high - low or 1), padding=0)

    def draw(self, values, chosen: int | None = None) -> bool:
        """Bars for `values`, the bar `chosen` marked (default: the largest); False if they cannot be drawn."""
        values = np.asarray(values, np.float64)
        if len(values) != len(self.names) or not np.all(np.isfinite(values)):
            return False  # a NaN run halts on its own; bars of nothing would only mislead
        self.chosen = int(values.argmax()) if chosen is None else chosen
        brushes = [CHOSEN if i == self.chosen else PLAIN for i in range(len(values))]
        self.bars.setOpts(x0=np.minimum(values, 0), y=np.arange(len(values)), width=np.abs(values),
                          brushes=brushes)
        return True


class ValueBars(PanelView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.named = NamedBars(self.view)
        self.plot, self.bars = self.named.plot, self.named.bars
        self.layout().addWidget(self.view)

    @property
    def names(self) -> tuple:
        return self.named.names

    @property
    def chosen(self) -> int | None:
        return self.named.chosen

    def setup(self, panel) -> None:
        super().setup(panel)
        self.named.set_names(panel.names)

    def show_content(self, step: int, values) -> None:
        if self.named.draw(values):
            self._titled(step)
