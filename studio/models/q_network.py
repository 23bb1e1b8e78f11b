"""Q-networks for vector observations: an MLP with a plain or a dueling head."""
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
        self.dueling = dueling
        if dueling:  # Q = V + A − mean(A): the value of the state and each action's advantage apart
            self.value = nn.Linear(width, 1)
            self.advantage = nn.Linear(width, n_actions)
        else:
            self.head = nn.Linear(width, n_actions)           # (B, hidden) -> (B, n_actions)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        h = self.body(obs)
        if self.dueling:
            a = self.advantage(h)
            return self.value(h) + a - a.mean(dim=1, keepdim=True)
        return self.head(h)
