"""The thread tuner (studio/threads.py): it keeps the fastest thread count as the load comes and goes,
pays little for its probes, and a run reports what it chose."""
import subprocess
import sys
import time

import pytest

from studio.threads import RECHECK_MAX_S, ThreadTuner, other_cpu_load, thread_counts

# Steps/s of the default GAN on this 2-core machine, measured: quiet 2 threads beat 1; beside one
# busy program, 2 threads collapse at their barriers and 1 thread keeps about half the quiet speed.
QUIET = {1: 17.0, 2: 28.2}
LOADED = {1: 14.9, 2: 7.5}


def simulate(tuner, phases, seed=0):
    """Feed the tuner step times from `phases` [(seconds, {threads: steps/s}, other load)]; returns the
    steps made in each phase and the thread count at each phase's end."""
    import random
    rng = random.Random(seed)
    load = {"now": 0.0}
    tuner.load = lambda: load["now"]
    made, ends = [], []
    for seconds, rates, other in phases:
        load["now"] = other
        t, steps = 0.0, 0
        while t < seconds:
            dt = rng.uniform(0.95, 1.05) / rates[tuner.current]
            tuner.step_done(dt)
            t += dt
            steps += 1
        made.append(steps)
        ends.append(tuner.current)
    return made, ends


def test_counts_to_try():
    assert thread_counts(1) == [1]
    assert thread_counts(2) == [1, 2]
    assert thread_counts(6) == [1, 2, 4, 6]
    assert thread_counts(8) == [1, 2, 4, 8]


def test_follows_the_load_and_keeps_nearly_all_the_best_speed():
    applied = []
    tuner = ThreadTuner(2, applied.append, start=2)
    phases = [(300, QUIET, 0.0), (300, LOADED, 1.0), (300, QUIET, 0.0)]
    made, ends = simulate(tuner, phases)
    assert ends == [2, 1, 2]
    for (seconds, rates, _), steps in zip(phases, made):
        best = seconds * max(rates.values())
        assert steps >= 0.96 * best, (steps, best)  # probes and the switch cost at most 4 %
    assert tuner.current == applied[-1]


def test_switches_soon_after_a_program_starts():
    tuner = ThreadTuner(2, lambda n: None, start=2)
    made, ends = simulate(tuner, [(200, QUIET, 0.0), (5, LOADED, 1.0)])
    assert ends == [2, 1]  # within 5 s of training time


def test_a_speed_drop_alone_also_makes_it_look_again():
    """Where the platform reports no load (None), a halved speed is the signal."""
    tuner = ThreadTuner(2, lambda n: None, start=2)
    made, ends = simulate(tuner, [(200, QUIET, None), (8, LOADED, None)])
    assert ends == [2, 1]


def test_a_steady_quiet_machine_is_probed_ever_more_rarely():
    tuner = ThreadTuner(2, lambda n: None, start=2)
    probes = []
    tuner.set_threads = probes.append
    simulate(tuner, [(3000, QUIET, 0.0)])
    # a round every 30, 60, 120, 240, 320, 320 … s: each round tries 1 thread once and comes back
    assert 6 <= probes.count(1) <= 3000 / RECHECK_MAX_S + 5


def test_one_core_leaves_torch_alone():
    applied = []
    tuner = ThreadTuner(1, applied.append, start=1)
    simulate(tuner, [(60, {1: 10.0}, 0.0)])
    assert applied == [] and not tuner.active


def test_an_evaluation_step_does_not_decide_the_round():
    """One very long step (an evaluation) in the window of the current count is left out of its rate.
    (In the window of a probed count it ends the probe, in favour of the current count: see
    test_a_losing_probe_ends_early…)"""
    tuner = ThreadTuner(2, lambda n: None, start=2)
    assert tuner.current == 1  # it starts at one thread, which never stalls
    for _ in range(3):
        tuner.step_done(1 / 17.0)  # warm-up steps
    for _ in range(10):
        tuner.step_done(1 / 17.0)
    tuner.step_done(5.0)  # ends the window at 1 thread, with an evaluation in it
    assert tuner.current == 2  # 1 thread was measured at its usual speed: 2 is tried next
    for _ in range(40):
        tuner.step_done(1 / 28.2)
    assert tuner.choice is not None and tuner.choice.threads == 2


def test_other_programs_cpu_is_measured():
    sample = other_cpu_load()
    busy = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<1.5: pass"])
    try:
        time.sleep(0.3)
        sample()
        time.sleep(1.0)
        during = sample()
    finally:
        busy.wait()
    assert during is not None and during >= 0.5, during


@pytest.mark.thread_tuner
def test_a_run_reports_its_thread_choice(tiny_gan_config, tiny_settings, monkeypatch):
    """The runner times steps for the tuner, reports its choice in the event log and the status."""
    import studio.threads as th
    from studio.control import Control
    from studio.runs import make_runner, new_run
    from studio.sinks import Sink
    monkeypatch.setattr(th, "WINDOW_S", 0.05)
    monkeypatch.setattr(th, "usable_cores", lambda: 2)
    events, statuses = [], []

    class Seen(Sink):
        def event(self, e):
            events.append(e)

        def status(self, s):
            statuses.append(s)

    import torch
    prepared = new_run("gan", tiny_gan_config, tiny_settings, save=False)
    try:
        make_runner(prepared, Control(), [Seen()], max_steps=150, preview_seconds=None).run()
    finally:
        torch.set_num_threads(1)  # as conftest set it for every other test
    chosen = [e for e in events if "CPU thread" in e.message]
    assert chosen and chosen[0].kind == "info" and "steps/s on 1" in chosen[0].message
    assert statuses[-1].threads in (1, 2)


def test_a_losing_probe_ends_early_so_no_step_stalls_the_views_for_long():
    """Beside two busy programs a window at 2 threads would run a second of stalled steps; the probe
    gives up once it has taken twice as long as 1 thread would have."""
    tuner = ThreadTuner(2, lambda n: None, start=2)
    simulate(tuner, [(60, {1: 6.4, 2: 1.5}, None)])  # a platform that does not report the load
    assert tuner.current == 1
    longest = []  # the training time each later probe at 2 threads lasts
    probe = {"t": None}

    def step(dt):
        if tuner.current == 2:
            probe["t"] = (probe["t"] or 0.0) + dt
        elif probe["t"] is not None:
            longest.append(probe["t"])
            probe["t"] = None
        tuner.step_done(dt)

    for _ in range(int(600 * 6.4)):
        step(1 / {1: 6.4, 2: 1.5}[tuner.current])
    assert longest, "it re-checks 2 threads now and then"
    assert max(longest) < 1.0, longest  # a full window would take WINDOW_S or more
    assert tuner.current == 1


def test_no_more_threads_are_tried_than_the_other_programs_leave_cores_free():
    tried = []
    tuner = ThreadTuner(2, tried.append, start=2)
    simulate(tuner, [(600, {1: 6.4, 2: 1.5}, 2.0)])  # two busy programs on two cores
    assert tuner.current == 1
    assert tried.count(2) == 1  # once, cut short, in the first round; never again under this load
    simulate(tuner, [(20, QUIET, 0.0)])  # they stop: 2 threads are tried again, and kept
    assert tuner.current == 2


def test_on_many_cores_it_climbs_to_the_best_count_within_seconds():
    rates = {1: 10.0, 2: 19.0, 4: 35.0, 8: 60.0}
    tuner = ThreadTuner(8, lambda n: None)
    made, ends = simulate(tuner, [(12, rates, 0.0)])
    assert ends == [8]
