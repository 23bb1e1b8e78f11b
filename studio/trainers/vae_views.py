"""What the VAE panels show, as plain functions of a model and held-out digits (no training state)."""
import numpy as np
import torch

N_RECON = 16       # held-out digits shown beside their reconstructions
MANIFOLD = 15      # the manifold view is MANIFOLD × MANIFOLD decoded digits
INTERP = 10        # decoded codes on the way from one picked digit to the other
MAX_SCATTER = 2000  # held-out digits in the latent scatter


def to_uint8(probs: torch.Tensor) -> np.ndarray:
    """(n, 1, H, W) in [0, 1] -> uint8 (n, H, W) host copy."""
    return (probs.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).squeeze(1).cpu().numpy()


def recon_pairs(real: torch.Tensor, recon: torch.Tensor, cols: int = 8) -> torch.Tensor:
    """Rows of `cols` held-out digits, each followed by a row of their reconstructions: (2n, 1, H, W)."""
    n = len(real)
    return torch.stack([real.view(n // cols, cols, *real.shape[1:]), recon.view(n // cols, cols, *real.shape[1:])],
                       dim=1).reshape(2 * n, *real.shape[1:])


def manifold_codes(device: torch.device) -> torch.Tensor:
    """(MANIFOLD², 2) codes at Gaussian quantiles 5%…95%, row-major with +z2 up, as on a plot."""
    q = torch.linspace(0.05, 0.95, MANIFOLD, device=device)
    ticks = torch.distributions.Normal(0.0, 1.0).icdf(q)
    zy, zx = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    return torch.stack([zx.flatten(), zy.flatten()], dim=1)


def plane(mu: torch.Tensor) -> torch.Tensor:
    """(n, k) codes -> (n, 2): the codes themselves when k = 2, else their first two principal components,
    each signed so its largest loading is positive (the picture does not flip between refreshes)."""
    if mu.shape[1] == 2:
        return mu
    centred = mu - mu.mean(0)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    axes = vh[:2]                                               # (2, k)
    signs = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))
    return centred @ (axes * signs).T


def scatter_points(mu: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """float32 (n, 3): x, y, label."""
    xy = plane(mu)
    return torch.cat([xy, labels.to(xy.dtype)[:, None]], dim=1).float().cpu().numpy()


def interpolation_codes(mu_a: torch.Tensor, mu_b: torch.Tensor) -> torch.Tensor:
    """INTERP codes on the straight line from code a to code b, both ends included: (INTERP, k)."""
    w = torch.linspace(0, 1, INTERP, device=mu_a.device)[:, None]
    return (1 - w) * mu_a + w * mu_b


def default_pair(labels: np.ndarray) -> tuple[int, int]:
    """The first held-out digit and the first one after it with a different label."""
    others = np.flatnonzero(labels != labels[0])
    return 0, int(others[0]) if len(others) else min(1, len(labels) - 1)
