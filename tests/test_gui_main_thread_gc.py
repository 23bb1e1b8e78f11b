"""Cycle collections happen on the GUI thread only, never inside the training worker (where freeing a
dead window's Qt objects segfaults the process)."""
import gc
import threading

from PySide6.QtWidgets import QApplication


def test_collections_run_on_the_gui_thread_during_a_run(window, qtbot):
    seen_threads = []

    def record(phase, info):
        if phase == "start":
            seen_threads.append(threading.get_ident())

    gc.callbacks.append(record)
    try:
        window.start()
        qtbot.waitUntil(lambda: window.state == "running", timeout=20000)
        qtbot.wait(3000)  # the worker allocates freely while it trains; a collection would start there
    finally:
        gc.callbacks.remove(record)
    assert seen_threads, "no collection at all in 3 s of training: the collector is not running"
    assert set(seen_threads) == {threading.get_ident()}
    assert not gc.isenabled()


def test_dead_cycles_are_freed_by_the_timer(window, qtbot):
    class Node:
        pass

    def make_cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a

    for _ in range(1000):  # more dead objects than the youngest generation's threshold (700)
        make_cycle()
    assert gc.get_count()[0] > gc.get_threshold()[0]
    alive = lambda: sum(type(o) is Node for o in gc.get_objects())  # noqa: E731
    assert alive() > 0
    qtbot.waitUntil(lambda: alive() == 0, timeout=3000)
    QApplication.processEvents()
