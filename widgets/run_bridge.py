"""The run's signals into the viewer state. RunSignals are emitted on the worker thread; only a QObject
made on the GUI thread is sure to receive them queued there (a plain Python callable may run on the
emitting thread), so this object is the one receiver, and ViewerState is changed on the GUI thread only."""
from PySide6.QtCore import QObject, Slot


class RunBridge(QObject):
    def __init__(self, state, run, parent=None):
        super().__init__(parent)
        self.state, self.run = state, run
        s = run.sink.signals
        s.started.connect(self._started)
        s.metrics_ready.connect(self._metrics)
        s.preview_ready.connect(self._preview)
        s.snapshot_ready.connect(self._snapshot)
        s.status_ready.connect(self._status)
        s.episode_ready.connect(self._episode)

    @Slot(object)
    def _started(self, info) -> None:
        self.state.started(info)

    @Slot(object)
    def _metrics(self, batch) -> None:
        self.state.metrics(batch)

    @Slot()
    def _preview(self) -> None:
        for step, images in self.run.sink.take_previews():  # the newest of each panel: older ones were replaced
            self.state.preview(step, images)

    @Slot(int, object)
    def _snapshot(self, step, images) -> None:
        self.state.snapshots([(step, images)])

    @Slot(object)
    def _status(self, status) -> None:
        self.state.status(status)

    @Slot(object)
    def _episode(self, episode) -> None:
        self.state.episode_recorded(episode)
