"""The sessions list's rows: model, title, date, steps, best metric and size of each file in a folder,
or what is wrong with it; a file that takes too long does not hold up the others."""
import time

import numpy as np
import pytest

from studio.control import Control
from studio.run_settings import RunSettings
from studio.runs import make_runner, new_run
from studio.session.catalog import list_sessions, session_files
from studio.session.reader import SessionReader

from helpers_core import hanging_child


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import h5py

    from studio.trainers.gan_config import GANConfig
    from test_core_dqn_episodes import TINY as TINY_DQN
    from test_core_vae import TINY as TINY_VAE
    folder = tmp_path_factory.mktemp("sessions")
    settings = RunSettings(seed=0, device="cpu", snapshot_every=10)
    for name, kind, config, steps in (("gan.h5", "gan", GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8), 20),
                                      ("vae.h5", "vae", TINY_VAE, 20), ("dqn.h5", "dqn", TINY_DQN, 300)):
        make_runner(new_run(kind, config, settings, folder / name), Control(), max_steps=steps,
                    preview_seconds=None).run()
    whole = (folder / "gan.h5").read_bytes()
    (folder / "cut.h5").write_bytes(whole[:2048])  # the superblock and hardly more
    with h5py.File(folder / "foreign.h5", "w") as f:
        f["x"] = np.arange(3)
    (folder / "notes.txt").write_text("not a session")
    return folder


def _rows(folder, **kw) -> dict:
    return {r["path"].rsplit("/", 1)[-1]: r for r in list_sessions(session_files(folder), **kw)}


def test_every_session_file_gets_a_row(folder):
    rows = _rows(folder)
    assert set(rows) == {"gan.h5", "vae.h5", "dqn.h5", "cut.h5", "foreign.h5"}      # not notes.txt
    gan = rows["gan.h5"]
    assert (gan["kind"], gan["steps"], gan["error"]) == ("gan", 20, "") and "best_value" not in gan
    assert gan["title"].startswith("GAN") and gan["created"] and gan["size"] == (folder / "gan.h5").stat().st_size
    assert rows["cut.h5"]["error"] and rows["foreign.h5"]["error"] == "an HDF5 file, but not a Training Studio session"


@pytest.mark.parametrize("name, key, best", [("dqn.h5", "eval_return", np.max), ("vae.h5", "heldout_total", np.min)])
def test_the_best_metric_is_read_from_the_file(folder, name, key, best):
    row = _rows(folder)[name]
    with SessionReader(folder / name) as r:
        steps, values = r.series(key)
    assert len(values) >= 2
    assert row["best_value"] == best(values) and row["best_step"] == steps[list(values).index(best(values))]


def test_a_file_that_hangs_is_reported_and_the_rest_go_on(folder, tmp_path, monkeypatch):
    import studio.session.catalog as catalog
    monkeypatch.setattr(catalog, "CHILD_ARGS", hanging_child("studio.session.catalog", "read_entry"))
    hang = tmp_path / "hangs.h5"
    hang.write_bytes((folder / "gan.h5").read_bytes())
    files = [folder / "gan.h5", hang, folder / "vae.h5"]
    t0 = time.monotonic()
    rows = list(list_sessions(files, per_file_s=2.0))
    assert time.monotonic() - t0 < 30
    assert [r["path"] for r in rows] == [str(f) for f in files]
    assert "took too long" in rows[1]["error"]
    assert rows[0]["error"] == rows[2]["error"] == "" and (rows[0]["kind"], rows[2]["kind"]) == ("gan", "vae")
