"""An exponential moving average of a network's weights (Polyak averaging): a GAN's averaged generator draws
steadier, usually better samples than the generator itself, whose weights keep circling the equilibrium."""
import copy

import torch
from torch import nn


class WeightAverage:
    def __init__(self, source: nn.Module):
        self.module = copy.deepcopy(source).eval()
        self.module.requires_grad_(False)

    @torch.no_grad()
    def update(self, source: nn.Module, decay: float, step: int) -> None:
        """Move the average towards `source`'s weights. Early on the decay is lowered ((1 + step) / (10 + step)),
        so the average does not linger at the random start; buffers (BatchNorm statistics) are copied."""
        d = min(decay, (1 + step) / (10 + step))
        for mine, theirs in zip(self.module.parameters(), source.parameters()):
            mine.lerp_(theirs, 1.0 - d)
        for mine, theirs in zip(self.module.buffers(), source.buffers()):
            mine.copy_(theirs)
