"""Q-networks for vector observations: an MLP with a plain or a dueling head (the heads are shared with
the Nature CNN, studio/models/nature_cnn.py)."""
import torch
from torch import nn


class QNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 256, layers: int = 2, dueling: bool = False):
        super().__init__()
        body, width = [], obs_dim
        for _ in range(layers):
            body += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        self.body = nn.Sequential(*body)                      # (B, obs_dim) -> (B, hidden)
        add_q_head(self, width, n_actions, dueling)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return q_from_features(self, self.body(obs))


def add_q_head(net: nn.Module, width: int, n_actions: int, dueling: bool) -> None:
    """Give `net` its Q head over `width` features, as attributes of `net` itself (their names are the
    keys of saved checkpoints): a linear layer, or a dueling pair."""
    net.dueling = dueling
    if dueling:  # Q = V + A − mean(A): the value of the state and each action's advantage apart
        net.value = nn.Linear(width, 1)
        net.advantage = nn.Linear(width, n_actions)
    else:
        net.head = nn.Linear(width, n_actions)                # (B, width) -> (B, n_actions)


def q_from_features(net: nn.Module, h: torch.Tensor) -> torch.Tensor:
    if net.dueling:
        a = net.advantage(h)
        return net.value(h) + a - a.mean(dim=1, keepdim=True)
    return net.head(h)
