"""A run's snapshots kept in memory for its timeline: the newest at or before a step, a step taken again
on resume kept once, and thinning past the memory budget keeps the recent half whole."""
import numpy as np

from studio.viewer.sources import MemoryHistory


def _img(v):
    return np.full((10, 10), v, np.uint8)  # 100 bytes


def test_snapshot_at_a_step_and_a_retaken_step():
    h = MemoryHistory()
    h.add_many([(0, {"a": _img(0)}), (10, {"a": _img(1), "b": _img(9)}), (20, {"a": _img(2)})])
    h.add_many([(20, {"a": _img(7)})])  # a resumed run retakes its first snapshot: the first one stays
    assert h.all_steps().tolist() == [0, 10, 20]
    assert h.snapshot_at("a", 15)[0] == 10 and h.snapshot_at("a", 25)[1][0, 0] == 2
    assert h.snapshot_at("b", 5) is None and h.snapshot_at("b", 99)[0] == 10 and h.snapshot_at("c", 5) is None


def test_thinning_keeps_the_recent_half_whole_and_the_budget():
    h = MemoryHistory(max_bytes=1000)
    h.add_many([(s, {"a": _img(s)}) for s in range(12)])  # 1,200 bytes: over the budget once
    assert h.steps["a"] == [0, 2, 4, 6, 7, 8, 9, 10, 11] and h.nbytes == 900
    assert [int(c[0, 0]) for c in h.contents["a"]] == h.steps["a"]
