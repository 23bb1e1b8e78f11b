"""The left panel: which model, which preset, its hyperparameters, and the run settings."""
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QLabel, QScrollArea,
                               QSpinBox, QVBoxLayout, QWidget)

from studio import config as cfg
from studio import device as dev
from studio.errors import ConfigError, StudioError
from studio.data.sources import available_sources
from studio.run_settings import RunSettings
from studio.trainers.registry import TRAINERS
from widgets.config_form import ConfigForm, narrow

BROWSE = "Choose a folder of IDX files…"


class SetupPanel(QWidget):
    model_changed = Signal(str)   # the form now shows this model, for whatever reason
    model_chosen = Signal(str)    # the person picked this model (not the window showing a run's or session's)

    def __init__(self, parent=None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        top = QFormLayout()
        self.model = QComboBox()
        for kind, cls in TRAINERS.items():
            self.model.addItem(cls.title, kind)
        self.model.setToolTip("Which network to train")
        self.preset = QComboBox()
        self.preset.setToolTip("A tested set of hyperparameters; edit any field after picking one")
        top.addRow("Model", self.model)
        top.addRow("Preset", self.preset)
        outer.addLayout(top)

        self.hyper_box = QGroupBox("Hyperparameters")
        self.hyper_layout = QVBoxLayout(self.hyper_box)
        self.form: ConfigForm | None = None
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the form narrows instead (config_form.narrow)
        scroll.setWidget(self.hyper_box)
        outer.addWidget(scroll, 1)

        run_box = QGroupBox("Run")
        run = QFormLayout(run_box)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed and settings give the same run on the CPU")
        self.device = QComboBox()
        self.device.addItem("auto", "auto")
        for name in dev.available_devices():
            self.device.addItem(name, name)
        self.device.setToolTip("Where to train: 'auto' takes a GPU when there is one, else the CPU")
        self.data = QComboBox()
        for key, label in available_sources():
            self.data.addItem(label, key)
        self.data.addItem(BROWSE, None)
        self.data.setToolTip("Training images: the embedded MNIST digits (offline); MNIST, Fashion-MNIST or KMNIST "
                             "(downloaded once into the cache folder); or a folder of MNIST-format IDX files or of "
                             "your own PNG/JPEG pictures (one sub-folder per class, or none)")
        self.data.activated.connect(self._maybe_browse)
        self.data_label = QLabel("Data")
        self.cadence = ConfigForm(RunSettings, hidden=("seed", "device", "data", "threads"))
        for editor in (self.model, self.preset, self.seed, self.device, self.data):
            narrow(editor)
        run.addRow("Seed", self.seed)
        run.addRow("Device", self.device)
        run.addRow(self.data_label, self.data)
        run.addRow(self.cadence)
        outer.addWidget(run_box)

        self._showing = False  # show_model is setting the combo
        self.kept: dict[str, tuple[str | None, dict]] = {}  # per model: the preset and form values last shown
        self._form_kind: str | None = None
        self.model.currentIndexChanged.connect(self._model_picked)
        self.preset.activated.connect(self._preset_picked)
        self._model_picked()

    def kind(self) -> str:
        return self.model.currentData()

    def _model_picked(self, *_):
        self._keep_form()
        cls = TRAINERS[self.kind()]
        self.preset.blockSignals(True)
        self.preset.clear()
        self.preset.addItems(list(cls.presets))
        self.preset.setCurrentText(cls.default_preset)
        self.preset.blockSignals(False)
        if self.form is not None:
            self.form.setParent(None)
        self.form = ConfigForm(cls.config_cls)
        self.form.set_values(cls.presets[cls.default_preset])
        self._form_kind = self.kind()
        self.restore_form(self.kind())
        self.hyper_layout.addWidget(self.form)
        QTimer.singleShot(0, self, self._fit_width)  # once the new form is laid out
        self._show_data_choice()
        self.model_changed.emit(self.kind())
        if not self._showing:
            self.model_chosen.emit(self.kind())

    def _fit_width(self) -> None:
        """In a dock that may be made narrow: never so narrow that the form would scroll sideways."""
        self.scroll.setMinimumWidth(self.hyper_box.minimumSizeHint().width()
                                    + self.scroll.verticalScrollBar().sizeHint().width() + 4)

    def _keep_form(self) -> None:
        """Remember the form of the model being left, so coming back to it shows the person's values."""
        if self.form is None or self._form_kind is None:
            return
        try:
            self.kept[self._form_kind] = (self.preset.currentText() or None, cfg.to_dict(self.form.config()))
        except ConfigError:
            pass  # a half-typed value: keep what was remembered before

    def restore_form(self, kind: str) -> None:
        """The values remembered for `kind` (this launch or an earlier one); whatever no longer fits this
        version's settings falls back to the preset."""
        preset, values = self.kept.get(kind, (None, None))
        if values is None:
            return
        cls = TRAINERS[kind]
        if preset in cls.presets:
            self.preset.setCurrentText(preset)
        base = cls.presets[self.preset.currentText()]
        known = {f.name for f in cfg.fields_of(cls.config_cls)}
        try:
            self.form.set_values(cfg.from_dict(cls.config_cls, {k: v for k, v in values.items() if k in known},
                                               base=base))
        except (StudioError, TypeError, ValueError):
            self.form.set_values(base)

    def remembered(self) -> dict[str, tuple[str | None, dict]]:
        """Every model's preset and values, the one on screen included (for the settings store)."""
        self._keep_form()
        return dict(self.kept)

    def _uses_data(self) -> bool:
        return TRAINERS[self.kind()].uses_data

    def _show_data_choice(self) -> None:
        """A game agent learns from the game it plays: no dataset to choose."""
        self.data.setVisible(self._uses_data())
        self.data_label.setVisible(self._uses_data())

    def _preset_picked(self, *_):
        self.form.set_values(TRAINERS[self.kind()].presets[self.preset.currentText()])

    def _maybe_browse(self, index: int):
        if self.data.itemData(index) is not None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder of pictures (one sub-folder per class) or of IDX files")
        if folder:
            self.data.insertItem(index, folder, folder)
            self.data.setCurrentIndex(index)
        else:
            self.data.setCurrentIndex(0)

    def select_model(self, kind: str) -> None:
        """Pick a model as the person would in the combo."""
        index = self.model.findData(kind)
        if index >= 0:
            self.model.setCurrentIndex(index)

    def show_model(self, kind: str) -> None:
        """Show the model of a run or an opened session: not a choice of the person's (no model_chosen)."""
        self._showing = True
        try:
            self.select_model(kind)
        finally:
            self._showing = False

    def config(self, base=None):
        """The validated hyperparameters (ConfigError if a field is invalid)."""
        return self.form.config(base=base)

    def settings(self) -> RunSettings:
        cadence = self.cadence.config()
        return replace(cadence, seed=self.seed.value(), device=self.device.currentData(),
                       data=self.data.currentData() or "mnist-5k")

    def refresh_data_labels(self) -> None:
        labels = dict(available_sources())
        for i in range(self.data.count()):
            key = self.data.itemData(i)
            if key in labels:
                self.data.setItemText(i, labels[key])

    def set_mode(self, mode: str) -> None:
        """'all' (idle), 'live' (paused: only live hyperparameters), 'none' (running)."""
        idle = mode == "all"
        if idle:
            self.refresh_data_labels()  # a run may have downloaded a set: "download, 10 MB" becomes "downloaded"
        for w in (self.model, self.preset, self.seed, self.device, self.data):
            w.setEnabled(idle)
        self.cadence.set_editable("all" if idle else "none")
        self.form.set_editable(mode)
