"""The run keys (Space, S, Ctrl+. …) act wherever the focus is in the main window.

A focused line edit or spin box claims every printable key (it accepts Qt's ShortcutOverride event for
it), so the window's Space and S shortcuts never fire there: pausing, changing a learning rate and
pressing Space would type a space into the field. Every text field of the main window holds a number
(the hyperparameter form, the seed, the timeline's step, the pair picker), where a space or an 's' is
never wanted, so a run key that reaches the focused widget is taken here and given to its action. A
spin box first takes the text typed into it, so the action reads the value on screen; a bad value is
then refused by the action's own validation, with its message.

Dialogs and other windows (file dialogs, the sessions list, compare windows) are not watched: their
fields keep typing. A free-text field of the main window opts out with `keep_typing(widget)`.
"""
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QWidget

FREE_TEXT = "keepsRunKeys"  # a widget property: this field types every key


def keep_typing(widget: QWidget) -> None:
    """Let `widget` (a free-text field in the main window) type Space, S and the other run keys."""
    widget.setProperty(FREE_TEXT, True)


class RunKeys(QObject):
    """Watches only the focused widget of `window` (an application-wide filter would run Python for every
    event of the program); the watch moves with the focus."""

    def __init__(self, window: QWidget, actions):
        super().__init__(window)
        self.window = window
        self.actions = list(actions)
        self._watched: QWidget | None = None
        QApplication.instance().focusChanged.connect(self._focus_moved)
        self._focus_moved(None, QApplication.focusWidget())

    def _focus_moved(self, _old, new) -> None:
        if self._watched is not None:
            try:
                self._watched.removeEventFilter(self)
            except RuntimeError:
                pass  # the widget is gone (a form rebuilt for another model): Qt dropped the filter with it
            self._watched = None
        if isinstance(new, QWidget) and new.window() is self.window:
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.KeyPress:
            return False
        action = self.action_for(event)
        if action is None or _types_everything(obj):
            return False
        if event.isAutoRepeat() and not action.autoRepeat():
            return True  # a held key acts once, as its shortcut would
        spin = _spin_box_of(obj)
        if spin is not None:
            spin.interpretText()  # the typed text becomes the value before the action reads it
        if action.isEnabled():
            action.trigger()
        return True  # a disabled action's key types nothing either: no stray 's' in a number

    def action_for(self, event):
        """The run action whose shortcut this key press is, or None."""
        pressed = QKeySequence(event.keyCombination())
        for action in self.actions:
            if not action.shortcut().isEmpty() and action.shortcut().matches(pressed) == QKeySequence.ExactMatch:
                return action
        return None


def _types_everything(widget: QWidget) -> bool:
    while widget is not None and not widget.isWindow():
        if widget.property(FREE_TEXT):
            return True
        widget = widget.parentWidget()
    return False


def _spin_box_of(widget: QWidget):
    """The spin box a focused widget belongs to (the spin box itself or its inner line edit)."""
    for w in (widget, widget.parentWidget()):
        if isinstance(w, QAbstractSpinBox):
            return w
    return None
