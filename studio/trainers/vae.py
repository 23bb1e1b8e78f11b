"""The handwritten-digit VAE: ELBO training, held-out evaluation, reconstructions, prior samples, the
latent scatter and interpolation, the decoded manifold (2-D latent) and, as an option, the two-stage VAE."""
import numpy as np
import torch

from studio.errors import DataError
from studio.data.augment import random_shift
from studio.models.conv_vae import ConvVAE, elbo_terms
from studio.models.latent_vae import LatentVAE, latent_elbo_terms
from studio.trainers import quality_series as Q
from studio.trainers import vae_views as V
from studio.trainers.base import ImagePanel, PointsPanel, Series, Trainer
from studio.trainers.vae_config import DEFAULT_PRESET, PRESETS, VAEConfig

SCATTER_EVERY = 3  # live previews per redraw of the latent scatter (~2 s apart at studio/runner.py PREVIEW_MAX_S)

ELBO_PLOT, PARTS_PLOT, STAGE2_PLOT = ("negative ELBO, nats per image", "parts, nats per image",
                                      "2nd stage: −ELBO, nats per code")


class VAETrainer(Trainer):
    kind = "vae"
    title = "VAE — handwritten digits"
    config_cls = VAEConfig
    presets = PRESETS
    default_preset = DEFAULT_PRESET

    def __init__(self, config: VAEConfig, data, device, seed: int):
        super().__init__(config, data, device, seed)
        torch.manual_seed(seed)  # weight initialisation
        # A small folder of one's own pictures keeps four fifths for training rather than being refused.
        holdout = min(config.holdout, len(data) // 5)
        if holdout < config.holdout:
            if holdout < 2:
                raise DataError(f"{data.name}: {len(data)} images are too few for the VAE (it needs at least 10)")
            self.note(f"{len(data)} images: {holdout} held out for evaluation, not {config.holdout}")
        train, held = data.split(holdout, seed)
        to_x = lambda s: torch.as_tensor(s.images, device=device).float().div(255).unsqueeze(1)  # noqa: E731
        self.x, self.x_held = to_x(train), to_x(held)
        self.n_shown = min(len(held), V.MAX_SCATTER)  # held-out digits in the scatter and the pair choice
        # Whole rows of up to 8 (a hold-out of 10 shows 8; a tiny folder of own images fewer).
        self.recon_cols = min(8, self.n_shown)
        self.n_recon = min(V.N_RECON, self.n_shown // self.recon_cols * self.recon_cols)
        self.held_labels = torch.as_tensor(held.labels[:self.n_shown], device=device)
        self.classes = tuple(held.classes)
        self.pair = V.default_pair(held.labels[:self.n_shown])
        self.model = ConvVAE(config.latent_dim, config.width).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), config.lr)
        if config.two_stage:
            self.stage2 = LatentVAE(config.latent_dim).to(device)
            self.opt2 = torch.optim.Adam(self.stage2.parameters(), config.lr)
        self._previews = 0  # live previews drawn (the scatter is in every SCATTER_EVERY-th)
        self._codes = None  # (mu, logvar) of every training digit under the frozen first stage
        fixed = torch.Generator(device="cpu").manual_seed(seed + 1)
        self.fixed_z = torch.randn(64, config.latent_dim, generator=fixed).to(device)
        self.quality = Q.meter(train)
        quality = torch.Generator(device="cpu").manual_seed(seed + 2)  # the scored batch: the same every time
        self.quality_z = torch.randn(Q.N_SCORED, config.latent_dim, generator=quality).to(device)

    @property
    def in_stage2(self) -> bool:
        return self.config.two_stage and self.step >= self.config.stage2_start

    @property
    def series(self):
        out = [Series("total", "−ELBO (train)", ELBO_PLOT),
               Series("heldout_total", "−ELBO (held-out)", ELBO_PLOT, sparse=True),
               Series("recon", "reconstruction (train)", PARTS_PLOT),
               Series("kl", "KL (train)", PARTS_PLOT),
               Series("heldout_recon", "reconstruction (held-out)", PARTS_PLOT, sparse=True),
               Series("heldout_kl", "KL (held-out)", PARTS_PLOT, sparse=True)]
        if self.config.two_stage:
            out += [Series("stage2_total", "second stage −ELBO (train)", STAGE2_PLOT),
                    Series("heldout_stage2_total", "second stage −ELBO (held-out)", STAGE2_PLOT, sparse=True)]
        return out + Q.series(self.data, self.config, {"": "prior samples"})

    @property
    def panels(self):
        c = self.config
        # Short titles: at 1000×700 a panel column is under 200 px wide (tests/test_gui_readable.py).
        title = "1st stage: prior samples" if c.two_stage else "Prior samples (a fixed batch)"
        out = [ImagePanel("samples", title, (64, 28, 28), 8)]
        if c.two_stage:
            out.append(ImagePanel("two_stage", "Two-stage: the same batch",
                                  (64, 28, 28), 8))
        out.append(ImagePanel("recon", "Held-out digits, reconstructed below",
                              (2 * self.n_recon, 28, 28), self.recon_cols))
        if c.latent_dim == 2:
            out.append(ImagePanel("manifold", "Decoded latent plane (quantiles)",
                                  (V.MANIFOLD * V.MANIFOLD, 28, 28), V.MANIFOLD))
        axes = ("z₁", "z₂") if c.latent_dim == 2 else ("PC 1", "PC 2")  # short: a small panel's axes
        title = "Latent plane: held-out digits" if c.latent_dim == 2 else "Latent space (PCA): held-out digits"
        out.append(PointsPanel("latent", title, self.n_shown, *axes,
                               classes=self.classes, pick_for="interp"))
        out.append(ImagePanel("interp", "From A to B through the latent space (by rows)",
                              (V.INTERP + 2, 28, 28), (V.INTERP + 2) // 2, pick=self.n_shown))
        return out

    def modules(self):
        return {"model": self.model, **({"stage2": self.stage2} if self.config.two_stage else {})}

    def optimizers(self):
        return {"opt": self.opt, **({"opt2": self.opt2} if self.config.two_stage else {})}

    def on_config_changed(self, changed: dict) -> None:
        for opt in self.optimizers().values():
            for group in opt.param_groups:
                group["lr"] = self.config.lr

    def extra_state(self):
        return {"fixed_z": self.fixed_z.cpu(), "pair": list(self.pair)}

    def load_extra_state(self, extra):
        self.fixed_z = extra["fixed_z"].to(self.device)
        self.pair = tuple(extra.get("pair", self.pair))
        self._codes = None

    def set_view(self, key, value):
        if key != "interp":
            return super().set_view(key, value)
        a, b = (int(v) for v in value)
        if not (0 <= a < self.n_shown and 0 <= b < self.n_shown):
            raise ValueError(f"held-out digits are numbered 0–{self.n_shown - 1}; {a} and {b} cannot both be shown")
        self.pair = (a, b)

    def views(self):
        return {"interp": self.pair}

    # --- training ---
    def train_step(self):
        stage2 = self.in_stage2
        out = self._stage2_step() if stage2 else self._stage1_step()
        self.step += 1
        if self.step % self.config.eval_every == 0 or self.step == 1:
            out.update(self.evaluate(stage2))
        if self.config.quality_every and self.step % self.config.quality_every == 0:
            self.quality.submit(self.step, {"": Q.sampler(self._prior_decoder(stage2), self.quality_z,
                                                          tanh_output=False)})
        return out

    def take_scores(self, wait: float = 0.0):
        return Q.take(self, wait)

    def _stage1_step(self):
        c = self.config
        self._codes = None
        idx = torch.randint(len(self.x), (c.batch_size,), device=self.device, generator=self.rng)
        x = random_shift(self.x[idx], c.shift, self.rng)
        eps = torch.randn(len(x), c.latent_dim, device=self.device, generator=self.rng)
        recon, kl, _ = elbo_terms(self.model, x, eps)
        recon, kl = recon.mean(), kl.mean()
        warm = min(1.0, (self.step + 1) / c.kl_warmup_steps) if c.kl_warmup_steps else 1.0
        loss = recon + c.beta * warm * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"total": (recon + kl).detach(), "recon": recon.detach(), "kl": kl.detach()}

    @torch.no_grad()
    def _encode_all(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [self.model.encode(x[s:s + 1000]) for s in range(0, len(x), 1000)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def _stage2_step(self):
        """One update of the second VAE on codes z ~ q(z|x) of a batch of training digits."""
        c = self.config
        if self._codes is None:  # the first stage is frozen from here on: encode the training set once
            self._codes = self._encode_all(self.x)
        mu, logvar = self._codes
        idx = torch.randint(len(mu), (c.batch_size,), device=self.device, generator=self.rng)
        z = mu[idx] + torch.exp(0.5 * logvar[idx]) * torch.randn(len(idx), c.latent_dim, device=self.device,
                                                                  generator=self.rng)
        eps = torch.randn(len(z), c.latent_dim, device=self.device, generator=self.rng)
        nll, kl = latent_elbo_terms(self.stage2, z, eps)
        loss = (nll + kl).mean()
        self.opt2.zero_grad(set_to_none=True)
        loss.backward()
        self.opt2.step()
        return {"stage2_total": loss.detach()}

    @torch.no_grad()
    def evaluate(self, stage2: bool = False) -> dict[str, torch.Tensor]:
        """Negative ELBO (one z sample per image) on all held-out digits, in nats per image; in the second
        stage, that of the second VAE on the held-out digits' codes instead (the first no longer changes).
        The noise comes from its own generator, so evaluating never changes what training draws next."""
        g = torch.Generator(device=self.device).manual_seed(self.seed * 1000003 + self.step)
        if stage2:
            mu, logvar = self._encode_all(self.x_held)
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, device=self.device, generator=g)
            nll, kl = latent_elbo_terms(self.stage2, z, torch.randn(mu.shape, device=self.device, generator=g))
            return {"heldout_stage2_total": (nll + kl).mean()}
        recons, kls = [], []
        for start in range(0, len(self.x_held), 1000):
            x = self.x_held[start:start + 1000]
            eps = torch.randn(len(x), self.config.latent_dim, device=self.device, generator=g)
            recon, kl, _ = elbo_terms(self.model, x, eps)
            recons.append(recon)
            kls.append(kl)
        recon, kl = torch.cat(recons).mean(), torch.cat(kls).mean()
        return {"heldout_total": recon + kl, "heldout_recon": recon, "heldout_kl": kl}

    # --- pictures ---
    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model.decode(z))

    def preview_images(self):
        # Encoding the scatter's held-out digits is over half of a preview's cost, and previews are paid for
        # by training (studio/runner.py PREVIEW_SHARE): live, the scatter is redrawn every SCATTER_EVERY-th one.
        scatter = self._previews % SCATTER_EVERY == 0  # the first live preview has it
        self._previews += 1
        return self.images(scatter=scatter)

    @torch.no_grad()
    def images(self, scatter: bool = True):
        """Every panel; without `scatter` the latent scatter is left out (its view keeps its last picture)
        and only the digits the other panels show are encoded (no BatchNorm: the same codes either way)."""
        held, (a, b), n = self.x_held, self.pair, self.n_recon
        if scatter:
            mu, _ = self._encode_all(held[:self.n_shown])
            recon_mu, ends = mu[:n], mu[[a, b]]
        else:
            codes, _ = self._encode_all(torch.cat([held[:n], held[[a, b]]]))
            recon_mu, ends = codes[:n], codes[n:]
        # One decoder pass for every panel's codes: on a CPU each pass has a fixed cost, and a preview
        # is paid for by training (studio/runner.py PREVIEW_SHARE).
        parts = {"samples": self.fixed_z, "recon": recon_mu, "interp": V.interpolation_codes(ends[0], ends[1])}
        if self.config.latent_dim == 2:
            parts["manifold"] = V.manifold_codes(self.device)
        decoded = dict(zip(parts, self._decode(torch.cat(list(parts.values()))).split([len(z) for z in parts.values()])))
        out = {"samples": V.to_uint8(decoded["samples"]),
               "recon": V.to_uint8(V.recon_pairs(held[:n], decoded["recon"], self.recon_cols)),
               "interp": V.to_uint8(torch.cat([held[a:a + 1], decoded["interp"], held[b:b + 1]]))}
        if scatter:
            out["latent"] = V.scatter_points(mu, self.held_labels)
        if self.config.two_stage:
            out["two_stage"] = V.to_uint8(self._decode(self.stage2.decode(self.fixed_z)))
        if "manifold" in decoded:
            out["manifold"] = V.to_uint8(decoded["manifold"])
        return out

    @torch.no_grad()
    def generate(self, n: int, seed: int, stages: int | None = None) -> np.ndarray:
        """n digits decoded from prior samples; through both stages once the second has started training
        (`stages` 1 or 2 chooses)."""
        two = self.in_stage2 if stages is None else stages == 2
        if two and not self.config.two_stage:
            raise ValueError("this VAE has no second stage")
        decoder = self._prior_decoder(two)
        g = torch.Generator(device="cpu").manual_seed(seed)
        out = []
        for start in range(0, n, 1000):
            z = torch.randn(min(1000, n - start), self.config.latent_dim, generator=g).to(self.device)
            out.append(decoder(z).squeeze(1).float().cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def _prior_decoder(self, two_stages: bool) -> "PriorDecoder":
        return PriorDecoder(self.model, self.stage2 if two_stages else None)


class PriorDecoder(torch.nn.Module):
    """Prior codes to pictures in [0, 1], through the second stage when given: what `generate` draws, as one
    module the quality meter can copy."""
    def __init__(self, vae, stage2=None):
        super().__init__()
        self.vae, self.stage2 = vae, stage2

    def forward(self, z):
        if self.stage2 is not None:
            z = self.stage2.decode(z)
        return torch.sigmoid(self.vae.decode(z))
