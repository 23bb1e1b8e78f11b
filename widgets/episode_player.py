"""Plays the recorded evaluation episodes: each frame with the action the agent took and the Q-value of
every action; play / pause, frame by frame (buttons, slider, ← →, Home / End) and a choice of speed.
For an Atari game, "where the network looks" tints each frame with its perturbation-saliency map
(studio/rl/saliency.py), computed on a background thread (widgets/saliency_worker.py)."""
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSlider, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from studio.rl.pixel_game import is_atari
from studio.rl.saliency import overlay
from widgets.refresh import TimedGraphicsLayout, fix_two_lines
from widgets.value_bars import NamedBars

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
MAX_DRAW_HZ = 30          # faster playback skips frames rather than falling behind the clock
KEEP = 60                 # episodes kept in memory (~1.5 MB each for CartPole); older ones stay in the file
NEAR = 3                  # playing with "where it looks": a map up to this many frames old stands in
KEEP_NETWORKS = 8         # of those, the newest keep the network that played them (Atari: 6.7 MB each, 13 MB dueling)


class EpisodePlayer(QWidget):
    episodeChosen = Signal(object)  # the episode now on screen (File ▸ Export reads it from the viewer state)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)  # ← → step through frames once the player is clicked
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Recorded evaluation episodes: none yet")
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
        self.q_view = pg.GraphicsLayoutWidget()
        self.q_view.setMinimumWidth(140)
        picture.addWidget(self.q_view, 2)
        layout.addLayout(picture, 1)
        self.q_bars = NamedBars(self.q_view)
        self.q_bars.plot.setLabel("bottom", "Q")

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
        self.btn_looks = QToolButton()
        self.btn_looks.setText("Where it looks")
        self.btn_looks.setCheckable(True)
        self.btn_looks.setToolTip("Tint each frame where the network looks: how much its Q-values change when "
                                  "that part of its input is blurred (perturbation saliency, Greydanus et al. "
                                  "2018), computed in the background for the frames shown")
        self.btn_looks.toggled.connect(self._looks_toggled)
        for w in (self.btn_prev, self.btn_play, self.btn_next, self.slider, self.speed, self.btn_looks):
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
        # Saliency: a source of (step, network) for episodes that do not carry theirs (an opened session's),
        # set by whoever shows the player; the worker starts when first needed.
        self.network_source = None
        self._source_network = None  # (step, network) once read from the source
        self._saliencies = {}        # id(episode) -> EpisodeSaliency, the newest three
        self._noted_step = None      # the network step the readout names
        self._worker = None
        self._saliency = None        # EpisodeSaliency of the shown episode, while "where it looks" is on
        self._saliency_note = ""
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
        self.btn_looks.setEnabled(on and self.spec is not None and is_atari(self.spec.env))

    # --- content ---
    def setup(self, spec) -> None:
        """A new run: its game's action names and frame rate; no episodes yet."""
        self.pause()
        self.spec, self.episodes, self.episode, self.following = spec, [], None, True
        self.choice.clear()
        self.image.clear()
        self.q_bars.set_names(spec.action_names)
        self.btn_looks.setChecked(False)
        self.btn_looks.setVisible(is_atari(spec.env))
        self.title.setText(f"Recorded evaluation episodes of {spec.env}: none yet")
        self.readout.setText("")
        self._set_enabled(False)

    def add_episode(self, episode) -> None:
        """Keep a newly recorded episode; show it if the person follows the newest and is not playing
        one (then it shows when that one ends)."""
        self.episodes.append(episode)
        if len(self.episodes) > KEEP_NETWORKS:  # older ones use the network_source's, if there is one
            self.episodes[-KEEP_NETWORKS - 1].network = None
        self.choice.addItem(f"step {episode.step:,} — return {episode.total_return:g} ({len(episode) - 1} steps)")
        if len(self.episodes) > KEEP:
            self._forget_oldest()
        kept = " (the newest kept here; all are in the session file)" if len(self.episodes) == KEEP else ""
        self.title.setText(f"Recorded evaluation episodes of {self.spec.env}: {len(self.episodes)}{kept}")
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
        self.episodeChosen.emit(self.episode)
        actions, q, rewards = self.episode.arrays()
        # Frame t is the state before reward t: the return so far excludes it.
        self._arrays = (actions, q, np.concatenate([[0.0], np.cumsum(rewards)[:-1]]))
        self.q_bars.fix_range(float(q.min()), float(q.max()))
        self._saliency = None
        self._saliency_note = ""
        if self.btn_looks.isChecked():
            self._start_saliency()
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
        self._draw_frame()
        actions, q, returns = self._arrays
        action = int(actions[t])
        self.q_bars.draw(q[t], chosen=action if action >= 0 else None)
        last = len(self.episode) - 1
        did = f"action: {names[action]}" if action >= 0 else "the episode is over"
        second = self._saliency_note if self.btn_looks.isChecked() else \
            "Q: " + ", ".join(f"{n} {v:.2f}" for n, v in zip(names, q[t]))
        self.readout.setText(f"frame {t} / {last} · {did} · return so far {returns[t]:g}\n{second}")

    def _draw_frame(self) -> None:
        frame, sal = self.episode.frame(self.t), self._saliency
        if self.btn_looks.isChecked() and sal is not None:
            # Playing, a map from up to NEAR frames back stands in while this frame's is computed.
            near = [t for t in range(self.t, self.t - (NEAR if self.playing else 0) - 1, -1) if sal.has(t)]
            if near:
                frame = overlay(frame, sal.map(near[0]), sal.scale)
            self._worker.want(sal, self.t, len(self.episode) - 1, playing=self.playing)
        self.image.setImage(frame, levels=None, autoLevels=False)  # uint8 frames: drawn as they are

    # --- where the network looks ---
    def _looks_toggled(self, on: bool) -> None:
        if not on:
            if self._worker is not None:
                self._worker.cancel()
            self._saliency = None
        elif self.episode is not None:
            self._start_saliency()
        if self.episode is not None:
            self._draw()

    def _session_network(self):
        """The opened session's network, read once (on the worker thread: a checkpoint can be large)."""
        if self._source_network is None:
            self._source_network = self.network_source()
        return self._source_network

    def _start_saliency(self) -> None:
        from studio.rl.episode_saliency import EpisodeSaliency
        from widgets.saliency_worker import SaliencyWorker
        ep = self.episode
        cached = self._saliencies.get(id(ep))
        if cached is not None and cached.episode is ep:
            self._saliency = cached  # toggled off and on again: its maps are still good
        elif ep.network is not None:
            self._saliency = EpisodeSaliency(self.spec.env, ep, ep.network, ep.step)
        elif self.network_source is not None:
            self._saliency = EpisodeSaliency(self.spec.env, ep, loader=self._session_network)
        else:
            self._saliency_note = ("where the network looks: only for games recorded in this run (the newest "
                                   f"{KEEP_NETWORKS}) or in an opened session")
            return
        self._saliencies = {k: v for k, v in list(self._saliencies.items())[-2:]}  # this and the last two
        self._saliencies[id(ep)] = self._saliency
        if self._worker is None:
            self._worker = SaliencyWorker(self)
            self._worker.ready.connect(self._saliency_ready)
            self._worker.failed.connect(self._saliency_failed)
        self._note_network()

    def _note_network(self) -> None:
        sal, ep = self._saliency, self.episode
        step = self._noted_step = sal.network_step
        if step is None:
            self._saliency_note = "where the network looks: reading the session's network…"
            return
        whose = "the network that played" if sal.exact_network else f"network of step {step:,}"
        self._saliency_note = f"blue: where it looks ({whose})"
        self.btn_looks.setToolTip(f"{self.btn_looks.toolTip().split(chr(10))[0]}\nShown: the saliency of "
                                  + ("the network that played this game" if sal.exact_network else
                                     f"the network saved at step {step:,} (this game was played at step "
                                     f"{ep.step:,}; the session file keeps only its newest networks)"))

    def _saliency_ready(self, saliency, t: int) -> None:
        if saliency is not self._saliency:
            return
        if saliency.network_step != self._noted_step:  # the session's network has arrived
            self._note_network()
            self._draw()
        elif t == self.t and not self.playing:
            self._draw_frame()  # playing, the next tick shows it

    def _saliency_failed(self, saliency, message: str) -> None:
        self._saliencies.pop(id(saliency.episode), None)
        if saliency is self._saliency:
            self._saliency = None
            self._saliency_note = f"where the network looks: {message}"
            self._draw()

    def close_worker(self) -> None:
        if self._worker is not None:
            self._worker.close()

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
        was_playing = self.playing
        self.timer.stop()
        self.btn_play.setIcon(self._icons["play"])
        if was_playing and self._saliency is not None and self.btn_looks.isChecked():
            self._worker.want(self._saliency, self.t, len(self.episode) - 1)  # no longer at full speed

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
