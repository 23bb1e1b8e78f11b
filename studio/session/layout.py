"""Names and record types of the session file (schema version 1). docs/session-format.md describes it."""
import numpy as np

SCHEMA_VERSION = 1
APP = "Training Studio"

METRIC_DTYPE = np.dtype([("step", "<i8"), ("value", "<f8")])
EVENT_DTYPE = np.dtype([("step", "<i8"), ("time", "<f8"), ("kind", "S16"), ("message", "S1000")])
CKPT_DTYPE = np.dtype([("step", "<i8"), ("slot", "<i1"), ("nbytes", "<i8"), ("crc32", "<u4"), ("time", "<f8")])

METRICS = "metrics"
IMAGES = "images"
EVENTS = "events"
CHECKPOINTS = "checkpoints"
CKPT_SLOTS = ("slot0", "slot1")   # two slots: a torn write can only ever damage the older checkpoint
CKPT_INDEX = "index"
