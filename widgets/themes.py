"""Light, dark and "follow the system" themes, and the presentation mode for a projector.

Qt widgets follow the application palette (under the Fusion style, which draws with it on every
platform). The plots are pyqtgraph items with colours of their own, so applying a theme also walks every
plot view of the window and sets their background, axes, titles and legends; views built later take the
colours from pyqtgraph's defaults, which are set here too. The presentation mode scales the fonts and
the curve lines so that they read from the back of a classroom."""
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

CHOICES = ("light", "dark", "system")
PRESENTATION_SCALE = 1.6   # fonts and lines on a projector


@dataclass(frozen=True)
class Theme:
    name: str
    dark: bool
    plot_bg: str
    plot_fg: str
    banner_ok: str
    banner_error: str
    banner_text: str
    readout_fill: tuple


LIGHT = Theme("light", False, "#ffffff", "#202020", "#e6f2e6", "#fde2e1", "#111111", (255, 255, 255, 225))
DARK = Theme("dark", True, "#1b1d21", "#d6d6d6", "#1f3d27", "#5a2424", "#f0f0f0", (40, 42, 48, 225))


def system_is_dark() -> bool:
    """Qt ≥ 6.5 reports the desktop's colour scheme; before that (or when it says nothing), a dark
    system palette is the sign."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", lambda: None)()
    if scheme is not None and scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.Window).lightness() < 128


def resolve(choice: str) -> Theme:
    if choice == "dark" or (choice == "system" and system_is_dark()):
        return DARK
    return LIGHT


def _palette(theme: Theme) -> QPalette:
    app = QApplication.instance()
    if not theme.dark:
        return app.style().standardPalette()
    p = QPalette()
    colors = {QPalette.Window: "#26282d", QPalette.WindowText: "#e6e6e6", QPalette.Base: "#1b1d21",
              QPalette.AlternateBase: "#2c2f35", QPalette.ToolTipBase: "#2c2f35", QPalette.ToolTipText: "#e6e6e6",
              QPalette.Text: "#e6e6e6", QPalette.Button: "#32353b", QPalette.ButtonText: "#e6e6e6",
              QPalette.BrightText: "#ff6b6b", QPalette.Link: "#6cb4ff", QPalette.Highlight: "#3d7bd9",
              QPalette.HighlightedText: "#ffffff", QPalette.PlaceholderText: "#8a8d93"}
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#777a80"))
    return p


_BASE_FONT: QFont | None = None  # the application's font before any presentation scaling


class Appearance:
    """The application's theme and presentation mode; `set(..., roots)` restyles windows' plots."""

    def __init__(self):
        global _BASE_FONT
        app = QApplication.instance()
        self.choice, self.presentation = "light", False
        self.theme = LIGHT
        if _BASE_FONT is None:
            _BASE_FONT = QFont(app.font())
        self._base_font = _BASE_FONT
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")  # the one style that draws a dark palette the same everywhere

    def set(self, choice: str, presentation: bool, roots=()) -> Theme:
        app = QApplication.instance()
        self.choice = choice if choice in CHOICES else "light"
        self.presentation = presentation
        self.theme = resolve(self.choice)
        app.setPalette(_palette(self.theme))
        font = QFont(self._base_font)
        if presentation:
            font.setPointSizeF(self._base_font.pointSizeF() * PRESENTATION_SCALE)
        app.setFont(font)
        pg.setConfigOptions(background=self.theme.plot_bg, foreground=self.theme.plot_fg)
        for root in roots:
            restyle(root, self.theme, self.scale)
        return self.theme

    @property
    def scale(self) -> float:
        return PRESENTATION_SCALE if self.presentation else 1.0


def restyle(root, theme: Theme, scale: float = 1.0) -> None:
    """Every pyqtgraph view under `root` in the theme's colours (and fonts at `scale`)."""
    fg = pg.mkColor(theme.plot_fg)
    tick_font = QFont()
    tick_font.setPointSizeF(max(6.0, tick_font.pointSizeF() * scale * 0.85))
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(theme.plot_bg)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(fg)
                item.setTextPen(fg)
                item.setStyle(tickFont=tick_font)
            elif isinstance(item, pg.LegendItem):
                item.setLabelTextColor(fg)  # its labels, and the ones added later
            elif isinstance(item, pg.LabelItem) and item.text:  # plot titles, legend labels
                item.setText(item.text, color=fg, size=f"{round(9 * scale)}pt")
            elif isinstance(item, pg.TextItem):
                item.setColor(fg)
                item.fill = pg.mkBrush(*theme.readout_fill)
        view.update()
