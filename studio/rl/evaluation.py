"""Greedy evaluation episodes, played side by side: one forward pass of the Q-network per time step for
all the episodes still running, instead of one per episode (most of an evaluation's cost on a CPU)."""
import numpy as np
import torch

from studio.rl.envs import make_env
from studio.rl.episode import Episode


class EvaluationInterrupted(Exception):
    """A stop was requested in the middle of evaluation episodes."""


@torch.no_grad()
def play_greedy(q_net: torch.nn.Module, device, env_id: str, seeds: list[int], *, record: Episode | None = None,
                stop_requested=lambda: False, epsilon: float = 0.0) -> list[float]:
    """The return of one greedy episode per reset seed. `record`: an empty Episode that receives the
    first episode frame by frame (frame, action, Q-values, reward). `epsilon`: the share of random
    actions (0: greedy), drawn from a generator seeded by `seeds`, so the same seeds play the same games."""
    rng = np.random.default_rng(seeds) if epsilon > 0 else None
    envs = [make_env(env_id, render=record is not None and i == 0) for i in range(len(seeds))]
    try:
        obs = np.stack([env.reset(seed=s)[0] for env, s in zip(envs, seeds)]).astype(np.float32)
        returns = [0.0] * len(envs)
        running = list(range(len(envs)))
        while running:
            if stop_requested():
                raise EvaluationInterrupted
            q = q_net(torch.as_tensor(obs[running], device=device)).cpu().numpy()
            still = []
            for row, i in enumerate(running):
                action = int(q[row].argmax())
                if rng is not None and rng.random() < epsilon:
                    action = int(rng.integers(q.shape[1]))
                frame = envs[i].render() if record is not None and i == 0 else None  # the state acted in
                obs[i], reward, terminated, truncated, _ = envs[i].step(action)
                returns[i] += float(reward)
                if frame is not None:
                    record.add(frame, action, q[row], reward)
                if not (terminated or truncated):
                    still.append(i)
                elif frame is not None:  # the final state closes the recording
                    final_q = q_net(torch.as_tensor(obs[i:i + 1], device=device))[0].cpu().numpy()
                    record.add(envs[i].render(), -1, final_q, 0.0)
            running = still
        return returns
    finally:
        for env in envs:
            env.close()
