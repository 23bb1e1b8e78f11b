"""DCGAN generator and discriminator for 28×28 single-channel images (optionally class-conditioned).

Following the DCGAN recipe: transposed convolutions in G, strided convolutions in D, BatchNorm
everywhere except G's output and D's input, ReLU in G with a Tanh output, LeakyReLU(0.2) in D.
"""
import torch
from torch import nn

N_CLASSES = 10


def _init_weights(module: nn.Module) -> None:
    # DCGAN paper: N(0, 0.02) for convolutions, N(1, 0.02) for BatchNorm scales.
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    def __init__(self, z_dim: int = 64, width: int = 32, conditional: bool = False):
        super().__init__()
        self.z_dim, self.conditional = z_dim, conditional
        in_dim = z_dim + (N_CLASSES if conditional else 0)
        self.net = nn.Sequential(
            # (B, in_dim, 1, 1) -> (B, 4w, 7, 7)
            nn.ConvTranspose2d(in_dim, 4 * width, 7, 1, 0, bias=False),
            nn.BatchNorm2d(4 * width), nn.ReLU(True),
            # -> (B, 2w, 14, 14)
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(True),
            # -> (B, 1, 28, 28) in [-1, 1]; no BatchNorm on the output layer
            nn.ConvTranspose2d(2 * width, 1, 4, 2, 1),
            nn.Tanh(),
        )
        self.apply(_init_weights)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.conditional:
            z = torch.cat([z, nn.functional.one_hot(labels, N_CLASSES).to(z.dtype)], dim=1)
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """Outputs one logit (or critic value, for WGAN) per image; no sigmoid here."""

    def __init__(self, width: int = 32, conditional: bool = False, norm: str = "batch"):
        super().__init__()
        self.conditional = conditional
        in_ch = 1 + (N_CLASSES if conditional else 0)

        def normed(ch: int) -> nn.Module:
            # WGAN-GP penalises per-sample gradients, which BatchNorm mixes across the batch.
            return {"batch": nn.BatchNorm2d(ch), "layer": nn.GroupNorm(1, ch), "none": nn.Identity()}[norm]

        self.net = nn.Sequential(
            # (B, in_ch, 28, 28) -> (B, w, 14, 14); no normalisation on the input layer
            nn.Conv2d(in_ch, width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            # -> (B, 2w, 7, 7)
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), normed(2 * width), nn.LeakyReLU(0.2, True),
            # -> (B, 1, 1, 1)
            nn.Conv2d(2 * width, 1, 7, 1, 0),
        )
        self.apply(_init_weights)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.conditional:
            maps = nn.functional.one_hot(labels, N_CLASSES).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, maps.expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
        return self.net(x).flatten()
