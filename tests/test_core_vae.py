"""The VAE trainer: the ELBO in nats, held-out evaluation, panels, exact resume, bad values refused."""
import numpy as np
import pytest
import torch

from studio import config as cfg
from studio.control import Control
from studio.data.digits import load_embedded
from studio.errors import ConfigError
from studio.runs import make_runner, new_run, resume_run
from studio.session.reader import SessionReader
from studio.trainers.vae import VAETrainer
from studio.trainers.vae_config import VAEConfig

TINY = VAEConfig(latent_dim=4, width=4, batch_size=32, eval_every=5, holdout=100)


@pytest.fixture(scope="module")
def digits():
    return load_embedded()


def test_metrics_are_per_image_nats_and_heldout_comes_on_schedule(digits):
    t = VAETrainer(TINY, digits, torch.device("cpu"), 0)
    first = t.train_step()
    assert set(first) == {"total", "recon", "kl", "heldout_total", "heldout_recon", "heldout_kl"}
    # An untrained decoder gives each of 784 pixels about log 2 nats of cross-entropy.
    assert 300 < float(first["recon"]) < 800
    assert float(first["total"]) == pytest.approx(float(first["recon"]) + float(first["kl"]))
    keys = [set(t.train_step()) for _ in range(5)]          # steps 2..6
    assert [("heldout_total" in k) for k in keys] == [False, False, False, True, False]


def test_evaluation_does_not_disturb_training_randomness(digits):
    a = VAETrainer(TINY, digits, torch.device("cpu"), 0)
    b = VAETrainer(VAEConfig(**{**cfg.to_dict(TINY), "eval_every": 1000}), digits, torch.device("cpu"), 0)
    la = [float(a.train_step()["total"]) for _ in range(12)]
    lb = [float(b.train_step()["total"]) for _ in range(12)]
    assert la == lb


def test_it_learns(digits):
    config = VAEConfig(latent_dim=8, width=8, batch_size=64, eval_every=150, holdout=200)
    t = VAETrainer(config, digits, torch.device("cpu"), 0)
    start = float(t.train_step()["heldout_total"])
    for _ in range(149):
        out = t.train_step()
    assert float(out["heldout_total"]) < 0.6 * start


def test_panels_and_images(digits):
    t = VAETrainer(VAEConfig(latent_dim=2, width=4, holdout=100), digits, torch.device("cpu"), 0)
    images = t.images()
    assert {p.key: p.shape for p in t.panels} == {k: v.shape for k, v in images.items()}
    assert images["manifold"].shape == (225, 28, 28) and images["manifold"].dtype == np.uint8
    # Rows alternate: held-out digits, then their reconstructions.
    real = (t.x_held[:8].squeeze(1) * 255).round().to(torch.uint8).numpy()
    assert np.array_equal(images["recon"][:8], real)
    assert "manifold" not in VAETrainer(TINY, digits, torch.device("cpu"), 0).images()
    samples = t.generate(7, seed=3)
    assert samples.shape == (7, 28, 28) and samples.dtype == np.float32
    assert 0 <= samples.min() and samples.max() <= 1


@pytest.mark.parametrize("field,value", [("latent_dim", 1), ("beta", -1.0), ("lr", 5.0), ("batch_size", 0)])
def test_out_of_range_values_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        cfg.from_dict(VAEConfig, {field: value})


def test_resume_is_exact(tmp_path, tiny_settings):
    def run(prepared, last):
        assert make_runner(prepared, Control(), max_steps=last, preview_seconds=None).run() == "finished"

    one = tmp_path / "one.h5"
    run(new_run("vae", TINY, tiny_settings, one), 12)
    two = tmp_path / "two.h5"
    run(new_run("vae", TINY, tiny_settings, two), 7)
    run(resume_run(two, "cpu"), 12)
    with SessionReader(one) as a, SessionReader(two) as b:
        for key in a.series_keys():
            (sa, va), (sb, vb) = a.series(key), b.series(key)
            assert sa.tolist() == sb.tolist()
            assert np.allclose(va, vb, rtol=1e-6, atol=1e-6), key
