"""Names and record types of the session file (schema version 1). docs/session-format.md describes it."""
import numpy as np

SCHEMA_VERSION = 1
APP = "Training Studio"

METRIC_DTYPE = np.dtype([("step", "<i8"), ("value", "<f8")])
EVENT_DTYPE = np.dtype([("step", "<i8"), ("time", "<f8"), ("kind", "S16"), ("message", "S1000")])
# One row per recorded episode: its rows are start … start+length−1 of the frames/actions/q_values/rewards datasets.
EPISODE_DTYPE = np.dtype([("step", "<i8"), ("seed", "<i8"), ("start", "<i8"), ("length", "<i8"), ("return", "<f8")])
CKPT_DTYPE = np.dtype([("step", "<i8"), ("slot", "<i1"), ("nbytes", "<i8"), ("crc32", "<u4"), ("time", "<f8")])

METRICS = "metrics"
IMAGES = "images"
EVENTS = "events"
CHECKPOINTS = "checkpoints"
EPISODES = "episodes"
CKPT_SLOTS = ("slot0", "slot1")   # two slots: a torn write can only ever damage the older checkpoint
CKPT_INDEX = "index"
