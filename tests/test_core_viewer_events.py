"""The viewer model's observer: callbacks in connect order, a slot may disconnect while being called,
and a batch sends each emitted name once with its last arguments."""
from studio.viewer.events import Emitter, Events


def test_slots_are_called_in_order_and_may_disconnect_while_called():
    e, seen = Emitter(), []
    first = e.connect(lambda x: seen.append(("a", x)))

    def once(x):
        seen.append(("b", x))
        handle.disconnect()

    handle = e.connect(once)
    e.connect(lambda x: (seen.append(("c", x)), first.disconnect()))
    e.emit(1)
    e.emit(2)
    assert seen == [("a", 1), ("b", 1), ("c", 1), ("c", 2)]


def test_a_batch_sends_each_name_once_with_its_last_arguments():
    ev, seen = Events("steps", "step"), []
    ev.step.connect(lambda s: seen.append(("step", s)))
    ev.steps.connect(lambda s: seen.append(("steps", s)))
    with ev.batch():
        ev.step.emit(10)
        ev.step.emit(20)
        with ev.batch():           # nested: held until the outer block ends
            ev.steps.emit([10, 20])
        assert seen == []
    assert seen == [("steps", [10, 20]), ("step", 20)]
    ev.step.emit(30)
    assert seen[-1] == ("step", 30)
