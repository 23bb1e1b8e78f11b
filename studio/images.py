"""Arranging image stacks as the app shows them: a grid of tiles with dark gaps, scaled up whole."""
import numpy as np

GAP_SHADE = 40  # the dark grey between tiles


def tile(stack: np.ndarray, cols: int, gap: int = 2) -> np.ndarray:
    """(n, H, W) -> one (rows·(H+gap)−gap, cols·(W+gap)−gap) image with dark gaps between tiles."""
    n, h, w = stack.shape
    rows = -(-n // cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), GAP_SHADE, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = stack[i]
    return out


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Each pixel as a factor×factor block (crisp digits, no smoothing)."""
    if factor <= 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
