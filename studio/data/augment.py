"""Training-time augmentation for small image sets."""
import torch
from torch.nn import functional as F


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image of (B, C, H, W) moved by its own whole-pixel offset in [−max_shift, max_shift] along each
    axis, the uncovered border filled with 0 (background)."""
    if max_shift <= 0:
        return x
    b, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4)                                     # (B, C, H+2s, W+2s)
    span = 2 * max_shift + 1
    oy = torch.randint(span, (b,), device=x.device, generator=generator)
    ox = torch.randint(span, (b,), device=x.device, generator=generator)
    rows = (oy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]  # (B, 1, H, 1)
    cols = (ox[:, None] + torch.arange(w, device=x.device))[:, None, None, :]  # (B, 1, 1, W)
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[batch, chans, rows, cols]
