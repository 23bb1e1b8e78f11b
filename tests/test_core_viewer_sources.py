"""The sources behind the viewer state: a live run's previews are numbered so a view draws each once and
only while the newest position is on screen; a moved timeline shows each panel's kept snapshot; a
resumed run adopts the carry only if it is the run it was made for; the end of a run shows the newest
snapshot instead of live pictures; an opened session is shown in the same words."""
from types import SimpleNamespace

import numpy as np

from studio.sinks import MetricBatch
from studio.viewer.session import Carry
from studio.viewer.state import ViewerState

PANELS = [SimpleNamespace(key="samples", label="Samples"), SimpleNamespace(key="recon", label="Recon")]


def info(start_step=0):
    return SimpleNamespace(series=[], panels=PANELS, episodes=None, frames=None, views={},
                           start_step=start_step, session_path="/tmp/run.h5")


def listen(state, *names):
    seen = []
    for name in names:
        getattr(state.events, name).connect(lambda *a, name=name: seen.append((name, *a)))
    return seen


def pic(value):
    return np.full((2, 4, 4), value, np.uint8)


def test_previews_are_taken_once_by_serial_and_only_at_the_newest_position():
    st = ViewerState()
    seen = listen(st, "source", "preview", "shown")
    st.prepare_run()
    assert st.state_label() == "preparing…" and st.source is None
    run = st.started(info())
    assert st.source is run and st.live and seen[0] == ("source", run) and st.session_path == "/tmp/run.h5"
    st.preview(5, {"samples": pic(5), "recon": pic(6)})
    assert seen[-1] == ("preview", 1)
    serial, step, content = st.take_newest("samples", 0)
    assert (serial, step, content.max()) == (1, 5, 5)
    assert st.take_newest("samples", serial) is None      # drawn already: not again
    assert st.take_newest("missing", 0) is None
    st.snapshots([(0, {"samples": pic(100), "recon": pic(101)}), (10, {"samples": pic(110), "recon": pic(111)})])
    assert st.steps.tolist() == [0, 10] and st.showing_live
    st.choose(0)                                          # moved back: the kept snapshot, no live pictures
    assert ("shown", "samples", 0) == seen[-2][:3] and seen[-2][3].max() == 100 and seen[-1][1] == "recon"
    assert st.take_newest("samples", 0) is None and st.marked_step == 0
    n = len(seen)
    st.preview(20, {"samples": pic(20)})
    assert len(seen) == n                                  # not announced while moved back
    st.choose(1)                                           # back at the newest: the newest preview again
    assert seen[-1] == ("preview", 2) and st.marked_step is None
    assert st.take_newest("samples", 0)[:2] == (2, 20)


def test_the_end_of_a_run_shows_its_newest_snapshot():
    st = ViewerState()
    st.prepare_run()
    st.started(info())
    st.snapshots([(0, {"samples": pic(1)}), (10, {"samples": pic(2)})])
    st.status(SimpleNamespace(step=14))
    seen = listen(st, "run_state", "live", "last_step", "shown")
    st.run_ended()
    assert [s[0] for s in seen] == ["run_state", "live", "last_step", "shown"]   # idle first, then redrawn
    assert st.live_run.ended and not st.live and st.last_step == 14 and seen[-1][2] == 10
    assert st.take_newest("samples", 0) is None and st.marked_step is None
    st.run_ended()                                          # the thread's finish heard twice: once
    assert len(seen) == 5


def test_a_carry_goes_to_the_run_it_was_made_for_only():
    batch = MetricBatch({"loss": (np.array([1, 2]), np.array([0.5, 0.4]))})
    carry = Carry(30, batch, [(10, {"samples": pic(10)}), (20, {"samples": pic(20)})], ["ep"])
    st = ViewerState()
    seen = listen(st, "metrics", "episode_added")
    st.prepare_run(carry)
    st.started(info(start_step=30))
    assert seen == [("metrics", batch), ("episode_added", "ep")] and st.steps.tolist() == [10, 20]
    st2 = ViewerState()
    seen2 = listen(st2, "metrics", "episode_added")
    st2.prepare_run(carry)
    st2.started(info(start_step=0))                         # another run (its resume failed, a new one began)
    assert seen2 == [] and st2.steps.tolist() == []


class FakeSession:
    def __init__(self):
        self.panels, self.series, self.episode_spec, self.path = PANELS, [], None, "/tmp/s.h5"
        self.closed = False

    def last_step(self):
        return 40

    def metrics(self):
        return MetricBatch({})

    def steps(self):
        return np.array([0, 20, 40])

    def snapshot_at(self, key, step):
        return (step // 20 * 20, pic(step // 20))

    def log_lines(self):
        return ["12:00:00  step 0  [info]  started"]

    def episodes(self):
        return []

    def close(self):
        self.closed = True


def test_an_opened_session_is_shown_then_let_go_when_a_run_starts():
    st = ViewerState()
    seen = listen(st, "source", "log_cleared", "log", "shown")
    session = FakeSession()
    st.open(session)
    names = [s[0] for s in seen]
    assert names.index("source") < names.index("shown") and ("log", "12:00:00  step 0  [info]  started") in seen
    assert st.session_path == "/tmp/s.h5" and st.marked_step == 40 and not st.live
    st.choose_step(25)
    assert seen[-2][1:3] == ("samples", 20)
    st.prepare_run()
    st.started(info())
    assert session.closed and st.live_run is not None
