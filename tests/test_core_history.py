"""A saved session read back for viewing, without its trainer: curves, panels, the timeline."""
import h5py
import numpy as np

from studio.control import Control
from studio.runs import make_runner, new_run
from studio.session.history import Timeline, all_metrics, saved_panels, saved_series
from studio.session.reader import SessionReader
from studio.sinks import MemorySink


def _gan_session(tmp_path, tiny_gan_config, tiny_settings, steps=60):
    path = tmp_path / "gan.h5"
    prepared = new_run("gan", tiny_gan_config, tiny_settings, path)
    memory = MemorySink()
    make_runner(prepared, Control(), [memory], max_steps=steps, preview_seconds=None).run()
    return path, prepared.trainer, memory


def test_series_and_panels_come_back_as_the_trainer_declared_them(tmp_path, tiny_gan_config, tiny_settings):
    path, trainer, memory = _gan_session(tmp_path, tiny_gan_config, tiny_settings)
    with SessionReader(path) as r:
        assert saved_series(r) == trainer.series  # in its order (HDF5 alone would list names sorted)
        assert saved_panels(r) == trainer.panels
        batch = all_metrics(r)
        for key, points in memory.points.items():
            steps, values = batch.points[key]
            assert steps.tolist() == [p[0] for p in points] and np.allclose(values, [p[1] for p in points])


def test_timeline_picks_each_panels_newest_snapshot_at_or_before_a_step(tmp_path, tiny_gan_config, tiny_settings):
    path, _, memory = _gan_session(tmp_path, tiny_gan_config, tiny_settings)
    with SessionReader(path) as r:
        t = Timeline(r)
        assert t.steps.tolist() == [0, 1, 2, 5, 10, 20, 30, 40, 50, 60]  # snapshot_every 10 plus the early ones
        assert t.snapshot_index("samples", 0) == 0
        assert t.snapshot_index("samples", 7) == 3                        # step 5's snapshot
        assert t.snapshot_index("samples", 10_000) == len(t.steps) - 1
        assert np.array_equal(r.snapshot("samples", 3), memory.snapshots[3][1]["samples"])
        assert t.nearest(7) == 3 and t.nearest(-5) == 0


def test_files_without_display_attributes_guess_sparse_series(tmp_path, tiny_gan_config, tiny_settings):
    path, _, _ = _gan_session(tmp_path, tiny_gan_config, tiny_settings)
    with h5py.File(path, "r+", locking=False) as f:   # as sessions were written before these attributes
        for ds in f["metrics"].values():
            del ds.attrs["sparse"], ds.attrs["smooth"]
        ds = f["metrics"].create_dataset("heldout_total", data=np.array([(30, 0.5)], f["metrics/loss_d"].dtype))
        ds.attrs.update({"label": "held-out", "plot": "p"})
    with SessionReader(path) as r:
        kinds = {s.key: (s.smooth, s.sparse) for s in saved_series(r)}
        assert kinds["heldout_total"] == (False, True) and kinds["loss_d"] == (True, False)


def test_metrics_export_to_csv_holds_every_point(tmp_path, tiny_gan_config, tiny_settings, sessions_dir):
    import csv

    from test_core_cli import cli, ok
    path, _, memory = _gan_session(tmp_path, tiny_gan_config, tiny_settings, steps=30)
    out = tmp_path / "m.csv"
    ok(cli(["export", path, "--metrics", out], sessions_dir))
    rows = list(csv.DictReader(out.open()))
    assert [int(r["step"]) for r in rows] == list(range(1, 31))
    for key, points in memory.points.items():
        assert [float(r[key]) for r in rows if r[key] != ""] == [p[1] for p in points]
    bad = cli(["export", path, "--metrics", tmp_path / "no" / "dir" / "m.csv"], sessions_dir)
    assert bad.returncode == 2 and "cannot write" in bad.stderr and "Traceback" not in bad.stderr
