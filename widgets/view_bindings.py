"""Each view subscribed to the viewer state (studio/viewer/state.py): a binding connects the view's
public methods to the state's events and writes the person's choices back to the state. A view is fed by
nothing else, so a dock can move it anywhere; `unbind()` lets it go before it is deleted."""


class Binding:
    def __init__(self, state):
        self.state = state
        self._handles = []

    def on(self, event, fn) -> None:
        self._handles.append(event.connect(fn))

    def unbind(self) -> None:
        for handle in self._handles:
            handle.disconnect()
        self._handles.clear()


class PanelBinding(Binding):
    """A panel (image grid, game view, scatter, value bars): the live run's newest picture, each one
    drawn once (by serial), within the view's redraw budget; a kept snapshot when the timeline is moved."""

    def __init__(self, view, key: str, state):
        super().__init__(state)
        self.view, self.key = view, key
        self.serial = 0   # the live picture this view drew last (0: none, or a kept snapshot since)
        view.source = self.newest
        ev = state.events
        self.on(ev.preview, self._preview)
        self.on(ev.shown, self._shown)
        self.on(ev.run_state, self._run_state)
        self._run_state(state.run_state)

    def newest(self):
        found = self.state.take_newest(self.key, self.serial)
        if found is None:
            return None
        self.serial, step, content = found
        return step, content

    def _preview(self, serial: int) -> None:
        if serial == self.serial:
            return
        # A running run's pictures within the view's budget; a paused or single-stepped one at once.
        if self.state.run_state == "running":
            self.view.refresher.request()
        else:
            self.view.refresher.now()

    def _shown(self, key: str, step: int, content) -> None:
        if key == self.key:
            self.serial = 0
            self.view.show_content(step, content)  # looked up now: benchmarks wrap it after start

    def _run_state(self, _state) -> None:
        picker = getattr(self.view, "picker", None)
        if picker is not None:  # choices go to a live trainer; with none, there is nobody to ask
            picker.setEnabled(self.state.active)


class PlotsBinding(Binding):
    def __init__(self, plots, state):
        super().__init__(state)
        self.plots = plots
        ev = state.events
        self.on(ev.metrics, plots.add_batch)
        self.on(ev.step, lambda _step: plots.mark_step(state.marked_step))


class PlayerBinding(Binding):
    def __init__(self, player, state):
        super().__init__(state)
        self.player = player
        self.on(state.events.episode_added, player.add_episode)
        player.episodeChosen.connect(state.choose_episode)
        network_source = getattr(state.source, "network_source", None)
        player.network_source = network_source() if network_source is not None else None


class LogBinding(Binding):
    def __init__(self, log, state):
        super().__init__(state)
        self.on(state.events.log, log.appendPlainText)
        self.on(state.events.log_cleared, log.clear)
