"""A saved session shown in the window: its curves, its panels at the step chosen on the timeline, and
its recorded episodes, all read by a SessionSource (studio/viewer/session.py); nothing trains. A file
that another process is still writing keeps growing on screen (`poll`). This adapter is what still
reaches into the window; the viewer-state redesign (docs/design/viewer-state-plan.md) retires it."""
from studio.errors import SessionError
from studio.viewer.session import Carry, SessionSource  # noqa: F401 (Carry: re-exported for the window)


class SessionView:
    def __init__(self, window, path):
        self.window = window
        self.source = SessionSource(path)   # SessionError with a clear message if it cannot be read
        self.path, self.reader = self.source.path, self.source.reader
        try:
            self._show()
        except Exception as exc:  # noqa: BLE001 - h5py, numpy and zlib raise many types on damage
            self.source.close()
            raise SessionError(f"{path}: damaged session file ({type(exc).__name__}: {exc})") from None

    def _show(self) -> None:
        w, s = self.window, self.source
        w.plots.setup(s.series)
        w.plots.add_batch(s.metrics())
        w.plots.redraw()
        self.panels = s.panels
        w.build_panels(self.panels, s.episode_spec)
        steps = s.steps()
        w.timeline.setVisible(len(steps) > 0)
        w.viewer.set_live(False)  # the newest position is the newest snapshot: nothing trains here
        w.viewer.set_last_step(s.last_step())
        w.viewer.set_steps(steps)
        if len(steps):  # the window does not know this view yet: show the newest step here
            self.show_step(int(steps[-1]))
        w.log.clear()
        for line in s.log_lines():
            w.log.appendPlainText(line)
        if w.player is not None:
            w.player.network_source = s.network_source()
            for episode in s.episodes():
                w.player.add_episode(episode)

    def show_step(self, step: int) -> None:
        """Every panel as its newest snapshot at or before `step`."""
        for panel in self.panels:
            try:
                found = self.source.snapshot_at(panel.key, step)
            except SessionError as exc:  # one damaged snapshot: say so, keep the rest
                self.window.show_message(str(exc), error=True)
                continue
            if found is not None:
                self.window.grids[panel.key].show_content(*found)

    def poll(self) -> bool:
        """Show what a writer has added since the last look; True if it added anything.
        SessionError if the file went bad meanwhile."""
        delta = self.source.poll()
        if delta.rewound:  # the writer went back to a checkpoint: show the file as it is now
            self._show()
            return True
        w = self.window
        if delta.metrics.points:
            w.plots.add_batch(delta.metrics)
            w.viewer.set_last_step(self.source.last_step())
        if delta.steps_changed:
            w.timeline.setVisible(True)
            w.viewer.extend_steps(self.source.steps())  # moves on only if it was at the newest
        for line in delta.log:
            w.log.appendPlainText(line)
        if w.player is not None:
            for episode in delta.episodes:
                w.player.add_episode(episode)
        return delta.any

    def carry(self, step: int) -> Carry:
        return self.source.carry(step)

    def close(self) -> None:
        self.source.close()
