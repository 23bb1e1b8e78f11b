"""Two raw greyscale screens -> one 84×84 uint8 frame: the pixel-wise max (it removes the flicker of
sprites drawn on alternate frames), then an exact area resize.

The resize is separable: rows 210 -> 84, then columns 160 -> 84, each output pixel the overlap-weighted
mean of the ≤3 input pixels it covers. The weights times n_in are whole numbers, so it is done in integers
and rounded half up exactly. Not as matrix products: with several OpenBLAS threads on a busy 2-core
machine one 84×210×160 product took 4–19 ms instead of ~0.2 ms (benchmarks/results/atari_env_speed.md)."""
import math

import numpy as np

SCREEN = (210, 160)  # every ALE game's screen, height × width
FRAME_SHAPE = (84, 84)  # what the agent sees (Mnih et al. 2015)


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix: output pixel i is the mean of input interval [i·s, (i+1)·s), s = n_in/n_out,
    each input pixel weighted by how much of it lies inside (area resampling, exact for any ratio)."""
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        lo, hi = i * scale, (i + 1) * scale
        for j in range(math.floor(lo), min(math.ceil(hi), n_in)):
            weights[i, j] = min(hi, j + 1) - max(lo, j)
    return weights / scale


def integer_taps(n_in: int, n_out: int):
    """The area weights as taps: (index, whole-number weight) arrays of shape (taps, n_out) and the
    divisor that turns a weighted sum into the mean. Unused taps have weight 0."""
    weights = np.rint(area_weights(n_in, n_out) * n_in).astype(np.int64)  # overlaps are multiples of 1/n_out
    common = math.gcd(*weights[weights > 0].tolist())
    weights //= common
    n_taps = int((weights > 0).sum(axis=1).max())
    index, weight = np.zeros((n_taps, n_out), np.intp), np.zeros((n_taps, n_out), np.int32)
    for i in range(n_out):
        used = np.flatnonzero(weights[i])
        index[:len(used), i], weight[:len(used), i] = used, weights[i, used]
    return index, weight, n_in // common


class Shrinker:
    """Max-pool two screens and resize into an 84×84 uint8 frame, reusing its buffers (no allocation
    per step). One instance serves any number of games stepped one after another."""

    def __init__(self, screen=SCREEN, frame=FRAME_SHAPE):
        self.row_index, row_weight, row_div = integer_taps(screen[0], frame[0])
        self.col_index, self.col_weight, col_div = integer_taps(screen[1], frame[1])
        self.row_weight = [w[:, None].copy() for w in row_weight]  # broadcast over columns
        self.divisor = row_div * col_div  # 5 × 40 for Atari: sums stay far below int32's range
        self._pooled = np.empty(screen, np.uint8)
        self._rows, self._row_term = np.empty((frame[0], screen[1]), np.int32), np.empty((frame[0], screen[1]), np.int32)
        self._small, self._col_term = np.empty(frame, np.int32), np.empty(frame, np.int32)

    def __call__(self, older: np.ndarray, newer: np.ndarray, out: np.ndarray) -> np.ndarray:
        pooled = np.maximum(older, newer, out=self._pooled)
        np.multiply(pooled[self.row_index[0]], self.row_weight[0], out=self._rows)
        for index, weight in zip(self.row_index[1:], self.row_weight[1:]):
            self._rows += np.multiply(pooled[index], weight, out=self._row_term)
        np.multiply(self._rows[:, self.col_index[0]], self.col_weight[0], out=self._small)
        for index, weight in zip(self.col_index[1:], self.col_weight[1:]):
            self._small += np.multiply(self._rows[:, index], weight, out=self._col_term)
        self._small += self.divisor // 2  # round half up, exactly
        self._small //= self.divisor
        np.copyto(out, self._small, casting="unsafe")  # ≤ 255 by construction
        return out
