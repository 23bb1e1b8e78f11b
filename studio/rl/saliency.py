"""Where the network looks: perturbation saliency (Greydanus et al. 2018, "Visualizing and Understanding
Atari Agents") for a Q-network on stacked 84×84 frames.

For each point of a grid over the input (every STRIDE pixels) the four frames are blurred inside a Gaussian
patch around that point; the saliency there is how much that changes the Q-values, ½‖Q(I) − Q(Φ(I, p))‖².
A region the network ignores can be blurred without effect; the ball, the paddle, the score light up. All
the grid's perturbed inputs of a frame go through the network as one batch (17 × 17 = 289 for 84 pixels).
The map is upsampled to the input's size; overlay() tints a colour frame with it.
"""
import math

import numpy as np
import torch
from torch.nn import functional as F

STRIDE = 5          # grid step in input pixels (the paper's r = 5)
MASK_SIGMA = 5.0    # radius of the blurred patch (the paper's σ = 5)
BLUR_SIGMA = 3.0    # how strongly the patch is blurred (the paper's σ_A = 3)
BATCH = 96          # perturbed inputs per forward pass: bounds the memory of one pass (~10 MB)
TINT = np.array([40, 140, 255], np.float32)  # a blue no Atari palette uses much, so it reads as "not game"


def _kernel(sigma: float) -> torch.Tensor:
    radius = int(math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return k / k.sum()


def blur(images: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """A Gaussian blur of (N, C, H, W) floats, separably, each channel alone, edges reflected."""
    k = _kernel(sigma)
    c, r = images.shape[1], len(k) // 2
    x = F.pad(images, (r, r, 0, 0), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    x = F.pad(x, (0, 0, r, r), mode="reflect")
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def grid_points(size: int, stride: int = STRIDE) -> np.ndarray:
    """The perturbed points along one side: 0, stride, … below size."""
    return np.arange(0, size, stride)


def masks(height: int, width: int, stride: int = STRIDE, sigma: float = MASK_SIGMA) -> torch.Tensor:
    """(P, 1, H, W) Gaussian patches, one per grid point, row by row; 1 at the point, falling off with σ."""
    ys, xs = grid_points(height, stride), grid_points(width, stride)
    yy = torch.arange(height, dtype=torch.float32)[:, None]
    xx = torch.arange(width, dtype=torch.float32)[None, :]
    out = [torch.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * sigma ** 2)) for y in ys for x in xs]
    return torch.stack(out)[:, None]


class Saliency:
    """Perturbation saliency of one Q-network. `q_net` takes (B, C, H, W) pixels on the 0…255 scale (uint8
    or float), as NatureQNetwork does; it is used read-only, so give it a copy when another thread trains
    the original."""

    def __init__(self, q_net: torch.nn.Module, frame_shape=(84, 84), device="cpu", stride: int = STRIDE):
        self.q_net, self.device = q_net.eval(), torch.device(device)
        self.h, self.w = frame_shape
        self.stride = stride
        self.grid_shape = (len(grid_points(self.h, stride)), len(grid_points(self.w, stride)))
        self.masks = masks(self.h, self.w, stride).to(self.device)

    @torch.no_grad()
    def grid(self, stack: np.ndarray) -> np.ndarray:
        """(C, H, W) uint8 stacked frames -> the saliency at the grid points, (17, 17) float32 for 84×84, in
        squared Q units (small to keep: a whole game's maps take ~1 KB a frame)."""
        image = torch.as_tensor(np.asarray(stack), device=self.device).float()[None]  # (1, C, H, W)
        blurred = blur(image)
        q0 = self.q_net(image)
        scores = []
        for start in range(0, len(self.masks), BATCH):
            m = self.masks[start:start + BATCH]
            perturbed = image * (1 - m) + blurred * m                                # (b, C, H, W)
            scores.append(0.5 * (self.q_net(perturbed) - q0).pow(2).sum(1))
        return torch.cat(scores).view(*self.grid_shape).cpu().numpy()

    def upsample(self, grid: np.ndarray) -> np.ndarray:
        """The grid's values spread over the input's pixels, each grid value exactly at its point (0, 5, …
        80): bilinear between points, the last row and column repeated to the edge."""
        gh, gw = self.grid_shape
        t = torch.as_tensor(grid, dtype=torch.float32).view(1, 1, gh, gw)
        full = F.interpolate(t, size=((gh - 1) * self.stride + 1, (gw - 1) * self.stride + 1), mode="bilinear",
                             align_corners=True)
        full = F.pad(full, (0, self.w - full.shape[-1], 0, self.h - full.shape[-2]), mode="replicate")
        return full[0, 0].clamp_min_(0).numpy()

    def __call__(self, stack: np.ndarray) -> np.ndarray:
        """(C, H, W) uint8 stacked frames -> (H, W) float32 saliency, ≥ 0."""
        return self.upsample(self.grid(stack))


def overlay(frame: np.ndarray, saliency: np.ndarray, scale: float, strength: float = 0.8) -> np.ndarray:
    """The colour frame (H, W, 3) uint8 tinted where the saliency map (h, w) is high; `scale` is the value
    shown at full strength (e.g. the largest over the episode, so frames compare). The square root lets
    the lesser regions show beside the one that dominates (saliency is squared Q change)."""
    h, w = frame.shape[:2]
    ys = (np.arange(h) * saliency.shape[0] // h)[:, None]
    xs = (np.arange(w) * saliency.shape[1] // w)[None, :]
    if scale <= 0:
        return frame.copy()
    a = np.sqrt(np.clip(saliency[ys, xs] / scale, 0, 1))[..., None] * strength
    out = frame.astype(np.float32) * (1 - a) + TINT * a
    return out.astype(np.uint8)
