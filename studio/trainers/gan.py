"""The handwritten-digit GAN: DCGAN networks with non-saturating, WGAN or WGAN-GP training, an average of the
generator's weights, and a quality score of both while it trains."""
import numpy as np
import torch
from torch.nn import functional as F

from studio.models.dcgan import N_CLASSES, Discriminator, Generator
from studio.models.weight_average import WeightAverage
from studio.trainers import quality_series as Q
from studio.trainers.base import ImagePanel, Series, Trainer, to_uint8
from studio.trainers.gan_config import DEFAULT_PRESET, PRESETS, GANConfig


class GANTrainer(Trainer):
    kind = "gan"
    title = "GAN — handwritten digits"
    config_cls = GANConfig
    presets = PRESETS
    default_preset = DEFAULT_PRESET

    def __init__(self, config: GANConfig, data, device, seed: int):
        super().__init__(config, data, device, seed)
        torch.manual_seed(seed)  # weight initialisation
        c = config
        self.G = Generator(c.z_dim, c.g_width, c.conditional).to(device)
        self.D = Discriminator(c.d_width, c.conditional, c.d_norm).to(device)
        if c.optimizer == "adam":
            self.opt_g = torch.optim.Adam(self.G.parameters(), c.lr_g, betas=(c.beta1, c.beta2))
            self.opt_d = torch.optim.Adam(self.D.parameters(), c.lr_d, betas=(c.beta1, c.beta2))
        else:  # the WGAN paper: RMSprop, no momentum
            self.opt_g = torch.optim.RMSprop(self.G.parameters(), c.lr_g)
            self.opt_d = torch.optim.RMSprop(self.D.parameters(), c.lr_d)
        # The whole set lives on the device as (N, 1, 28, 28) in [-1, 1]: no loader round trip per batch.
        self.x = torch.as_tensor(data.images, device=device).float().div(127.5).sub(1).unsqueeze(1)
        self.y = torch.as_tensor(data.labels, device=device)
        # A fixed noise batch, so successive grids are comparable; rows are classes when conditional.
        fixed = torch.Generator(device="cpu").manual_seed(seed + 1)
        n = 100 if c.conditional else 64
        self.fixed_z = torch.randn(n, c.z_dim, generator=fixed).to(device)
        self.fixed_labels = torch.arange(n, device=device) // 10 if c.conditional else None
        self.G_ema = WeightAverage(self.G)
        self.quality = Q.meter(data)
        quality = torch.Generator(device="cpu").manual_seed(seed + 2)  # the scored batch: the same every time
        self.quality_z = torch.randn(Q.N_SCORED, c.z_dim, generator=quality).to(device)
        self.quality_labels = torch.arange(Q.N_SCORED, device=device) % N_CLASSES if c.conditional else None

    @property
    def series(self):
        return [Series("loss_d", "D loss", "loss"), Series("loss_g", "G loss", "loss"),
                Series("d_real", "D(x)", "D output"), Series("d_fake", "D(G(z))", "D output"),
                *Q.series(self.data, self.config, {"": "G", "_ema": "average of G"})]

    @property
    def panels(self):
        n, cols = (100, 10) if self.config.conditional else (64, 8)
        return [ImagePanel("samples", "Samples of G (a fixed noise batch)", (n, 28, 28), cols),
                ImagePanel("samples_ema", "Samples of the average of G's weights (EMA)", (n, 28, 28), cols)]

    def modules(self):
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema.module}

    def load_state_dict(self, state: dict) -> None:
        if "G_ema" not in state["modules"]:  # a session from before the average: it starts from G
            state = {**state, "modules": {**state["modules"], "G_ema": state["modules"]["G"]}}
            self.note("this session's checkpoint has no average of G's weights: it starts from G now")
        super().load_state_dict(state)

    def optimizers(self):
        return {"G": self.opt_g, "D": self.opt_d}

    def on_config_changed(self, changed: dict) -> None:
        c = self.config
        for opt, lr in ((self.opt_g, c.lr_g), (self.opt_d, c.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr
                if "betas" in group:
                    group["betas"] = (c.beta1, c.beta2)

    def extra_state(self):
        return {"fixed_z": self.fixed_z.cpu()}

    def load_extra_state(self, extra):
        self.fixed_z = extra["fixed_z"].to(self.device)

    def _batch(self):
        idx = torch.randint(len(self.x), (self.config.batch_size,), device=self.device, generator=self.rng)
        return self.x[idx], self.y[idx]

    def _gradient_penalty(self, real, fake, labels):
        eps = torch.rand(len(real), 1, 1, 1, device=self.device, generator=self.rng)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(self.D(mixed, labels).sum(), mixed, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def train_step(self):
        c = self.config
        wasserstein = c.loss != "non-saturating"
        for _ in range(c.n_critic):
            real, labels = self._batch()
            z = torch.randn(len(real), c.z_dim, device=self.device, generator=self.rng)
            # Conditional: fakes are drawn for the labels of the real batch, so classes stay balanced.
            fake_labels = labels if c.conditional else None
            fake = self.G(z, fake_labels)
            d_real, d_fake = self.D(real, fake_labels), self.D(fake.detach(), fake_labels)
            if wasserstein:
                loss_d = d_fake.mean() - d_real.mean()
                if c.loss == "wgan-gp":
                    loss_d = loss_d + c.gp_weight * self._gradient_penalty(real, fake.detach(), fake_labels)
            else:
                loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 1 - c.label_smoothing))
                          + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            if c.loss == "wgan":
                with torch.no_grad():
                    for p in self.D.parameters():
                        p.clamp_(-c.clip, c.clip)
        # G update on the last fake batch (one G forward per step, as in the DCGAN reference).
        g_out = self.D(fake, fake_labels)
        loss_g = -g_out.mean() if wasserstein else F.binary_cross_entropy_with_logits(g_out, torch.ones_like(g_out))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.G_ema.update(self.G, c.ema, self.step)
        self.step += 1
        if c.quality_every and self.step % c.quality_every == 0:
            self._score()
        if wasserstein:  # critic values are unbounded scores, shown as they are
            shown_real, shown_fake = d_real.mean(), d_fake.mean()
        else:
            shown_real, shown_fake = torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "d_real": shown_real.detach(), "d_fake": shown_fake.detach()}

    def _score(self) -> None:
        """Hand copies of G and of its average to the quality meter (the copies: training goes on meanwhile)."""
        z, labels = self.quality_z, self.quality_labels
        self.quality.submit(self.step, {"": Q.sampler(self.G, z, labels), "_ema": Q.sampler(self.G_ema.module, z, labels)})

    def take_scores(self, wait: float = 0.0):
        return Q.take(self, wait)

    @torch.no_grad()
    def _sample(self, z, labels, net=None):
        net = net or self.G
        was_training = net.training
        net.eval()  # eval mode: BatchNorm uses running statistics, so a grid does not depend on its batch
        try:
            return net(z, labels)
        finally:
            net.train(was_training)

    def images(self):
        return {"samples": to_uint8(self._sample(self.fixed_z, self.fixed_labels)),
                "samples_ema": to_uint8(self._sample(self.fixed_z, self.fixed_labels, self.G_ema.module))}

    def generate(self, n: int, seed: int, average: bool = False) -> np.ndarray:
        """n samples of G, or of the average of its weights (`average`)."""
        net = self.G_ema.module if average else None
        g = torch.Generator(device="cpu").manual_seed(seed)
        out = []
        for start in range(0, n, 500):
            m = min(500, n - start)
            z = torch.randn(m, self.config.z_dim, generator=g).to(self.device)
            labels = (torch.arange(start, start + m) % N_CLASSES).to(self.device) if self.config.conditional else None
            out.append(((self._sample(z, labels, net) + 1) / 2).clamp(0, 1).squeeze(1).float().cpu().numpy())
        return np.concatenate(out).astype(np.float32)
