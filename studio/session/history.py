"""A saved session as a viewer shows it, read from the file alone (no trainer, no torch state): which
curves go on which plots, the panels and the steps of their snapshots, and which snapshot of each panel
belongs to a chosen step of the timeline."""
import numpy as np

from studio.session import layout as L
from studio.session.reader import SessionReader
from studio.sinks import MetricBatch
from studio.trainers.base import ImagePanel, PointsPanel, Series

# Files written before series carried their display attributes: evaluation series are the sparse ones.
SPARSE_PREFIXES = ("eval_", "heldout_")


def saved_series(reader: SessionReader) -> list[Series]:
    out = []
    for key in reader.series_keys():
        attrs = reader.f[L.METRICS][key].attrs
        if "sparse" in attrs:
            sparse, smooth = bool(attrs["sparse"]), bool(attrs.get("smooth", True))
        else:
            sparse = key.startswith(SPARSE_PREFIXES)
            smooth = not sparse and key != "epsilon"
        out.append(Series(key, str(attrs.get("label", key)), str(attrs.get("plot", key)), smooth=smooth,
                          sparse=sparse))
    return out


def saved_panels(reader: SessionReader) -> list:
    panels = []
    for key in reader.panel_keys():
        a = reader.panel_attrs(key)
        shape = tuple(reader.f[L.IMAGES][key]["data"].shape[1:])
        if a["kind"] == "points":
            panels.append(PointsPanel(key, str(a.get("label", key)), shape[0], str(a.get("x_label", "")),
                                      str(a.get("y_label", "")), tuple(str(c) for c in a.get("classes", ())),
                                      str(a.get("pick_for", ""))))
        else:
            panels.append(ImagePanel(key, str(a.get("label", key)), shape, int(a.get("cols", 8))))
    return panels


def all_metrics(reader: SessionReader) -> MetricBatch:
    points = {}
    for key in reader.series_keys():
        steps, values = reader.series(key)
        points[key] = (steps.astype(np.int64), values.astype(np.float64))
    return MetricBatch(points)


class Timeline:
    """The steps at which any panel has a snapshot, and for a chosen step each panel's newest snapshot
    taken at or before it."""

    def __init__(self, reader: SessionReader):
        self.panel_steps = {key: reader.snapshot_steps(key) for key in reader.panel_keys()}
        every = [s for s in self.panel_steps.values() if len(s)]
        self.steps = np.unique(np.concatenate(every)) if every else np.zeros(0, np.int64)

    def extend(self, panel: str, steps: np.ndarray) -> None:
        """Snapshots a live writer has added since (steps after the panel's last one)."""
        self.panel_steps[panel] = np.concatenate([self.panel_steps[panel], np.asarray(steps, np.int64)])
        self.steps = np.union1d(self.steps, steps).astype(np.int64)

    def __len__(self) -> int:
        return len(self.steps)

    def snapshot_index(self, panel: str, step: int) -> int | None:
        steps = self.panel_steps[panel]
        i = int(np.searchsorted(steps, step, side="right")) - 1
        return i if i >= 0 else None

    def nearest(self, step: int) -> int:
        """Position on the timeline of the last step at or before `step` (the first one if none)."""
        return max(0, int(np.searchsorted(self.steps, step, side="right")) - 1)
