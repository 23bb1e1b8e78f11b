"""ViewerState: the run state and the timeline's position live in one Qt-free place and say when they
change; a position at the newest follows new snapshots, one moved back stays on its step."""
import threading

import numpy as np
import pytest

from studio.viewer.state import ViewerState


def recorder(state):
    seen = []
    for name in ("run_state", "message", "steps", "step", "live", "last_step", "following"):
        getattr(state.events, name).connect(lambda *a, name=name: seen.append((name, *a)))
    return seen


def test_run_state_is_checked_and_announced():
    st = ViewerState()
    seen = recorder(st)
    st.set_run_state("running", preparing=True)
    assert st.state_label() == "preparing…" and st.active
    st.set_run_state("paused")
    assert st.state_label() == "paused" and seen == [("run_state", "running"), ("run_state", "paused")]
    st.set_run_state("idle")
    st.ended("stopped")
    assert st.state_label() == "stopped" and not st.active
    st.source = object()  # an opened session (not a live run)
    assert st.state_label() == "viewing"
    st.set_following(True)
    assert st.state_label() == "live (read-only)" and seen[-1] == ("following", True)
    st.source = None
    with pytest.raises(ValueError):
        st.set_run_state("flying")
    st.say("Not started: lr must be > 0", error=True)
    assert st.message == ("Not started: lr must be > 0", True) and seen[-1][0] == "message"


def test_position_follows_the_newest_unless_moved_back():
    st = ViewerState()
    seen = recorder(st)
    st.set_live(True)
    assert st.showing_live and st.step is None     # a run with no snapshot yet: live
    st.set_steps([0, 10, 20])
    assert (st.index, st.step, st.showing_live) == (2, 20, True)
    assert [name for name, *_ in seen[-2:]] == ["steps", "step"] and seen[-1] == ("step", 20)  # one batch, in order
    st.extend_steps([0, 10, 20, 30])
    assert st.step == 30 and seen[-1] == ("step", 30)
    st.choose(1)
    assert st.step == 10 and not st.showing_live and not st.at_newest
    n = len(seen)
    st.extend_steps([0, 10, 20, 30, 40])
    assert st.step == 10 and all(name != "step" for name, *_ in seen[n:])  # stays put, says nothing new
    st.extend_steps([0, 20, 30, 40, 50])        # thinned: step 10 gone; the position is the newest at or before it
    assert st.step == 0
    st.choose_step(35)                          # typed: the newest snapshot at or before
    assert st.step == 30
    st.choose(99)                               # clamped
    assert st.step == 50 and st.showing_live
    st.set_live(False)
    assert not st.showing_live and st.at_newest


def test_choose_is_silent_when_nothing_changes_unless_forced():
    st = ViewerState()
    st.set_steps([0, 5])
    seen = recorder(st)
    st.choose(1)
    assert seen == []
    st.choose(1, force=True)
    assert seen == [("step", 5)]


def test_changes_from_another_thread_are_refused():
    st, errors = ViewerState(), []

    def other():
        try:
            st.set_run_state("running")
        except AssertionError as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors and st.run_state == "idle"
    assert np.array_equal(st.steps, [])
