"""Where the network looks (issue 12): perturbation saliency finds the region a network reads and nothing
else, a recorded Atari episode's inputs are rebuilt exactly (the network gives the recorded Q-values
again), its network travels with it, and an episode that cannot be rebuilt is refused."""
import dataclasses

import numpy as np
import pytest
import torch

from studio.errors import StudioError
from studio.rl.episode_saliency import EpisodeSaliency, episode_inputs, network_from_session
from studio.rl.saliency import Saliency, blur, masks, overlay
from studio.runs import make_runner, new_run
from studio.control import Control
from studio.run_settings import RunSettings
from studio.session.reader import SessionReader
from studio.trainers.dqn import DQNTrainer
from test_core_dqn_atari import CPU, tiny


class ReadsOneCorner(torch.nn.Module):
    """Q-values that depend only on the newest frame's pixels in rows 60…70, columns 10…20."""

    def forward(self, obs):
        patch = obs.float()[:, -1, 60:71, 10:21]
        return torch.stack([patch.mean((1, 2)), (patch ** 2).mean((1, 2)) / 255], 1)


def test_blur_keeps_a_flat_image_and_the_patches_peak_at_their_points():
    flat = torch.full((1, 4, 84, 84), 77.0)
    assert torch.allclose(blur(flat), flat, atol=1e-3)
    m = masks(84, 84)
    assert m.shape == (17 * 17, 1, 84, 84)
    assert float(m[0, 0, 0, 0]) == 1.0 and float(m[18, 0, 5, 5]) == 1.0  # row 1, column 1: pixel (5, 5)
    assert float(m[0, 0, 40, 40]) < 1e-10


def test_saliency_lights_up_only_what_the_network_reads():
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 256, (4, 84, 84), dtype=np.uint8)  # texture everywhere: any blur changes pixels
    s = Saliency(ReadsOneCorner())(stack)
    assert s.shape == (84, 84) and (s >= 0).all()
    inside, far = s[60:71, 10:21].mean(), s[:, 50:].max()
    assert inside > 0 and far < inside * 1e-3
    assert np.unravel_index(s.argmax(), s.shape)[0] in range(50, 80)


class ReadsOnePixel(torch.nn.Module):
    def __init__(self, y, x):
        super().__init__()
        self.y, self.x = y, x

    def forward(self, obs):
        return obs.float()[:, -1, self.y, self.x][:, None]


@pytest.mark.parametrize("p", [0, 20, 40, 80])
def test_the_map_peaks_where_the_network_reads(p):
    stack = np.random.default_rng(1).integers(0, 256, (4, 84, 84), dtype=np.uint8)
    s = Saliency(ReadsOnePixel(p, p))(stack)
    assert np.unravel_index(s.argmax(), s.shape) == (p, p)


def test_the_overlay_tints_only_where_the_map_is_high():
    frame = np.full((210, 160, 3), 100, np.uint8)
    s = np.zeros((84, 84), np.float32)
    s[:42] = 1.0  # the top half
    out = overlay(frame, s, scale=1.0)
    assert (out[150:] == 100).all() and (out[:100, :, 2] > 200).all()
    assert (overlay(frame, s, scale=0.0) == frame).all()


@pytest.fixture(scope="module")
def pong_episode(tmp_path_factory):
    """A recorded evaluation game of an untrained agent on Pong, from a short run written to a session."""
    out = tmp_path_factory.mktemp("sal") / "pong.h5"
    prepared = new_run("dqn", tiny("ALE/Pong-v5", eval_every=100, record_episodes=True),
                       RunSettings(seed=3, device="cpu", threads=1), out)
    episodes = []
    take = prepared.trainer.take_episodes
    prepared.trainer.take_episodes = lambda: episodes.extend(take()) or episodes[-1:]
    make_runner(prepared, Control(), max_steps=100, preview_seconds=None).run()
    return out, prepared.trainer, episodes[0]


def test_an_episode_is_rebuilt_exactly_and_carries_the_network_that_played_it(pong_episode):
    path, trainer, episode = pong_episode
    assert episode.step == 100 and episode.network is not None and episode.network is not trainer.q
    inputs = episode_inputs("ALE/Pong-v5", episode)
    assert inputs.shape == (len(episode), 4, 84, 84) and (inputs[0, :3] == 0).all()
    recorded_q = episode.arrays()[1]
    with torch.no_grad():
        for t in (0, 1, len(episode) // 2, len(episode) - 1):
            q = episode.network(torch.as_tensor(inputs[t:t + 1]))[0].numpy()
            assert np.allclose(q, recorded_q[t], atol=1e-5), t  # the same input the agent saw
    sal = EpisodeSaliency("ALE/Pong-v5", episode, episode.network, episode.step)
    m = sal.map(len(episode) // 2)
    assert m.shape == (84, 84) and sal.scale == pytest.approx(float(m.max())) and sal.exact_network
    assert np.allclose(m, Saliency(episode.network)(inputs[len(episode) // 2]))  # one frame a row, stacked back


def test_the_network_from_a_session_file_and_a_game_that_differs_is_refused(pong_episode):
    path, trainer, episode = pong_episode
    step, net = network_from_session(str(path))
    assert step == 100
    with SessionReader(path) as r:
        stored = r.episode(0)
    assert stored.network is None and stored.seed == episode.seed
    for a, b in zip(net.state_dict().values(), episode.network.state_dict().values()):
        assert torch.equal(a, b)
    wrong = dataclasses.replace(stored, seed=stored.seed + 1)
    with pytest.raises(StudioError, match="cannot be played again"):
        episode_inputs("ALE/Pong-v5", wrong)
    longer = dataclasses.replace(stored, frames=stored.frames + stored.frames[-1:] * 5,  # rows past the game's end
                                 actions=stored.actions[:-1] + [0] * 5 + [-1], rewards=stored.rewards + [0.0] * 5,
                                 q_values=stored.q_values + stored.q_values[-1:] * 5)
    with pytest.raises(StudioError, match=f"differs at frame {len(stored) - 1}"):
        episode_inputs("ALE/Pong-v5", longer)
