"""Several sessions' curves overlaid, to compare presets and settings: one plot per plot of the models
(losses, D outputs, returns…), one colour per session, one line style per curve, the settings that differ
between the sessions in the legend, and the same debiased smoothing as the live plots."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from studio import config as cfg
from studio.errors import SessionError
from studio.session.history import all_metrics, saved_series
from studio.session.paths import sessions_dir
from studio.session.probe import check_session
from studio.session.reader import SessionReader
from widgets.busy import busy_cursor
from widgets.metric_plots import COLORS, debiased_ema, legend_below

STYLES = [Qt.SolidLine, Qt.DashLine, Qt.DotLine, Qt.DashDotLine]


@dataclass
class Compared:
    path: str
    title: str
    kind: str
    config: dict
    series: list          # studio Series, as the trainer declared them
    points: dict          # key -> (steps, values)


def load(path: str) -> Compared:
    """One session's curves and settings; SessionError if it cannot be read."""
    check_session(path)  # a damaged file is refused before this process touches it
    with SessionReader(path) as r:
        return Compared(str(path), r.title, r.kind, dict(r.config), saved_series(r), all_metrics(r).points)


def choose_sessions(parent) -> list[str]:
    """The session files a person picks to compare (none if cancelled)."""
    paths, _ = QFileDialog.getOpenFileNames(parent, "Sessions to compare", str(sessions_dir()),
                                            "Training Studio sessions (*.h5 *.hdf5)")
    return paths


def differences(configs: list[dict]) -> list[dict]:
    """Per session, the settings (of those all of them have) whose values are not the same in all."""
    keys = sorted(set.intersection(*(set(c) for c in configs))) if configs else []
    varying = [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]
    return [{k: c.get(k) for k in varying} for c in configs]


def labelled(kind: str, settings: dict) -> str:
    """'G learning rate = 0.0001, batch size = 16': settings as the form of the session's model names them."""
    from studio.trainers.registry import TRAINERS
    if kind in TRAINERS:
        return cfg.describe(TRAINERS[kind].config_cls, settings)
    return ", ".join(f"{k.replace('_', ' ')} = {v}" for k, v in settings.items())  # a model this app lacks


class CompareView(QWidget):
    def __init__(self, paths=(), parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare sessions")
        self.resize(1100, 750)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Smoothing"))
        self.smoothing = QSlider(Qt.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(90)
        self.smoothing.setTracking(False)
        self.smoothing.valueChanged.connect(lambda _: self.redraw())
        row.addWidget(self.smoothing)
        add = QPushButton("Add Sessions…")
        add.setToolTip("Overlay more saved sessions")
        add.clicked.connect(self._choose)
        row.addWidget(add)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.view = pg.GraphicsLayoutWidget()
        layout.addWidget(self.view, 1)
        self.sessions: list[Compared] = []
        self.refused: list[str] = []  # why files were not added, kept above the plots
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}  # (path, series key) -> curve
        for path in paths:
            self.add_session(path)

    def add_session(self, path) -> bool:
        """Add a session's curves; False (and a message) if it cannot be read."""
        if any(s.path == str(path) for s in self.sessions):
            return True
        try:
            with busy_cursor():
                self.sessions.append(load(path))
        except SessionError as exc:
            self.refused.append(f"Not added: {exc}")
            self.redraw()
            return False
        self.redraw()
        return True

    def remove_session(self, path) -> None:
        self.sessions = [s for s in self.sessions if s.path != str(path)]
        self.redraw()

    def redraw(self) -> None:
        self.view.clear()
        self.plots.clear()
        self.curves.clear()
        beta = self.smoothing.value() / 100
        diffs = differences([s.config for s in self.sessions])
        groups: dict[str, list] = {}
        counts: dict[str, int] = {}
        for s in self.sessions:
            for series in s.series:
                counts[series.key] = counts.get(series.key, 0) + 1
        # Sessions of different models: only the curves at least two of them have (if there are any).
        mixed = len({s.kind for s in self.sessions}) > 1 and max(counts.values(), default=0) > 1
        for s in self.sessions:
            for series in s.series:
                if mixed and counts[series.key] < 2:
                    continue
                groups.setdefault(series.plot, [])
                if series.key not in [k for k, _ in groups[series.plot]]:
                    groups[series.plot].append((series.key, series.label))
        for g, (name, members) in enumerate(groups.items()):
            if g:
                self.view.nextRow()
            plot = self.view.addPlot(title=name)
            legend_below(self.view, plot, columns=1)
            plot.setLabel("bottom", "step")
            plot.setDownsampling(auto=True, mode="mean")  # trends to compare; the live plots keep spikes
            plot.setClipToView(True)
            self.plots[name] = plot
            for i, s in enumerate(self.sessions):
                declared = {x.key: x for x in s.series}
                for j, (key, label) in enumerate(members):
                    if key not in declared or key not in s.points:
                        continue
                    steps, values = s.points[key]
                    shown = values
                    if declared[key].smooth and not declared[key].sparse and beta > 0 and len(values):
                        shown = debiased_ema(values.astype(np.float64), beta)[0]
                    pen = pg.mkPen(COLORS[i % len(COLORS)], width=1.5, style=STYLES[j % len(STYLES)])
                    marks = {"symbol": "o", "symbolSize": 4, "symbolBrush": COLORS[i % len(COLORS)]} \
                        if declared[key].sparse else {}
                    what = labelled(s.kind, diffs[i])
                    name_ = f"{Path(s.path).stem}: {label}" + (f" ({what})" if what else "")
                    self.curves[(s.path, key)] = plot.plot(steps, shown, pen=pen, name=name_, connect="finite",
                                                           **marks)
        self.message.setText(self._note(groups))

    def _choose(self) -> None:
        for path in choose_sessions(self):
            self.add_session(path)

    def _note(self, groups) -> str:
        return "\n".join([*self.refused, self._state(groups)])

    def _state(self, groups) -> str:
        if len(self.sessions) < 2:
            return "Add another session to compare."
        kinds = {s.kind for s in self.sessions}
        shared = [k for members in groups.values() for k, _ in members
                  if sum(any(x.key == k for x in s.series) for s in self.sessions) > 1]
        if not shared:
            return "These sessions have no curve in common (different models): each is drawn on its own plots."
        return f"{len(self.sessions)} sessions" + ("" if len(kinds) == 1 else " of different models: shared curves overlap")
