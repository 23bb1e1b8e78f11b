"""A small observer for the viewer model: synchronous callbacks in connect order, on the caller's thread
(the GUI thread for the window). Qt signals would tie the model to Qt; the core imports no Qt.

Views keep the Connection handles they get and disconnect when they go, so nothing relies on garbage
collection timing (the window collects cycles on its own timer: widgets/main_thread_gc.py).
"""
from contextlib import contextmanager


class Connection:
    def __init__(self, emitter: "Emitter", fn):
        self.emitter, self.fn = emitter, fn

    def disconnect(self) -> None:
        self.emitter.disconnect(self.fn)


class Emitter:
    def __init__(self):
        self._slots: list = []
        self._held: tuple | None = None  # inside Events.batch(): the last arguments, sent at its end
        self._holding = False

    def connect(self, fn) -> Connection:
        self._slots.append(fn)
        return Connection(self, fn)

    def disconnect(self, fn) -> None:
        if fn in self._slots:
            self._slots.remove(fn)

    def emit(self, *args) -> None:
        if self._holding:
            self._held = args
            return
        for fn in tuple(self._slots):  # a copy: a slot may disconnect (itself or another) while called
            fn(*args)


class Events:
    """One Emitter per name: `events.step.connect(fn)`, `events.step.emit(120)`."""

    def __init__(self, *names: str):
        self._names = names
        for name in names:
            setattr(self, name, Emitter())

    @contextmanager
    def batch(self):
        """Hold every emit inside the block; at its end each name that was emitted is sent once, with its
        last arguments, in the order the names were declared."""
        emitters = [getattr(self, n) for n in self._names]
        outer = [e._holding for e in emitters]
        for e in emitters:
            e._holding = True
        try:
            yield
        finally:
            for e, was in zip(emitters, outer):
                e._holding = was
            if not any(outer):
                for e in emitters:
                    held, e._held = e._held, None
                    if held is not None:
                        e.emit(*held)
