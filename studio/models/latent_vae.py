"""The second stage of the two-stage VAE (Dai & Wipf, "Diagnosing and Enhancing VAE Models"): a small
MLP VAE fitted to the first stage's latent codes, with a Gaussian decoder whose variance γ is learned.

The first VAE finds the digit manifold but leaves its codes distributed unlike the N(0, I) prior it is
sampled from; the second learns that code distribution, so prior samples pass through both stages.
"""
import math

import torch
from torch import nn

from studio.models.conv_vae import gaussian_kl


class LatentVAE(nn.Module):
    def __init__(self, dim: int, hidden: int = 256):
        super().__init__()
        self.dim = dim
        self.encoder = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(True),
            nn.Linear(hidden, hidden), nn.ReLU(True),
            nn.Linear(hidden, 2 * dim),                 # (B, 2k): mean and log-variance of u
        )
        self.decoder = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(True),
            nn.Linear(hidden, hidden), nn.ReLU(True),
            nn.Linear(hidden, dim),                     # (B, k): mean of z
        )
        # log γ, shared by every dimension; learning it lets the fit sharpen as the codes are matched.
        self.log_gamma = nn.Parameter(torch.zeros(()))

    def encode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(z).chunk(2, dim=1)
        return mu, logvar.clamp(-30, 20)

    def decode(self, u: torch.Tensor) -> torch.Tensor:
        return self.decoder(u)


def latent_elbo_terms(model: LatentVAE, z: torch.Tensor, eps: torch.Tensor):
    """Per-code Gaussian negative log-likelihood and KL in nats, each (B,), with u = mu + sigma * eps."""
    mu, logvar = model.encode(z)
    u = mu + torch.exp(0.5 * logvar) * eps
    z_hat = model.decode(u)
    log_gamma = model.log_gamma.clamp(-12, 6)  # γ cannot collapse to 0 and make the loss infinite
    nll = 0.5 * ((z - z_hat).pow(2) / log_gamma.exp() + log_gamma + math.log(2 * math.pi)).sum(1)
    return nll, gaussian_kl(mu, logvar)
