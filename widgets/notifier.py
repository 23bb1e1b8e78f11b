"""Tells the person that a run has ended — finished, halted on NaN, or failed — when they may be looking
at another window: a desktop notification through the system tray (where the desktop has one), the
taskbar entry asking for attention. (The window's status bar says how the run ended, beside the step.)"""
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon


class Notifier:
    def __init__(self, window):
        self.w = window
        self.tray: QSystemTrayIcon | None = None
        self.sent: list[tuple[str, str, bool]] = []  # (title, text, is an error), newest last

    def _tray(self) -> QSystemTrayIcon | None:
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.w.style().standardIcon(QStyle.SP_ComputerIcon), self.w)
            self.tray.setToolTip("Training Studio")
            self.tray.messageClicked.connect(self._raise_window)
            self.tray.show()
        return self.tray

    def notify(self, title: str, text: str, error: bool = False) -> None:
        self.sent.append((title, text, error))
        QApplication.alert(self.w)  # the taskbar entry flashes when the window is not in front
        tray = self._tray()
        if tray is not None:
            icon = QSystemTrayIcon.Warning if error else QSystemTrayIcon.Information
            tray.showMessage(title, text, icon, 10000)

    def _raise_window(self) -> None:
        self.w.showNormal()
        self.w.raise_()
        self.w.activateWindow()

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
