"""A live refresh of a plot costs one paint: new points move the view's range, and a range settled inside
the paint made Qt paint the whole view a second time (every curve and scatter refresh was drawn twice)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from studio.sinks import MetricBatch  # noqa: E402
from studio.trainers.base import PointsPanel, Series  # noqa: E402
from widgets.latent_scatter import LatentScatter  # noqa: E402
from widgets.metric_plots import MetricPlots  # noqa: E402


def paints_per_refresh(qtbot, view, refresh, rounds: int = 6) -> list[int]:
    """How many times `view` (a TimedGraphicsLayout) paints after each of `rounds` refreshes."""
    counted = [0]
    plain = type(view).paintEvent

    def counting(event):
        counted[0] += 1
        plain(view, event)
    view.paintEvent = counting
    per_round = []
    for r in range(rounds):
        qtbot.wait(150)  # whatever the last round left to paint is painted
        counted[0] = 0
        refresh(r)
        qtbot.wait(250)
        per_round.append(counted[0])
    return per_round


def test_curves_that_grow_are_painted_once_per_redraw(qtbot):
    plots = MetricPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 400)
    plots.show()
    plots.setup([Series("loss", "loss", "loss"), Series("eval", "eval", "eval", sparse=True)])
    rng = np.random.default_rng(0)

    def more(r):
        steps = np.arange(r * 50 + 1, r * 50 + 51)
        plots.add_batch(MetricBatch({"loss": (steps, rng.normal(size=50) * (r + 1)),
                                     "eval": (steps[-1:], np.array([float(r * r)]))}))
        plots.refresher.now()
    counts = paints_per_refresh(qtbot, plots.view, more)
    assert counts[1:] == [1] * (len(counts) - 1), counts  # (the first also lays the plots out)


def test_a_scatter_whose_points_move_is_painted_once_per_refresh(qtbot):
    scatter = LatentScatter()
    qtbot.addWidget(scatter)
    scatter.resize(400, 400)
    scatter.show()
    scatter.setup(PointsPanel("latent", "codes", 200, "x", "y"))
    rng = np.random.default_rng(1)
    state = {}

    def moved(r):
        pts = np.column_stack([rng.normal(size=200) * (r + 1), rng.normal(size=200) + r,
                               rng.integers(0, 10, 200)]).astype(np.float32)
        state["now"] = (r + 1, pts)
        scatter.refresher.now()
    scatter.source = lambda: state.get("now")
    counts = paints_per_refresh(qtbot, scatter.view, moved)
    assert counts[1:] == [1] * (len(counts) - 1), counts
