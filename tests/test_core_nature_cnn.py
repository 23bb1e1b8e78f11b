"""The Nature DQN's Q-network: shapes, the dueling head's identity, the /255 inside, its size, gradients."""
import copy

import pytest
import torch

from studio.models.nature_cnn import NatureQNetwork, nature_param_count


def _frames(batch: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (batch, 4, 84, 84), dtype=torch.uint8, generator=gen)


@pytest.mark.parametrize("dueling", [False, True])
@pytest.mark.parametrize("batch, actions", [(1, 4), (5, 18)])
def test_q_values_have_one_row_per_observation_and_one_column_per_action(batch, actions, dueling):
    torch.manual_seed(0)
    q = NatureQNetwork(4, actions, dueling=dueling)(_frames(batch))
    assert q.shape == (batch, actions) and q.dtype == torch.float32
    assert torch.isfinite(q).all()


def test_the_body_ends_in_3136_conv_features_then_512():
    net = NatureQNetwork(4, 6)
    convs = [m for m in net.body if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == \
        [(32, (8, 8), (4, 4)), (64, (4, 4), (2, 2)), (64, (3, 3), (1, 1))]
    with torch.no_grad():
        features = net.body[:7](_frames(2).float())  # up to and including the flatten
        hidden = net.body(_frames(2).float())
    assert features.shape == (2, 64 * 7 * 7) and hidden.shape == (2, 512)


def test_dueling_q_is_the_value_plus_the_advantage_with_its_mean_removed():
    torch.manual_seed(1)
    net = NatureQNetwork(4, 6, dueling=True)
    obs = _frames(3)
    with torch.no_grad():
        q = net(obs)
        h = net.body(obs.float() / 255.0)
        v, a = net.value(h), net.advantage(h)
        assert torch.allclose(q.mean(dim=1, keepdim=True), v, atol=1e-5)  # mean over actions is V
        assert torch.allclose(q - v, a - a.mean(dim=1, keepdim=True), atol=1e-5)
        net.advantage.bias += 3.0  # a shift common to every action's advantage cannot change Q
        assert torch.allclose(net(obs), q, atol=1e-5)


def test_pixels_are_divided_by_255_inside_for_uint8_and_float_input_alike():
    torch.manual_seed(2)
    net = NatureQNetwork(4, 5, dueling=True)
    obs = _frames(4)
    as_float = obs.float()
    kept = as_float.clone()
    with torch.no_grad():
        from_bytes, from_floats = net(obs), net(as_float)
        by_hand = net.value(net.body(kept / 255.0)) + net.advantage(net.body(kept / 255.0))
        by_hand -= net.advantage(net.body(kept / 255.0)).mean(dim=1, keepdim=True)
        unscaled = net(as_float * 255.0)
    assert torch.equal(as_float, kept)  # the caller's float tensor is not scaled in place
    assert torch.allclose(from_bytes, from_floats, atol=1e-6)
    assert torch.allclose(from_bytes, by_hand, atol=1e-5)
    assert not torch.allclose(from_bytes, unscaled, atol=1e-3)  # the scale matters: a missing /255 shows


def test_channels_last_layout_computes_what_the_plain_layout_does():
    torch.manual_seed(7)
    net = NatureQNetwork(4, 6)
    plain = copy.deepcopy(net).to(memory_format=torch.contiguous_format)
    assert net.body[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert plain.body[0].weight.is_contiguous()
    obs = _frames(3, seed=8)
    with torch.no_grad():
        assert torch.allclose(net(obs), plain(obs), atol=1e-5)
    restored = NatureQNetwork(4, 6)
    restored.load_state_dict(plain.state_dict())  # a checkpoint in either layout loads into the other
    with torch.no_grad():
        assert torch.allclose(restored(obs), plain(obs), atol=1e-5)


@pytest.mark.parametrize("dueling", [False, True])
@pytest.mark.parametrize("actions", [4, 18])
def test_parameter_count_is_the_nature_networks(actions, dueling):
    conv = (4 * 32 * 8 * 8 + 32) + (32 * 64 * 4 * 4 + 64) + (64 * 64 * 3 * 3 + 64)
    fc = 3136 * 512 + 512
    head = 512 * actions + actions + ((512 + 1) if dueling else 0)
    expected = conv + fc + head
    net = NatureQNetwork(4, actions, dueling=dueling)
    assert sum(p.numel() for p in net.parameters()) == expected == nature_param_count(4, actions, dueling=dueling)
    if actions == 18 and not dueling:
        assert 1.68e6 < expected < 1.70e6  # the figure usually quoted for the Nature DQN on 18 actions


@pytest.mark.parametrize("dueling", [False, True])
def test_a_td_loss_reaches_every_parameter(dueling):
    torch.manual_seed(3)
    net = NatureQNetwork(4, 4, dueling=dueling)
    q = net(_frames(8, seed=4))
    target = torch.randn(8)
    torch.nn.functional.smooth_l1_loss(q.gather(1, torch.arange(8)[:, None] % 4).squeeze(1), target).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"no gradient reaches {name}"


def test_one_adam_step_lowers_the_loss_on_its_batch():
    torch.manual_seed(5)
    net = NatureQNetwork(4, 3)
    obs, target = _frames(16, seed=6), torch.randn(16, 3)
    opt = torch.optim.Adam(net.parameters(), 1e-4)  # the Atari rate
    losses = []
    for _ in range(3):
        loss = torch.nn.functional.mse_loss(net(obs), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
