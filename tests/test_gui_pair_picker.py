"""Picking the two ends of the VAE's interpolation in the latent scatter: A then B by clicks, held points
while picking, Escape. The window's panels are built and wired as for a run (no trainer: a stand-in
control records what would be sent to it)."""
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QCursor, QTextDocument

from studio.trainers.base import ImagePanel, PointsPanel
from tests.helpers_gui import window  # noqa: F401  (fixture)

N = 20


class Control:
    def __init__(self):
        self.sent = []

    def set_view(self, key, value):
        self.sent.append((key, value))


def grid_points(shift: float = 0.0) -> np.ndarray:
    """N points on a 5×4 grid, far apart on screen; point i has label i % 10."""
    i = np.arange(N)
    return np.stack([i % 5 + shift, i // 5, i % 10], axis=1).astype(np.float32)


@pytest.fixture
def picking(qtbot, window):  # noqa: F811
    w = window
    # The pointer starts off the window. Offscreen it stays where the last test left it, perhaps over
    # where this window's scatter now shows; it is moved into this window first so that moving it out
    # tells this window (not the last one) that it left.
    QCursor.setPos(w.frameGeometry().center())
    QCursor.setPos(w.frameGeometry().bottomRight() + QPoint(50, 50))
    panels = [PointsPanel("latent", "Held-out digits in the latent plane", N, "z1", "z2", pick_for="interp"),
              ImagePanel("interp", "Interpolation", (12, 28, 28), 6, pick=N)]
    w.build_panels(panels, None)
    w._connect_choices(SimpleNamespace(panels=panels, views={"interp": (0, 1)}))
    w.run = SimpleNamespace(control=Control(), is_running=lambda: False)
    w._set_state("running")
    scatter, picker = w.grids["latent"], w.grids["interp"].picker
    feed = {"content": (10, grid_points())}
    scatter.source = lambda: feed.pop("content", None)
    scatter.refresher.now()
    box = scatter.plot.getViewBox()
    # The view ranges itself over the points when it paints: clicks must land where points show.
    qtbot.waitUntil(lambda: box.viewRect().contains(QPointF(4, 3)) and box.viewRect().contains(QPointF(0, 0)))
    assert scatter.isVisible() and not scatter.hovered
    yield SimpleNamespace(w=w, scatter=scatter, picker=picker, feed=feed, control=w.run.control)
    w.run = None


def click(qtbot, scatter, i: int) -> None:
    """A left click on point i where it shows on screen, the pointer moved there first."""
    x, y = (float(v) for v in scatter.points[i, :2])
    where = scatter.view.mapFromScene(scatter.plot.getViewBox().mapViewToScene(QPointF(x, y)))
    qtbot.mouseMove(scatter.view.viewport(), where)
    qtbot.mouseClick(scatter.view.viewport(), Qt.LeftButton, Qt.NoModifier, where)


def leave(qtbot, p) -> None:
    """The pointer moves off the scatter, onto the picker's row."""
    qtbot.mouseMove(p.picker.random)
    qtbot.waitUntil(lambda: not p.scatter.hovered)


def said(scatter) -> str:
    """The prompt as a person reads it (no markup)."""
    doc = QTextDocument()
    doc.setHtml(scatter.prompt.text())
    return doc.toPlainText().replace("\xa0", " ")


def drawn(scatter) -> np.ndarray:
    return np.concatenate([item.data["x"] for item in scatter.items])


def test_first_click_sets_a_second_sets_b_and_a_third_starts_over(qtbot, picking):
    p = picking
    assert said(p.scatter) == "A = #0 (a 0) → B = #1 (a 1)  Pick again"
    click(qtbot, p.scatter, 7)
    assert p.scatter.first == 7 and p.picker.pair() == (0, 1) and p.control.sent == []  # nothing sent yet
    assert "A = #7 (a 7). Now click B" in said(p.scatter)
    assert p.scatter.mark_labels[0].isVisible() and not p.scatter.mark_labels[1].isVisible()

    with qtbot.waitSignal(p.picker.chosen, timeout=2000) as chosen:
        click(qtbot, p.scatter, 18)
    assert chosen.args == [7, 18]
    assert p.picker.pair() == (7, 18) and p.scatter.pair == (7, 18) and p.scatter.first is None
    assert p.control.sent == [("interp", (7, 18))]                         # once, the whole pair
    assert "A = #7 (a 7) → B = #18 (an 8)" in said(p.scatter)
    assert all(label.isVisible() for label in p.scatter.mark_labels)

    click(qtbot, p.scatter, 3)                                              # a new pair begins: A again
    assert p.scatter.first == 3 and p.picker.pair() == (7, 18)
    assert "A = #3 (a 3). Now click B" in said(p.scatter)


def test_a_click_beside_every_point_or_on_a_again_changes_nothing(qtbot, picking):
    p = picking
    click(qtbot, p.scatter, 7)
    click(qtbot, p.scatter, 7)                                              # B = A would be a path of one
    assert p.scatter.first == 7 and p.control.sent == []
    box = p.scatter.plot.getViewBox()
    where = p.scatter.view.mapFromScene(box.mapViewToScene(QPointF(2.5, 1.5)))  # between four points
    qtbot.mouseClick(p.scatter.view.viewport(), Qt.LeftButton, Qt.NoModifier, where)
    assert p.scatter.first == 7 and p.control.sent == []


def test_pick_again_says_how_to_start(qtbot, picking):
    p = picking
    p.scatter.prompt.linkActivated.emit("again")
    assert said(p.scatter) == "Click a point to choose A"


def test_escape_cancels_a_half_made_pick(qtbot, picking):
    p = picking
    click(qtbot, p.scatter, 7)
    qtbot.keyClick(p.scatter.view, Qt.Key_Escape)
    assert p.scatter.first is None and p.scatter.pair == (0, 1) and p.control.sent == []
    assert not p.scatter.escape.isEnabled()
    assert "A = #0 (a 0) → B = #1 (a 1)" in said(p.scatter)
    click(qtbot, p.scatter, 12)                                             # the next click is A again
    assert p.scatter.first == 12


def test_content_arriving_mid_pick_is_held_and_the_newest_drawn_when_the_pick_completes(qtbot, picking):
    p = picking
    before = drawn(p.scatter).copy()
    click(qtbot, p.scatter, 7)
    leave(qtbot, p)                                         # held still: the pick is half made
    for step, shift in ((20, 0.25), (30, 0.5)):             # two previews arrive while the viewer aims
        p.feed["content"] = (step, grid_points(shift))
        p.scatter.refresher.now()
    assert np.array_equal(drawn(p.scatter), before) and p.scatter.step == 10
    assert p.scatter.title.text().endswith("step 10 (held while you pick)")
    click(qtbot, p.scatter, 18)
    assert p.scatter.hovered and p.scatter.step == 10       # complete, but the pointer is still there
    leave(qtbot, p)
    assert p.scatter.step == 30 and np.allclose(np.sort(drawn(p.scatter)), np.sort(before + 0.5))
    assert "held" not in p.scatter.title.text()


def test_content_is_held_while_the_pointer_is_over_the_scatter(qtbot, picking):
    p = picking
    before = drawn(p.scatter).copy()
    qtbot.mouseMove(p.scatter.view.viewport())
    qtbot.waitUntil(lambda: p.scatter.hovered)
    p.feed["content"] = (20, grid_points(0.5))
    p.scatter.refresher.now()
    assert np.array_equal(drawn(p.scatter), before) and "(held while you pick)" in p.scatter.title.text()
    leave(qtbot, p)
    assert p.scatter.step == 20 and not np.array_equal(drawn(p.scatter), before)


def test_escape_draws_what_was_held(qtbot, picking):
    p = picking
    click(qtbot, p.scatter, 7)
    leave(qtbot, p)
    p.feed["content"] = (20, grid_points(0.5))
    p.scatter.refresher.now()
    assert p.scatter.step == 10
    qtbot.keyClick(p.w, Qt.Key_Escape)                      # Escape works wherever the focus is
    assert p.scatter.first is None and p.scatter.step == 20


def test_clicks_choose_nothing_without_a_running_or_paused_run(qtbot, picking):
    p = picking
    p.w._set_state("idle")
    assert not p.picker.isEnabled() and not p.scatter.picking
    click(qtbot, p.scatter, 7)
    assert p.scatter.first is None and p.control.sent == []
    assert "Pick again" not in said(p.scatter) and "Click" not in said(p.scatter)
    p.w._set_state("paused")
    click(qtbot, p.scatter, 7)
    assert p.scatter.first == 7


def test_spin_boxes_and_random_pair_ring_the_pair_and_send_it(qtbot, picking):
    p = picking
    click(qtbot, p.scatter, 7)                   # a half-made pick gives way to a pair typed in
    leave(qtbot, p)
    p.feed["content"] = (20, grid_points(0.5))
    p.scatter.refresher.now()
    p.picker.spin_b.setValue(9)
    assert p.scatter.first is None and p.scatter.pair == (0, 9) and p.control.sent == [("interp", (0, 9))]
    assert p.scatter.step == 20                  # nothing is being picked: the held points are drawn
    p.picker.pick_random()
    assert p.control.sent[-1] == ("interp", p.picker.pair()) and p.scatter.pair == p.picker.pair()
    assert len(p.control.sent) == 2              # one message for both ends
