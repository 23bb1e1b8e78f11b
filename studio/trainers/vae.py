"""The handwritten-digit VAE: ELBO training, held-out evaluation, reconstructions, prior samples and,
with a 2-D latent space, the decoded manifold."""
import numpy as np
import torch

from studio.models.conv_vae import ConvVAE, elbo_terms
from studio.trainers.base import ImagePanel, Series, Trainer
from studio.trainers.vae_config import DEFAULT_PRESET, PRESETS, VAEConfig

N_RECON = 16      # held-out digits shown beside their reconstructions
MANIFOLD = 15     # the manifold view is MANIFOLD × MANIFOLD decoded digits


def _to_uint8(probs: torch.Tensor) -> np.ndarray:
    """(n, 1, H, W) in [0, 1] -> uint8 (n, H, W) host copy."""
    return (probs.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).squeeze(1).cpu().numpy()


class VAETrainer(Trainer):
    kind = "vae"
    title = "VAE — handwritten digits"
    config_cls = VAEConfig
    presets = PRESETS
    default_preset = DEFAULT_PRESET

    def __init__(self, config: VAEConfig, data, device, seed: int):
        super().__init__(config, data, device, seed)
        torch.manual_seed(seed)  # weight initialisation
        train, held = data.split(config.holdout, seed)
        to_x = lambda s: torch.as_tensor(s.images, device=device).float().div(255).unsqueeze(1)  # noqa: E731
        self.x, self.x_held = to_x(train), to_x(held)
        self.model = ConvVAE(config.latent_dim, config.width).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), config.lr)
        fixed = torch.Generator(device="cpu").manual_seed(seed + 1)
        self.fixed_z = torch.randn(64, config.latent_dim, generator=fixed).to(device)

    @property
    def series(self):
        return [Series("total", "−ELBO (train)", "negative ELBO, nats per image"),
                Series("heldout_total", "−ELBO (held-out)", "negative ELBO, nats per image", smooth=False),
                Series("recon", "reconstruction (train)", "parts, nats per image"),
                Series("kl", "KL (train)", "parts, nats per image"),
                Series("heldout_recon", "reconstruction (held-out)", "parts, nats per image", smooth=False),
                Series("heldout_kl", "KL (held-out)", "parts, nats per image", smooth=False)]

    @property
    def panels(self):
        panels = [ImagePanel("samples", "Decoded from a fixed batch of prior samples", (64, 28, 28), 8),
                  ImagePanel("recon", "Held-out digits (odd rows) and their reconstructions (even rows)",
                             (2 * N_RECON, 28, 28), 8)]
        if self.config.latent_dim == 2:
            panels.append(ImagePanel("manifold", "The decoded latent plane (Gaussian quantiles)",
                                     (MANIFOLD * MANIFOLD, 28, 28), MANIFOLD))
        return panels

    def modules(self):
        return {"model": self.model}

    def optimizers(self):
        return {"opt": self.opt}

    def on_config_changed(self, changed: dict) -> None:
        for group in self.opt.param_groups:
            group["lr"] = self.config.lr

    def extra_state(self):
        return {"fixed_z": self.fixed_z.cpu()}

    def load_extra_state(self, extra):
        self.fixed_z = extra["fixed_z"].to(self.device)

    def train_step(self):
        c = self.config
        idx = torch.randint(len(self.x), (c.batch_size,), device=self.device, generator=self.rng)
        x = self.x[idx]
        eps = torch.randn(len(x), c.latent_dim, device=self.device, generator=self.rng)
        recon, kl, _ = elbo_terms(self.model, x, eps)
        recon, kl = recon.mean(), kl.mean()
        warm = min(1.0, (self.step + 1) / c.kl_warmup_steps) if c.kl_warmup_steps else 1.0
        loss = recon + c.beta * warm * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step += 1
        out = {"total": (recon + kl).detach(), "recon": recon.detach(), "kl": kl.detach()}
        if self.step % c.eval_every == 0 or self.step == 1:
            out.update(self.evaluate())
        return out

    @torch.no_grad()
    def evaluate(self) -> dict[str, torch.Tensor]:
        """Negative ELBO (one z sample per image) on all held-out digits, in nats per image. Its noise comes
        from its own generator, so evaluating never changes what training draws next."""
        g = torch.Generator(device=self.device).manual_seed(self.seed * 1000003 + self.step)
        recons, kls = [], []
        for start in range(0, len(self.x_held), 1000):
            x = self.x_held[start:start + 1000]
            eps = torch.randn(len(x), self.config.latent_dim, device=self.device, generator=g)
            recon, kl, _ = elbo_terms(self.model, x, eps)
            recons.append(recon)
            kls.append(kl)
        recon, kl = torch.cat(recons).mean(), torch.cat(kls).mean()
        return {"heldout_total": recon + kl, "heldout_recon": recon, "heldout_kl": kl}

    @torch.no_grad()
    def images(self):
        decode = lambda z: torch.sigmoid(self.model.decode(z))  # noqa: E731
        real = self.x_held[:N_RECON]
        mu, _ = self.model.encode(real)
        pairs = torch.stack([real.view(2, 8, 1, 28, 28), decode(mu).view(2, 8, 1, 28, 28)], dim=1)
        out = {"samples": _to_uint8(decode(self.fixed_z)),
               "recon": _to_uint8(pairs.reshape(2 * N_RECON, 1, 28, 28))}  # rows: real, recon, real, recon
        if self.config.latent_dim == 2:
            q = torch.linspace(0.05, 0.95, MANIFOLD, device=self.device)
            ticks = torch.distributions.Normal(0.0, 1.0).icdf(q)
            zy, zx = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")  # up is +z2, as on a plot
            out["manifold"] = _to_uint8(decode(torch.stack([zx.flatten(), zy.flatten()], dim=1)))
        return out

    @torch.no_grad()
    def generate(self, n: int, seed: int) -> np.ndarray:
        g = torch.Generator(device="cpu").manual_seed(seed)
        out = []
        for start in range(0, n, 1000):
            z = torch.randn(min(1000, n - start), self.config.latent_dim, generator=g).to(self.device)
            out.append(torch.sigmoid(self.model.decode(z)).squeeze(1).float().cpu().numpy())
        return np.concatenate(out).astype(np.float32)
