"""The VAE trainer: the ELBO in nats, held-out evaluation, panels, exact resume, bad values refused."""
import time

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
    assert {p.key: (p.shape, p.dtype) for p in t.panels} == {k: (v.shape, v.dtype) for k, v in images.items()}
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
    with pytest.raises(ConfigError) as err:
        cfg.from_dict(VAEConfig, {field: value})
    assert err.value.fields == (field,)


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


def test_latent_scatter_places_each_held_out_digit_at_its_code(digits):
    t = VAETrainer(VAEConfig(latent_dim=2, width=4, holdout=100), digits, torch.device("cpu"), 0)
    points = t.images()["latent"]
    assert points.shape == (100, 3) and points.dtype == np.float32
    mu, _ = t.model.encode(t.x_held)
    assert np.allclose(points[:, :2], mu.detach().numpy(), atol=1e-5)
    _, held = digits.split(100, 0)
    assert points[:, 2].tolist() == held.labels.tolist()


def test_latent_scatter_of_a_larger_code_is_its_principal_plane(digits):
    t = VAETrainer(TINY, digits, torch.device("cpu"), 0)
    for _ in range(20):
        t.train_step()
    xy = t.images()["latent"][:, :2].astype(np.float64)
    mu = t.model.encode(t.x_held)[0].detach().double().numpy()
    centred = mu - mu.mean(0)
    top2 = np.linalg.svd(centred, compute_uv=False)[:2]
    # Projections on the top two principal axes: uncorrelated, with the top two singular values as spread.
    assert np.allclose(np.linalg.norm(xy, axis=0), top2, rtol=1e-3)
    assert abs(np.corrcoef(xy.T)[0, 1]) < 1e-3
    assert np.array_equal(t.images()["latent"], t.images()["latent"])  # the same picture every refresh


def test_interpolation_runs_between_the_chosen_digits(digits):
    t = VAETrainer(TINY, digits, torch.device("cpu"), 0)
    held = (t.x_held.squeeze(1) * 255).round().to(torch.uint8).numpy()
    a, b = t.pair
    _, held_set = digits.split(TINY.holdout, 0)
    assert held_set.labels[a] != held_set.labels[b]  # the default pair shows two different digits
    t.set_view("interp", (7, 42))
    strip = t.images()["interp"]
    assert strip.shape == (12, 28, 28)
    assert np.array_equal(strip[0], held[7]) and np.array_equal(strip[-1], held[42])
    mu = t.model.encode(t.x_held[[7, 42]])[0]
    ends = (torch.sigmoid(t.model.decode(mu)).detach().squeeze(1) * 255).round().to(torch.uint8).numpy()
    assert np.array_equal(strip[1], ends[0]) and np.array_equal(strip[-2], ends[1])
    for bad in [(0, 100), (-1, 3)]:
        with pytest.raises(ValueError, match="0–99"):
            t.set_view("interp", bad)
    with pytest.raises(ValueError):
        t.set_view("samples", (1, 2))
    assert t.pair == (7, 42)


def test_live_previews_bring_the_scatter_one_time_in_three_and_the_same_other_pictures(digits):
    from studio.trainers.vae import SCATTER_EVERY
    t = VAETrainer(TINY, digits, torch.device("cpu"), 0)
    t.train_step()
    t.set_view("interp", (7, 42))
    whole = t.images()
    live = [t.preview_images() for _ in range(2 * SCATTER_EVERY)]
    assert [("latent" in p) for p in live] == [True, False, False] * 2
    for preview in live:
        assert set(whole) - set(preview) <= {"latent"}
        for key, picture in preview.items():  # the codes of fewer digits at a time: equal within rounding
            assert np.abs(picture.astype(float) - whole[key].astype(float)).max() <= 1, key


def test_a_viewers_choice_shows_at_once_while_paused(digits, tiny_settings, tmp_path):
    from threading import Thread
    from studio.sinks import MemorySink
    control = Control(paused=True)
    prepared = new_run("vae", TINY, tiny_settings, tmp_path / "s.h5")
    runner = make_runner(prepared, control, max_steps=5, preview_seconds=0.05)
    memory = MemorySink()
    runner.sink.sinks.append(memory)
    held = (prepared.trainer.x_held.squeeze(1) * 255).round().to(torch.uint8).numpy()

    def wait_for(condition):
        deadline = time.monotonic() + 20
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)
        return condition()

    def shows_pair(a, b):
        strip = memory.previews[-1][1]["interp"] if memory.previews else None
        return strip is not None and np.array_equal(strip[0], held[a]) and np.array_equal(strip[-1], held[b])

    thread = Thread(target=runner.run)
    thread.start()
    try:
        control.set_view("interp", (3, 4))
        assert wait_for(lambda: shows_pair(3, 4))
        control.set_view("interp", (0, 500))   # out of range: a warning, the previous choice stays
        assert wait_for(lambda: any(e.kind == "warning" for e in memory.events))
    finally:
        control.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert prepared.trainer.step == 0  # shown without training a step
    assert "0–99" in [e.message for e in memory.events if e.kind == "warning"][0]
    assert prepared.trainer.pair == (3, 4)

TWO = VAEConfig(latent_dim=4, width=4, batch_size=32, eval_every=5, holdout=100, two_stage=True, stage2_start=10)


def test_two_stage_freezes_the_first_vae_and_fits_its_codes(digits):
    t = VAETrainer(TWO, digits, torch.device("cpu"), 0)
    assert [p.key for p in t.panels][:2] == ["samples", "two_stage"]  # side by side in the window
    for _ in range(10):
        assert "stage2_total" not in t.train_step()
    frozen = {k: v.clone() for k, v in t.model.state_dict().items()}
    second = {k: v.clone() for k, v in t.stage2.state_dict().items()}
    assert set(t.train_step()) == {"stage2_total"}
    for _ in range(20):
        t.train_step()
    assert all(torch.equal(v, t.model.state_dict()[k]) for k, v in frozen.items())
    assert not all(torch.equal(v, t.stage2.state_dict()[k]) for k, v in second.items())
    images = t.images()
    assert images["two_stage"].shape == (64, 28, 28)
    assert not np.array_equal(images["two_stage"], images["samples"])
    assert t.generate(5, seed=1, stages=1).shape == (5, 28, 28)
    assert not np.array_equal(t.generate(5, seed=1), t.generate(5, seed=1, stages=1))
    with pytest.raises(ValueError, match="no second stage"):
        VAETrainer(TINY, digits, torch.device("cpu"), 0).generate(2, seed=0, stages=2)


def test_the_second_stage_learns_a_code_distribution_unlike_the_prior():
    # Codes on a thin ring: far from N(0, I), which is what a first stage's codes look like to the second.
    from studio.models.latent_vae import LatentVAE, latent_elbo_terms
    torch.manual_seed(0)
    angle = torch.rand(4096) * 2 * np.pi
    codes = torch.stack([angle.cos(), angle.sin()], 1) * 2 + 0.05 * torch.randn(4096, 2)
    model = LatentVAE(2, hidden=64)
    opt = torch.optim.Adam(model.parameters(), 3e-3)

    def loss(z):
        nll, kl = latent_elbo_terms(model, z, torch.randn_like(z))
        return (nll + kl).mean()

    cov = np.cov(codes.numpy().T)
    best_gaussian = 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * cov))  # nats per code of the best N(m, C)
    for _ in range(1000):
        batch = codes[torch.randint(4096, (128,))]
        opt.zero_grad()
        loss(batch).backward()
        opt.step()
    with torch.no_grad():
        end = float(loss(codes))
    assert end < best_gaussian - 0.3   # it found structure no Gaussian, so no untrained prior, can fit
    assert float(model.log_gamma.detach()) < -1.0  # the decoder's variance shrank as the fit improved


def test_two_stage_evaluates_the_second_stage_on_held_out_codes(digits):
    t = VAETrainer(TWO, digits, torch.device("cpu"), 0)
    outs = [t.train_step() for _ in range(20)]
    keys = [k for out in outs for k in out if k.startswith("heldout")]
    assert keys.count("heldout_total") == 3             # steps 1, 5, 10: the first stage
    assert keys.count("heldout_stage2_total") == 2      # steps 15, 20: the second


def test_two_stage_resume_across_the_stage_boundary_is_exact(tmp_path, tiny_settings):
    def run(prepared, last):
        assert make_runner(prepared, Control(), max_steps=last, preview_seconds=None).run() == "finished"

    one, two = tmp_path / "one.h5", tmp_path / "two.h5"
    run(new_run("vae", TWO, tiny_settings, one), 16)
    run(new_run("vae", TWO, tiny_settings, two), 8)
    run(resume_run(two, "cpu"), 16)
    with SessionReader(one) as a, SessionReader(two) as b:
        assert a.series("stage2_total")[0].tolist() == list(range(11, 17))
        for key in a.series_keys():
            assert np.allclose(a.series(key)[1], b.series(key)[1], rtol=1e-6, atol=1e-6), key
        assert b.panel_attrs("latent")["kind"] == "points"
        assert b.panel_attrs("interp")["pick"] == 100
        assert b.snapshot("latent", 0).shape == (100, 3)


def test_a_decoder_producing_nan_pauses_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path, tiny_settings,
                                                                                          monkeypatch):
    from studio.sinks import MemorySink
    prepared = new_run("vae", TINY, tiny_settings, tmp_path / "nan.h5")
    t = prepared.trainer
    good_decode = t.model.decode

    def decode(z):  # from step 5's evaluation on, the decoder's output is NaN (as after an overflow)
        out = good_decode(z)
        return out * float("nan") if t.step >= 5 else out

    monkeypatch.setattr(t.model, "decode", decode)
    from threading import Thread
    from studio.session.checkpoint import unpack
    control = Control()
    memory = MemorySink()
    runner = make_runner(prepared, control, [memory], max_steps=20, preview_seconds=None)
    runner.checkpoint_seconds = 0.0  # a checkpoint after every good step
    thread = Thread(target=runner.run)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(e.kind == "error" for e in memory.events) and time.monotonic() < deadline:
        time.sleep(0.02)
    control.stop()
    thread.join(30)
    errors = [e for e in memory.events if e.kind == "error"]
    assert errors and "NaN" in errors[0].message and "paused" in errors[0].message
    assert errors[0].step == 5 and "restored from step 4" in errors[0].message
    assert t.parameters_finite()
    with SessionReader(tmp_path / "nan.h5") as r:
        step, blob = r.latest_checkpoint()
    saved = unpack(blob)["modules"]["model"]
    assert step == 5 and all(torch.isfinite(v).all() for v in saved.values() if v.is_floating_point())
