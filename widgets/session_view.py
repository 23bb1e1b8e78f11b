"""A saved session shown in the window: its curves, its panels at the step chosen on the timeline, and
its recorded episodes. Everything comes from the file (studio.session.history); nothing trains."""
from studio.errors import SessionError
from studio.session.history import Timeline, all_metrics, saved_panels, saved_series
from studio.session.reader import SessionReader

EPISODES_SHOWN = 60  # the newest episodes go to the player (as many as it keeps in a live run)


class SessionView:
    def __init__(self, window, path):
        self.window = window
        self.reader = SessionReader(path)   # SessionError with a clear message if it cannot be read
        try:
            self._show()
        except (OSError, KeyError, ValueError) as exc:
            self.reader.close()
            raise SessionError(f"{path}: damaged session file ({exc})") from None

    def _show(self) -> None:
        w, r = self.window, self.reader
        w.plots.setup(saved_series(r))
        w.plots.add_batch(all_metrics(r))
        w.plots.redraw()
        self.panels = saved_panels(r)
        w.build_panels(self.panels, r.episode_spec())
        self.timeline = Timeline(r)
        w.timeline.setVisible(len(self.timeline) > 0)
        w.timeline.set_steps(self.timeline.steps)
        if len(self.timeline):  # the window does not know this view yet: show the newest step here
            self.show_step(int(self.timeline.steps[-1]))
        if w.player is not None:
            index = r.episode_index()
            for i in range(max(0, len(index) - EPISODES_SHOWN), len(index)):
                w.player.add_episode(r.episode(i))

    def show_step(self, step: int) -> None:
        """Every panel as its newest snapshot at or before `step`."""
        for panel in self.panels:
            i = self.timeline.snapshot_index(panel.key, step)
            if i is not None:
                self.window.grids[panel.key].show_content(int(self.timeline.panel_steps[panel.key][i]),
                                                          self.reader.snapshot(panel.key, i))

    def close(self) -> None:
        self.reader.close()
