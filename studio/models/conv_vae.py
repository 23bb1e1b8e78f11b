"""Convolutional VAE for 28×28 grey images: Gaussian latent, Bernoulli (logit) pixel likelihood."""
import torch
from torch import nn


class ConvVAE(nn.Module):
    def __init__(self, latent_dim: int = 16, width: int = 32, hidden: int = 256):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.ReLU(True),            # (B, w, 14, 14)
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.ReLU(True),    # (B, 2w, 7, 7)
            nn.Flatten(),
            nn.Linear(2 * width * 49, hidden), nn.ReLU(True),
            nn.Linear(hidden, 2 * latent_dim),                     # (B, 2k): mean and log-variance
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(True),
            nn.Linear(hidden, 2 * width * 49), nn.ReLU(True),
            nn.Unflatten(1, (2 * width, 7, 7)),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.ReLU(True),  # (B, w, 14, 14)
            nn.ConvTranspose2d(width, 1, 4, 2, 1),                       # (B, 1, 28, 28) logits
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-30, 20)  # keeps exp(logvar) finite for a wild early batch

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) in nats, summed over the code: (B, k) -> (B,)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


def elbo_terms(model: ConvVAE, x: torch.Tensor, eps: torch.Tensor):
    """Per-image reconstruction NLL and KL in nats, each (B,), with z = mu + sigma * eps."""
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * eps
    logits = model.decode(z)
    recon = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return recon, gaussian_kl(mu, logvar), logits
