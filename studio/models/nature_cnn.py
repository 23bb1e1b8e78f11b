"""The Nature DQN's Q-network (Mnih et al. 2015) for stacked 84×84 grey frames, with a plain or a dueling head.

Initialisation is PyTorch's default (Kaiming-uniform with a=√5, i.e. U(±1/√fan_in)) for every layer: it is
what Stable-Baselines3's DQN and the common reference implementations train Atari with, so a comparison
against them differs in the agent rather than the starting weights, and the Nature recipe learns from it.
"""
import torch
from torch import nn

from studio.models.q_network import add_q_head, q_from_features

FRAME = 84                  # the side of the preprocessed frame the layer sizes below are made for
CONV_OUT = 64 * 7 * 7       # 84 → 20 (8×8 s4) → 9 (4×4 s2) → 7 (3×3 s1), 64 channels: 3136 features


def nature_param_count(in_channels: int, n_actions: int, hidden: int = 512, dueling: bool = False) -> int:
    """How many weights and biases the network has, from the layer sizes alone (the tests check the
    module against it): three convolutions, the hidden layer, then the head(s)."""
    convs = [(in_channels, 32, 8), (32, 64, 4), (64, 64, 3)]
    n = sum(c_in * c_out * k * k + c_out for c_in, c_out, k in convs)
    n += CONV_OUT * hidden + hidden
    head = hidden * n_actions + n_actions
    return n + head + (hidden + 1 if dueling else 0)


class NatureQNetwork(nn.Module):
    """Observations (B, in_channels, 84, 84), uint8 pixels or floats on the same 0…255 scale; Q-values
    (B, n_actions). The /255 happens here, on the network's device, so the replay buffer keeps and moves
    bytes (a quarter of float32's size) and a caller never scales twice."""

    def __init__(self, in_channels: int, n_actions: int, hidden: int = 512, dueling: bool = False):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(CONV_OUT, hidden), nn.ReLU(),
        )                                                     # (B, C, 84, 84) -> (B, hidden)
        add_q_head(self, hidden, n_actions, dueling)
        # Channels-last (NHWC) convolutions: the same sums, 10–20% faster per update on this CPU
        # (benchmarks/results/nature_cnn_speed.md); Flatten still reads channel-major, so the 3136
        # features and the linear layer's weights keep their meaning.
        self.to(memory_format=torch.channels_last)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        if obs.dtype == torch.uint8:  # one copy converts and lays out; being new, it is scaled in place
            x = obs.to(torch.float32, memory_format=torch.channels_last).div_(255.0)
        else:
            x = obs / 255.0           # never in place: a float input is the caller's tensor
        return q_from_features(self, self.body(x))
