"""A saved session as the viewer's source, without Qt: its timeline's steps, the snapshot at or before any
step, its log as the window shows it, what a resume starts from, and a poll of a file nobody writes."""
import numpy as np
import pytest

from studio.control import Control
from studio.errors import SessionError
from studio.run_settings import RunSettings
from studio.runs import make_runner, new_run
from studio.session.reader import SessionReader
from studio.trainers.gan_config import GANConfig
from studio.viewer.session import SessionSource

TINY = GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "gan.h5"
    prepared = new_run("gan", TINY, RunSettings(seed=0, device="cpu", snapshot_every=10, threads=1), path)
    make_runner(prepared, Control(), max_steps=60, preview_seconds=None).run()
    return path


def test_a_session_as_a_source(saved):
    src = SessionSource(saved)
    try:
        with SessionReader(saved) as r:
            stored = r.snapshot("samples", 2)
            n_events = len(r.events())
        assert src.steps().tolist()[:3] == [0, 1, 2] and src.steps()[-1] == 60 and src.last_step() == 60
        step, content = src.snapshot_at("samples", 2)
        assert step == 2 and np.array_equal(content, stored)
        assert src.snapshot_at("samples", 27)[0] == 20 and src.snapshot_at("nope", 5) is None
        lines = src.log_lines()
        assert len(lines) == n_events and "step 60" in lines[-1] and src.log_lines() == []  # each line once
        carry = src.carry(30)
        assert carry.step == 30 and max(s for s, _ in carry.snapshots) == 20  # step 30 is taken again
        assert all((steps <= 30).all() for steps, _ in carry.metrics.points.values())
        delta = src.poll()
        assert not delta.any and not delta.rewound and delta.log == [] and delta.episodes == []
        assert src.episodes() == [] and src.episode_spec is None
    finally:
        src.close()


def test_a_damaged_snapshot_is_named(saved, monkeypatch):
    src = SessionSource(saved)
    try:
        monkeypatch.setattr(src.reader, "snapshot", lambda key, i: (_ for _ in ()).throw(OSError("bad chunk")))
        with pytest.raises(SessionError, match="the snapshot of step 10 cannot be read .*bad chunk"):
            src.snapshot_at("samples", 12)
    finally:
        src.close()
