"""Plays the recorded evaluation episodes: each frame with the action the agent took and the Q-value of
every action; play / pause, frame by frame (buttons, slider, ← →, Home / End) and a choice of speed."""
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSlider, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from widgets.refresh import TimedGraphicsLayout, fix_two_lines

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
MAX_DRAW_HZ = 30          # faster playback skips frames rather than falling behind the clock
KEEP = 60                 # episodes kept in memory (~1.5 MB each for CartPole); older ones stay in the file
CHOSEN, OTHER = "#d62728", "#9ab3cf"


class EpisodePlayer(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)  # ← → step through frames once the player is clicked
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Recorded evaluation episodes (greedy): none yet")
        fix_two_lines(self.title)
        layout.addWidget(self.title)
        self.choice = QComboBox()
        self.choice.setToolTip("Which recorded episode to play: the step it was played at and its return")
        self.choice.currentIndexChanged.connect(self._choose)
        # Picking an older episode stops following new ones; picking the newest follows again.
        self.choice.activated.connect(lambda i: setattr(self, "following", i == len(self.episodes) - 1))
        layout.addWidget(self.choice)

        self.view = TimedGraphicsLayout()
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.box.enableAutoRange()  # the frame fills the view whatever its size
        # Frames are wide and short: the Q-values go beside the frame, not under it.
        picture = QHBoxLayout()
        picture.addWidget(self.view, 3)
        self.q_view = pg.PlotWidget()
        self.q_view.setMinimumWidth(140)
        picture.addWidget(self.q_view, 2)
        layout.addLayout(picture, 1)
        self.q_plot = self.q_view.getPlotItem()
        self.q_plot.setMenuEnabled(False)
        self.q_plot.setMouseEnabled(False, False)
        self.q_plot.hideButtons()
        self.q_plot.setLabel("left", "Q")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.q_plot.addItem(self.bars)

        controls = QHBoxLayout()
        icon = self.style().standardIcon
        self._icons = {"play": icon(QStyle.SP_MediaPlay), "pause": icon(QStyle.SP_MediaPause)}
        self.btn_prev = self._button(icon(QStyle.SP_MediaSeekBackward), "Previous frame (←)", lambda: self._step_by(-1))
        self.btn_play = self._button(self._icons["play"], "Play / pause the episode", self.toggle_play)
        self.btn_next = self._button(icon(QStyle.SP_MediaSeekForward), "Next frame (→)", lambda: self._step_by(1))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Scrub through the episode frame by frame")
        self.slider.valueChanged.connect(self._slid)
        self.speed = QComboBox()
        self.speed.addItems([f"{s:g}×" for s in SPEEDS])
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip("Playing speed, relative to the game's own frame rate")
        self.speed.currentIndexChanged.connect(self._restart_clock)
        for w in (self.btn_prev, self.btn_play, self.btn_next, self.slider, self.speed):
            controls.addWidget(w)
        layout.addLayout(controls)
        self.readout = QLabel("")
        fix_two_lines(self.readout)
        layout.addWidget(self.readout)

        self.spec = None
        self.following = True  # show each new episode as it arrives
        self.episodes: list = []
        self.episode = None
        self.t = 0
        self._arrays = None
        self._clock = None  # (wall time, frame) when playing started: position follows the wall clock
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._set_enabled(False)

    def _button(self, icon, tip, slot) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _set_enabled(self, on: bool) -> None:
        for w in (self.btn_prev, self.btn_play, self.btn_next, self.slider, self.speed):
            w.setEnabled(on)

    # --- content ---
    def setup(self, spec) -> None:
        """A new run: its game's action names and frame rate; no episodes yet."""
        self.pause()
        self.spec, self.episodes, self.episode, self.following = spec, [], None, True
        self.choice.clear()
        self.image.clear()
        self.bars.setOpts(x=[], height=[])
        names = spec.action_names
        self.q_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
        self.q_plot.setXRange(-0.6, len(names) - 0.4, padding=0)
        self.title.setText(f"Recorded evaluation episodes of {spec.env} (greedy): none yet")
        self.readout.setText("")
        self._set_enabled(False)

    def add_episode(self, episode) -> None:
        """Keep a newly recorded episode; show it if the person follows the newest and is not playing
        one (then it shows when that one ends)."""
        self.episodes.append(episode)
        self.choice.addItem(f"step {episode.step:,} — return {episode.total_return:g} ({len(episode) - 1} steps)")
        if len(self.episodes) > KEEP:
            self._forget_oldest()
        kept = " (the newest kept here; all are in the session file)" if len(self.episodes) == KEEP else ""
        self.title.setText(f"Recorded evaluation episodes of {self.spec.env} (greedy): {len(self.episodes)}{kept}")
        if self.following and not self.playing:
            self.choice.setCurrentIndex(len(self.episodes) - 1)

    def _forget_oldest(self) -> None:
        shown = self.choice.currentIndex()
        self.choice.blockSignals(True)
        self.episodes.pop(0)
        self.choice.removeItem(0)
        self.choice.blockSignals(False)
        if shown == 0:  # it was the one on screen: show the oldest still kept
            self._choose(0)

    def _choose(self, index: int) -> None:
        if not 0 <= index < len(self.episodes):
            return
        self.pause()
        self.episode = self.episodes[index]
        actions, q, rewards = self.episode.arrays()
        # Frame t is the state before reward t: the return so far excludes it.
        self._arrays = (actions, q, np.concatenate([[0.0], np.cumsum(rewards)[:-1]]))
        low, high = min(0.0, float(q.min())), max(0.0, float(q.max()))
        self.q_plot.setYRange(low, high + 0.05 * (high - low or 1), padding=0)
        self._set_enabled(True)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.episode) - 1)
        self.slider.blockSignals(False)
        self.t = -1
        self.seek(0)

    # --- moving through it ---
    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def _step_by(self, n: int) -> None:
        self.pause()
        self.seek(self.t + n)

    def _fps(self) -> float:
        return self.spec.fps * SPEEDS[self.speed.currentIndex()]

    def seek(self, t: int) -> None:
        if self.episode is None:
            return
        t = int(np.clip(t, 0, len(self.episode) - 1))
        if t != self.t:
            self.t = t
            self._draw()
        self.slider.blockSignals(True)
        self.slider.setValue(t)
        self.slider.blockSignals(False)

    def _slid(self, value: int) -> None:
        self.seek(value)
        if self.playing:
            self._restart_clock()

    def _draw(self) -> None:
        t, names = self.t, self.spec.action_names
        self.image.setImage(self.episode.frame(t), levels=(0, 255), autoLevels=False)
        actions, q, returns = self._arrays
        action = int(actions[t])
        brushes = [pg.mkBrush(CHOSEN if i == action else OTHER) for i in range(len(names))]
        self.bars.setOpts(x=np.arange(len(names)), height=q[t], brushes=brushes)
        last = len(self.episode) - 1
        did = f"action: {names[action]}" if action >= 0 else "the episode is over"
        values = ", ".join(f"{n} {v:.2f}" for n, v in zip(names, q[t]))
        self.readout.setText(f"frame {t} / {last} · {did} · return so far {returns[t]:g}\nQ: {values}")

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        elif self.episode is not None:
            if self.t >= len(self.episode) - 1:
                self.seek(0)  # play again from the start
            self._restart_clock()
            self.timer.start(int(1000 / min(self._fps(), MAX_DRAW_HZ)))
            self.btn_play.setIcon(self._icons["pause"])

    def pause(self) -> None:
        self.timer.stop()
        self.btn_play.setIcon(self._icons["play"])

    def _restart_clock(self) -> None:
        self._clock = (time.monotonic(), self.t)
        if self.playing:
            self.timer.setInterval(int(1000 / min(self._fps(), MAX_DRAW_HZ)))

    def _tick(self) -> None:
        started, frame0 = self._clock
        t = frame0 + int((time.monotonic() - started) * self._fps())
        self.seek(t)
        if t >= len(self.episode) - 1:
            self.pause()
            if self.following and self.episode is not self.episodes[-1]:
                self.choice.setCurrentIndex(len(self.episodes) - 1)  # one arrived while this one played

    def keyPressEvent(self, event) -> None:
        moves = {Qt.Key_Left: self.t - 1, Qt.Key_Right: self.t + 1, Qt.Key_Home: 0, Qt.Key_End: 10**9}
        if event.key() in moves and self.episode is not None:
            self.pause()
            self.seek(moves[event.key()])
        else:
            super().keyPressEvent(event)
