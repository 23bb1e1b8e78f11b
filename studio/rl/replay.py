"""Experience replay: a fixed-size ring of transitions sampled uniformly (Mnih et al. 2015).

Stored as preallocated numpy arrays, so adding is O(1) and the whole buffer can go into a checkpoint.
`terminated` is kept apart from `truncated`: only a true end of the episode stops the bootstrap; an
episode cut off by a time limit still has a future worth estimating.
"""
import numpy as np
import torch


class ReplayBuffer:
    def __init__(self, capacity: int, obs_shape: tuple, obs_dtype=np.float32):
        self.capacity = capacity
        self.obs = np.zeros((capacity, *obs_shape), obs_dtype)
        self.next_obs = np.zeros((capacity, *obs_shape), obs_dtype)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)  # 1: no bootstrap from next_obs
        self.pos = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool) -> None:
        i = self.pos
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.actions[i], self.rewards[i], self.terminated[i] = action, reward, float(terminated)
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n: int, generator: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
        idx = torch.randint(self.size, (n,), generator=generator).numpy()
        return {"obs": torch.as_tensor(self.obs[idx], device=device),
                "actions": torch.as_tensor(self.actions[idx], device=device),
                "rewards": torch.as_tensor(self.rewards[idx], device=device),
                "next_obs": torch.as_tensor(self.next_obs[idx], device=device),
                "terminated": torch.as_tensor(self.terminated[idx], device=device)}

    def state_dict(self) -> dict:
        n = self.size
        return {"pos": self.pos, "size": n, "obs": torch.from_numpy(self.obs[:n].copy()),
                "next_obs": torch.from_numpy(self.next_obs[:n].copy()),
                "actions": torch.from_numpy(self.actions[:n].copy()),
                "rewards": torch.from_numpy(self.rewards[:n].copy()),
                "terminated": torch.from_numpy(self.terminated[:n].copy())}

    def load_state_dict(self, state: dict) -> None:
        n = int(state["size"])
        if n > self.capacity:
            raise ValueError(f"the saved buffer holds {n} transitions, more than its capacity {self.capacity}")
        for name in ("obs", "next_obs", "actions", "rewards", "terminated"):
            getattr(self, name)[:n] = state[name].numpy()
        self.pos, self.size = int(state["pos"]), n
