"""A form generated from a config dataclass: one editor per documented field, with tooltips.

Values are read back through studio.config, so the form refuses exactly what the CLI refuses.
"""
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from studio import config as cfg
from studio.errors import ConfigError


def narrow(editor: QWidget) -> None:
    """Let an editor shrink with its column: a spin box sized for 10⁸ or a combo box sized for its longest
    choice would otherwise make a narrow form scroll sideways."""
    editor.setMinimumWidth(56)
    if isinstance(editor, QComboBox):
        editor.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        editor.setMinimumContentsLength(4)


class ConfigForm(QWidget):
    def __init__(self, config_cls, hidden: tuple = (), parent=None):
        super().__init__(parent)
        self.config_cls = config_cls
        self.infos = [i for i in cfg.fields_of(config_cls) if i.name not in hidden]
        self.editors: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for info in self.infos:
            editor = self._editor(info)
            tip = f"<b>{info.label}</b>: {info.doc}<br>Valid: {info.range_text()}. Default: {info.default}."
            if info.live:
                tip += "<br><i>Can be changed while paused.</i>"
            editor.setToolTip(tip)
            narrow(editor)
            label = QLabel(info.label)
            label.setToolTip(tip)
            layout.addRow(label, editor)
            self.editors[info.name] = editor
        self.set_values(config_cls())

    def _editor(self, info) -> QWidget:
        if info.choices:
            box = QComboBox()
            box.addItems([str(c) for c in info.choices])
            return box
        if info.type is bool:
            return QCheckBox()
        if info.type is int and info.high is not None and info.high < 2**31:
            spin = QSpinBox()
            spin.setRange(int(info.low if info.low is not None else -2**31), int(info.high))
            return spin
        return QLineEdit()

    def set_values(self, config) -> None:
        for info in self.infos:
            value, editor = getattr(config, info.name), self.editors[info.name]
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            else:
                editor.setText(f"{value:g}" if isinstance(value, float) else str(value))
            editor.setStyleSheet("")

    def raw_values(self) -> dict:
        out = {}
        for info in self.infos:
            editor = self.editors[info.name]
            if isinstance(editor, QComboBox):
                out[info.name] = editor.currentText()
            elif isinstance(editor, QCheckBox):
                out[info.name] = editor.isChecked()
            elif isinstance(editor, QSpinBox):
                out[info.name] = editor.value()
            else:
                out[info.name] = editor.text()
        return out

    def config(self, base=None):
        """The validated config the form shows, on top of `base`; ConfigError names the bad fields by
        their labels, and they are outlined in red."""
        for editor in self.editors.values():
            editor.setStyleSheet("")
        try:
            return cfg.from_dict(self.config_cls, self.raw_values(), base=base)
        except ConfigError as exc:
            for name in exc.fields:
                if name in self.editors:
                    self.editors[name].setStyleSheet("border: 1px solid #d33;")
            raise

    def set_editable(self, mode: str) -> None:
        """'all' before a run, 'live' while paused (only fields that may change mid-run), 'none' running."""
        for info in self.infos:
            self.editors[info.name].setEnabled(mode == "all" or (mode == "live" and info.live))
