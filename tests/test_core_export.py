"""Exports of a saved session: a panel's evolution as GIF, one snapshot as PNG, an episode as MP4/GIF,
the weights alone as safetensors / a torch state dict; and their command line."""
import numpy as np
import pytest
import torch
from PIL import Image

from studio.control import Control
from studio.errors import StudioError
from studio.images import tile, upscale
from studio.runs import load_trainer, make_runner, new_run
from studio.session.export_images import panel_gif, panel_png
from studio.session.export_video import episode_video
from studio.session.export_weights import export_weights
from studio.session.reader import SessionReader
from test_core_cli import cli, ok
from test_core_dqn_episodes import TINY as TINY_DQN


@pytest.fixture(scope="module")
def gan(tmp_path_factory):
    from studio.run_settings import RunSettings
    from studio.trainers.gan_config import GANConfig
    path = tmp_path_factory.mktemp("gan") / "gan.h5"
    prepared = new_run("gan", GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8),
                       RunSettings(seed=0, device="cpu", snapshot_every=10), path)
    make_runner(prepared, Control(), max_steps=30, preview_seconds=None).run()
    return path


@pytest.fixture(scope="module")
def dqn(tmp_path_factory):
    from studio.run_settings import RunSettings
    path = tmp_path_factory.mktemp("dqn") / "dqn.h5"
    prepared = new_run("dqn", TINY_DQN, RunSettings(seed=0, device="cpu"), path)
    make_runner(prepared, Control(), max_steps=200, preview_seconds=None).run()
    return path


def _frames(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("L")))
        return out


def test_the_gif_has_every_snapshot_tiled_as_the_window_shows_it(gan, tmp_path):
    out = tmp_path / "evo.gif"
    with SessionReader(gan) as r:
        steps = r.snapshot_steps("samples")
        assert panel_gif(r, "samples", out, scale=3) == len(steps) == 7  # steps 0 1 2 5 10 20 30
        expected = [upscale(tile(r.snapshot("samples", i), 8), 3) for i in range(len(steps))]
    frames = _frames(out)
    assert len(frames) == len(expected)
    h, w = expected[0].shape
    for got, want in zip(frames, expected):
        assert np.array_equal(got[:h, :w], want)          # grey levels kept exactly
        assert got.shape[0] > h                            # and a caption band with the step below
    with SessionReader(gan) as r:                          # a range of steps
        assert panel_gif(r, "samples", tmp_path / "part.gif", first_step=2, last_step=20) == 4


def test_the_png_is_the_snapshot_at_or_before_the_step(gan, tmp_path):
    out = tmp_path / "one.png"
    with SessionReader(gan) as r:
        assert panel_png(r, "samples", out, step=17, scale=1) == 10
        want = tile(r.snapshot("samples", 4), 8)
        assert panel_png(r, "samples", tmp_path / "last.png", scale=1) == 30
    assert np.array_equal(np.asarray(Image.open(out)), want)


def test_panel_errors_are_clear(gan, tmp_path):
    with SessionReader(gan) as r:
        with pytest.raises(StudioError, match="no panel 'nope'; its panels: samples"):
            panel_gif(r, "nope", tmp_path / "x.gif")
        with pytest.raises(StudioError, match="no snapshot"):
            panel_gif(r, "samples", tmp_path / "x.gif", first_step=31)
        with pytest.raises(StudioError, match=".gif or .png"):
            panel_png(r, "samples", tmp_path / "x.jpg")
        with pytest.raises(StudioError, match="no recorded episodes"):
            episode_video(r, -1, tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []                  # nothing half-written left behind


def test_an_episode_as_mp4_and_gif(dqn, tmp_path):
    import imageio_ffmpeg
    with SessionReader(dqn) as r:
        episode = r.episode(len(r.episode_index()) - 1)
        n = episode_video(r, -1, tmp_path / "ep.mp4")
        assert n == len(episode) == episode_video(r, -1, tmp_path / "ep.gif")
        with pytest.raises(StudioError, match="no episode 99"):
            episode_video(r, 99, tmp_path / "x.mp4")
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "ep.mp4"))
    meta = next(reader)
    decoded = [np.frombuffer(f, np.uint8).reshape(meta["size"][1], meta["size"][0], 3) for f in reader]
    assert meta["size"] == (600, 400) and meta["fps"] == 50 and len(decoded) == n
    # Lossy, but the same picture: the cart and pole of the last frame where they were.
    assert np.abs(decoded[-1].astype(int) - episode.frame(n - 1).astype(int)).mean() < 3
    with Image.open(tmp_path / "ep.gif") as im:
        assert im.size == (600, 400) and im.n_frames >= n - 2  # Pillow merges identical neighbours


def test_weights_load_into_a_fresh_model_and_give_the_same_outputs(gan, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file
    with SessionReader(gan) as r:
        assert export_weights(r, tmp_path / "w.safetensors") == 30
        assert export_weights(r, tmp_path / "w.pt") == 30
    trainer, _, _ = load_trainer(gan, "cpu")
    for tensors in (load_file(tmp_path / "w.safetensors"), torch.load(tmp_path / "w.pt", weights_only=True)):
        assert {k.split(".")[0] for k in tensors} == {"G", "D", "G_ema"}  # the average of G is exported too
        g = trainer.G
        state = {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
        z = torch.randn(5, trainer.config.z_dim, generator=torch.Generator().manual_seed(1))
        g.eval()
        want = g(z)
        with torch.no_grad():
            for p in g.parameters():
                p.add_(1.0)                                   # spoil it, then load the exported weights
        g.load_state_dict(state)
        assert torch.equal(g(z), want)
    with safe_open(tmp_path / "w.safetensors", "pt") as f:
        meta = f.metadata()
        assert meta["kind"] == "gan" and meta["step"] == "30" and '"z_dim": 8' in meta["config_json"]


def test_the_dqn_exports_its_q_network_only(dqn, tmp_path):
    from safetensors.torch import load_file
    with SessionReader(dqn) as r:
        export_weights(r, tmp_path / "q.safetensors")
    assert {k.split(".")[0] for k in load_file(tmp_path / "q.safetensors")} == {"q"}


def test_the_command_line_exports_several_at_once(gan, dqn, tmp_path, sessions_dir):
    result = ok(cli(["export", gan, "--gif", "samples", tmp_path / "e.gif", "--png", "samples", tmp_path / "p.png",
                     "--step", 5, "--weights", tmp_path / "w.pt", "--metrics", tmp_path / "m.csv"], sessions_dir))
    assert all((tmp_path / n).stat().st_size > 0 for n in ("e.gif", "p.png", "w.pt", "m.csv"))
    assert "at step 5" in result.stderr
    bad = cli(["export", dqn, "--episode", "7", tmp_path / "x.mp4"], sessions_dir)
    assert bad.returncode == 2 and "no episode 7" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.mp4").exists()
    none = cli(["export", gan], sessions_dir)
    assert none.returncode == 2 and "say what to export" in none.stderr
