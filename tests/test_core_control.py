"""Control: pause, resume, single steps, stop and config hand-over between threads."""
import threading
import time

from studio.control import Control

from helpers_core import wait_until


class Turns:
    """A fake training loop in a thread: calls next_turn() until it returns False, counting turns."""

    def __init__(self, control: Control, idle=None, idle_every: float = 0.01):
        self.control, self.idle, self.idle_every = control, idle, idle_every
        self.turns = 0
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while self.control.next_turn(idle=self.idle, idle_every=self.idle_every):
            self.turns += 1
            time.sleep(0.001)
        self.ended.set()

    def settled(self, expected: int, quiet: float = 0.3) -> int:
        """Wait for `expected` turns, then make sure no further turn happens for `quiet` seconds."""
        wait_until(lambda: self.turns >= expected, what=f"{expected} turns")
        time.sleep(quiet)
        return self.turns

    def finish(self):
        self.control.stop()
        assert self.ended.wait(5), "next_turn did not return after stop()"
        self.thread.join(5)


def test_running_control_lets_steps_through():
    c = Control()
    assert not c.paused and not c.stopping
    assert all(c.next_turn() for _ in range(5))


def test_starting_paused_blocks_until_resume():
    c = Control(paused=True)
    loop = Turns(c)
    assert loop.settled(0) == 0
    c.resume()
    wait_until(lambda: loop.turns >= 10, what="turns after resume")
    loop.finish()


def test_pause_blocks_the_loop():
    c = Control()
    loop = Turns(c)
    wait_until(lambda: loop.turns >= 3)
    c.pause()
    assert c.paused
    time.sleep(0.2)
    frozen = loop.turns
    time.sleep(0.3)
    assert loop.turns == frozen
    loop.finish()


def test_step_credit_runs_exactly_n_turns():
    c = Control(paused=True)
    loop = Turns(c)
    c.step(3)
    assert loop.settled(3) == 3
    c.step()
    assert loop.settled(4) == 4
    c.step(1)
    c.step(2)                 # credits add up
    assert loop.settled(7) == 7
    assert c.paused
    loop.finish()


def test_step_while_running_pauses_after_n():
    c = Control()
    loop = Turns(c)
    wait_until(lambda: loop.turns >= 2)
    before = loop.turns
    c.step(2)
    assert c.paused
    wait_until(lambda: loop.turns >= before + 2, what="the 2 credited turns")
    time.sleep(0.3)
    n = loop.turns
    # the 2 credited turns, plus at most the one that had already passed next_turn() when step() came
    assert before + 2 <= n <= before + 3
    time.sleep(0.3)
    assert loop.turns == n
    loop.finish()


def test_resume_drops_unused_credit():
    c = Control(paused=True)
    c.step(5)
    c.resume()
    c.pause()
    loop = Turns(c)
    assert loop.settled(0) == 0
    loop.finish()


def test_pause_drops_queued_steps():
    c = Control(paused=True)
    c.step(5)
    assert c.steps_pending == 5
    c.pause()
    assert c.steps_pending == 0
    loop = Turns(c)
    assert loop.settled(0) == 0
    loop.finish()


def test_stop_releases_a_paused_loop_and_is_final():
    c = Control(paused=True)
    loop = Turns(c)
    time.sleep(0.05)
    loop.finish()
    assert loop.turns == 0
    c.resume()
    c.step(3)
    assert c.stopping and c.next_turn() is False


def test_stop_while_running():
    c = Control()
    loop = Turns(c)
    wait_until(lambda: loop.turns >= 3)
    loop.finish()
    assert c.next_turn() is False


def test_idle_is_called_while_paused_but_not_while_running():
    calls = []
    c = Control(paused=True)
    loop = Turns(c, idle=lambda: calls.append(time.monotonic()), idle_every=0.02)
    wait_until(lambda: len(calls) >= 5, what="idle calls")
    c.resume()
    wait_until(lambda: loop.turns >= 5)
    n = len(calls)
    time.sleep(0.2)
    assert len(calls) <= n + 1   # at most one call that was already under way
    loop.finish()


def test_config_is_handed_over_once_and_wakes_a_paused_loop():
    c = Control(paused=True)
    got = []
    woke = threading.Event()

    def idle():
        new = c.take_config()
        if new is not None:
            got.append(new)
            woke.set()

    loop = Turns(c, idle=idle, idle_every=30.0)    # so long that only the notify can wake it in time
    time.sleep(0.1)
    t0 = time.monotonic()
    c.set_config("new config")
    assert woke.wait(5)
    assert time.monotonic() - t0 < 5
    assert got == ["new config"] and c.take_config() is None
    assert loop.turns == 0
    loop.finish()


def test_pending_config_without_idle_does_not_spin():
    """A paused next_turn() with no idle callback and a config waiting must still sleep, not busy-loop."""
    c = Control(paused=True)
    c.set_config("pending")
    cpu = []

    def loop():
        t0 = time.thread_time()
        c.next_turn(idle=None, idle_every=0.05)
        cpu.append(time.thread_time() - t0)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    time.sleep(0.5)
    c.stop()
    thread.join(5)
    assert cpu and cpu[0] < 0.1, f"next_turn burned {cpu} s of CPU in 0.5 s while paused"
