"""The Q-value bars of a game agent: one bar per action, named, the largest marked; a NaN is not drawn."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from studio.trainers.base import ValuesPanel  # noqa: E402
from widgets.value_bars import CHOSEN, PLAIN, ValueBars  # noqa: E402


def test_bars_are_named_and_the_largest_is_marked(qtbot):
    view = ValueBars()
    qtbot.addWidget(view)
    view.setup(ValuesPanel("q_values", "Q-value of each action", ("NOOP", "FIRE", "RIGHT", "LEFT")))
    ticks = view.plot.getAxis("left")._tickLevels[0]
    assert [name for _, name in ticks] == ["NOOP", "FIRE", "RIGHT", "LEFT"]
    view.show_content(120, np.array([0.1, -0.3, 0.7, 0.2], np.float32))
    assert view.chosen == 2
    brushes = view.bars.opts["brushes"]
    assert [b == CHOSEN for b in brushes] == [False, False, True, False] and brushes[0] == PLAIN
    assert list(view.bars.opts["x0"]) == [0.0, -0.30000001192092896, 0.0, 0.0]  # a negative bar grows left
    assert "step 120" in view.title.text()
    view.show_content(121, np.array([np.nan, 0, 0, 0], np.float32))
    assert view.chosen == 2 and "step 120" in view.title.text()  # the NaN step is not drawn
