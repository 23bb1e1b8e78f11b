"""The groups and datasets of a new session file (names and dtypes in layout.py).

Everything is created here, before the writer switches SWMR mode on: SWMR cannot create objects later.
Each dataset is chunked and resizable, so it can grow while another process reads it.
"""
import time

import h5py
import numpy as np

from studio import __version__
from studio import config as cfg
from studio.session import layout as L


def create(f: h5py.File, info) -> None:
    """Lay out a new session for the run described by `info` (a RunInfo)."""
    f.attrs.update({"schema_version": L.SCHEMA_VERSION, "app": L.APP, "app_version": __version__,
                    "kind": info.kind, "title": info.title, "device": info.device_name,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "config_json": cfg.to_json(info.config), "settings_json": cfg.to_json(info.settings)})
    readable_attrs(f.create_group("config"), info.config)
    readable_attrs(f.create_group("settings"), info.settings)
    metrics = f.create_group(L.METRICS)
    # `order`: HDF5 lists a group's members alphabetically; a viewer shows them as the trainer declared.
    for i, s in enumerate(info.series):
        ds = metrics.create_dataset(s.key, (0,), maxshape=(None,), dtype=L.METRIC_DTYPE, chunks=(4096,))
        ds.attrs.update({"label": s.label, "plot": s.plot, "smooth": s.smooth, "sparse": s.sparse, "order": i})
    images = f.create_group(L.IMAGES)
    for i, p in enumerate(p for p in info.panels if p.saved):
        g = images.create_group(p.key)
        g.attrs.update({**panel_attrs(p), "order": i})
        g.create_dataset("data", (0, *p.shape), maxshape=(None, *p.shape), dtype=p.dtype,
                         chunks=(1, *p.shape), compression="gzip", compression_opts=4, shuffle=True)
        g.create_dataset("step", (0,), maxshape=(None,), dtype=np.int64, chunks=(1024,))
    if info.episodes is not None:
        create_episodes(f, info.episodes)
    f.create_dataset(L.EVENTS, (0,), maxshape=(None,), dtype=L.EVENT_DTYPE, chunks=(64,))
    ck = f.create_group(L.CHECKPOINTS)
    for slot in L.CKPT_SLOTS:
        ck.create_dataset(slot, (0,), maxshape=(None,), dtype=np.uint8, chunks=(1 << 18,))
    ck.create_dataset(L.CKPT_INDEX, (0,), maxshape=(None,), dtype=L.CKPT_DTYPE, chunks=(64,))


def create_episodes(f: h5py.File, spec) -> None:
    """The group of recorded game episodes, for an EpisodeSpec (also added to an older session on resume)."""
    g = f.create_group(L.EPISODES)
    g.attrs.update({"env": spec.env, "action_names": list(spec.action_names), "fps": spec.fps})
    n_actions = len(spec.action_names)
    g.create_dataset("frames", (0, *spec.frame_shape), maxshape=(None, *spec.frame_shape), dtype=np.uint8,
                     chunks=(1, *spec.frame_shape), compression="gzip")
    g.create_dataset("actions", (0,), maxshape=(None,), dtype=np.int16, chunks=(4096,))
    g.create_dataset("q_values", (0, n_actions), maxshape=(None, n_actions), dtype=np.float32,
                     chunks=(4096, n_actions))
    g.create_dataset("rewards", (0,), maxshape=(None,), dtype=np.float32, chunks=(4096,))
    g.create_dataset("index", (0,), maxshape=(None,), dtype=L.EPISODE_DTYPE, chunks=(64,))


def readable_attrs(group: h5py.Group, config) -> None:
    """A config's fields as attributes, one each, so any HDF5 viewer shows them (config_json is for us)."""
    for key, value in cfg.to_dict(config).items():
        group.attrs[key] = value


def panel_attrs(panel) -> dict:
    """What a reader needs to draw a panel without the trainer: image grids and point scatters."""
    if panel.kind == "points":
        return {"kind": "points", "label": panel.label, "x_label": panel.x_label, "y_label": panel.y_label,
                "classes": list(panel.classes), "pick_for": panel.pick_for}
    return {"kind": "images", "label": panel.label, "cols": panel.cols, "pick": panel.pick}
