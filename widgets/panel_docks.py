"""The model's panels as dock widgets: each image grid, scatter, bar chart, game view and the episode player
is a panel a person can move, tab together, float and close. The curves stay in the middle.

A run or an opened session builds one dock per panel (named by the panel's key, so a saved arrangement
finds them again) in a default arrangement: two columns to the right of the curves, or, for a tall game
(Atari), the game beside its other panels with the episode player under them. The arrangement a person
makes is remembered per set of panels (a GAN's differs from an Atari agent's): `signature()` names it."""
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from widgets.episode_player import EpisodePlayer
from widgets.game_view import GameView
from widgets.image_grid import ImageGrid
from widgets.latent_scatter import LatentScatter
from widgets.value_bars import ValueBars

VIEW_OF_KIND = {"points": LatentScatter, "values": ValueBars, "frame": GameView}
PANEL_SHARE = 0.55   # of the window's width for two columns of panels (0.37 for one)
FEATURES = QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable | QDockWidget.DockWidgetClosable


def make_dock(window, name: str, title: str, widget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # saveState()/restoreState() find docks by this
    dock.setFeatures(FEATURES)
    dock.setWidget(widget)
    return dock


class PanelDocks:
    def __init__(self, window):
        self.w = window
        self.docks: dict[str, QDockWidget] = {}   # panel key (or "player") -> its dock
        self.grids: dict = {}                     # panel key -> its view
        self.player: EpisodePlayer | None = None
        self._panels, self._episodes = [], None

    def signature(self) -> str:
        return ",".join(self.docks) or "none"

    def build(self, panels, episodes) -> None:
        """One dock per panel (and the episode player), in the default arrangement."""
        self.remove()
        self._panels, self._episodes = list(panels), episodes
        for panel in panels:
            view = VIEW_OF_KIND.get(panel.kind, ImageGrid)()
            view.setup(panel)
            view.docked(lines=2 if panel.kind == "points" else 1)  # a scatter's title also says "held while you pick"
            self.grids[panel.key] = view
            self.docks[panel.key] = make_dock(self.w, f"panel:{panel.key}", panel.label, view)
        if episodes is not None:
            self.player = EpisodePlayer()
            self.player.setup(episodes)
            self.docks["player"] = make_dock(self.w, "panel:player", "Episode player", self.player)
        self.arrange()

    def arrange(self) -> None:
        """The default arrangement (also View ▸ Reset Layout)."""
        w, panels, episodes = self.w, self._panels, self._episodes
        docks = [self.docks[p.key] for p in panels]
        player = self.docks.get("player")
        for dock in docks + ([player] if player else []):
            dock.setFloating(False)
            w.addDockWidget(Qt.RightDockWidgetArea, dock)
            dock.show()
        tall = bool(panels) and episodes is not None and episodes.frame_shape[0] >= episodes.frame_shape[1]
        cols = 1 if episodes is not None and not tall else 2
        if tall:  # the game on the left, its other panels stacked beside it, the player under both
            if len(docks) > 1:
                w.splitDockWidget(docks[0], docks[1], Qt.Horizontal)
                for above, below in zip(docks[1:], docks[2:]):
                    w.splitDockWidget(above, below, Qt.Vertical)
            if player:
                w.splitDockWidget(docks[0], player, Qt.Vertical)
        else:
            columns = [docks[c::cols] for c in range(cols)]
            for c in range(1, cols):
                if columns[c]:
                    w.splitDockWidget(columns[0][0], columns[c][0], Qt.Horizontal)
            for column in columns:
                for above, below in zip(column, column[1:]):
                    w.splitDockWidget(above, below, Qt.Vertical)
            if player:
                w.splitDockWidget(docks[-1] if docks else player, player, Qt.Vertical)
        shown = len(docks) + (player is not None)
        share = {0: 0.0, 1: 0.37}.get(shown, PANEL_SHARE)
        if docks and share:  # a share of the room beside the settings, as the curves need the rest
            room = w.width() - (w.settings_dock.width() if w.settings_dock.isVisible() and not w.settings_dock.isFloating() else 0)
            columns = 2 if tall and len(docks) > 1 else cols
            width = int(room * share / columns)
            firsts = [docks[0]] + ([docks[1]] if len(docks) > 1 and columns > 1 else [])
            w.resizeDocks(firsts, [width] * len(firsts), Qt.Horizontal)

    def remove(self) -> None:
        for key, dock in self.docks.items():
            if key == "player" and self.player is not None:
                self.player.pause()
                self.player.close_worker()
            self.w.removeDockWidget(dock)
            dock.setParent(None)
            dock.deleteLater()
        self.docks.clear()
        self.grids.clear()
        self.player = None

    def toggle_actions(self) -> list:
        """Each panel's show/hide action, for View ▸ Panels."""
        return [dock.toggleViewAction() for dock in self.docks.values()]
