"""The nets' no-autograd fast paths give exactly the library ops' results."""

import pytest
import torch
import torch.nn.functional as F

from econ_pyro.nets.ops import max_pool2, upsample2


@pytest.mark.parametrize("shape", [(5, 3, 8, 8), (2, 4, 16, 6), (3, 2, 7, 9), (1, 1, 5, 4)])
def test_max_pool2_equals_max_pool2d(shape):
    torch.manual_seed(0)
    x = torch.randn(shape)
    x[0, 0, :2, :2] = 0.5  # a tie inside one window
    with torch.no_grad():
        assert torch.equal(max_pool2(x), F.max_pool2d(x, 2))
    # recorded by autograd: the library op and its gradient
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    w = torch.randn_like(F.max_pool2d(x, 2))
    (max_pool2(a) * w).sum().backward()
    (F.max_pool2d(b, 2) * w).sum().backward()
    assert torch.equal(a.grad, b.grad)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 5, 3, 7), (3, 5, 3, 7)])
def test_upsample2_equals_nearest_interpolate(shape, channels_last):
    """Same values and gradient as the library op; a channels_last input (not also
    contiguous) gives a channels_last result, with or without autograd."""
    torch.manual_seed(0)
    x = torch.randn(shape)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    keeps_layout = channels_last and not x.is_contiguous()
    ref = F.interpolate(x.contiguous(), scale_factor=2.0, mode="nearest")
    with torch.no_grad():
        out = upsample2(x)
        assert torch.equal(out, ref)
        assert out.is_contiguous(memory_format=torch.channels_last) or not keeps_layout
    a = x.clone().requires_grad_()
    out = upsample2(a)
    assert out.is_contiguous(memory_format=torch.channels_last) or not keeps_layout
    out.mul(torch.arange(ref.numel()).view_as(ref)).sum().backward()
    b = x.contiguous().requires_grad_()
    ref_b = F.interpolate(b, scale_factor=2.0, mode="nearest")
    ref_b.mul(torch.arange(ref.numel()).view_as(ref)).sum().backward()
    assert torch.equal(a.grad, b.grad)


def test_encoder_and_attention_no_grad_equal_recorded_forward():
    """The same nets give the same numbers with and without autograd (fast path or not)."""
    from econ_pyro.nets import AttentionUNet, Encoder

    torch.manual_seed(0)
    x, scope = torch.rand(4, 3, 16, 16), torch.rand(4, 1, 16, 16)
    enc, att = Encoder(16, 3, layers=3, features=8), AttentionUNet((4, 8, 8))
    with torch.no_grad():
        fast = (*enc(x, scope), att(x, scope))
    slow = (*enc(x, scope), att(x, scope))
    for f, s in zip(fast, slow, strict=True):
        assert s.requires_grad and torch.allclose(f, s, atol=1e-6, rtol=0)


def _cl(x):
    return x.contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_channels_last_path_equals_library(affine):
    """The channels_last path (batched means) gives the library's values and gradients
    (input, weight, bias) to float rounding, in channels_last; other layouts use the
    library itself."""
    from econ_pyro.nets.ops import InstanceNorm2d

    torch.manual_seed(0)
    ours, ref = InstanceNorm2d(6, affine=affine), torch.nn.InstanceNorm2d(6, affine=affine)
    if affine:
        with torch.no_grad():
            for p in (ours.weight, ours.bias):
                p.normal_()
        ref.load_state_dict(ours.state_dict())  # same parameters, same state dict keys
    x = torch.randn(4, 6, 5, 7) * 3 + 2  # a mean far from 0: the variance is centred
    w = torch.randn(4, 6, 5, 7)
    a, b = _cl(x).requires_grad_(), x.clone().requires_grad_()
    out = ours(a)
    assert out.is_contiguous(memory_format=torch.channels_last) and not out.is_contiguous()
    assert torch.allclose(out, ref(b), atol=1e-5, rtol=0)
    (ours(a) * w).sum().backward()
    (ref(b) * w).sum().backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-4, rtol=1e-4)
    if affine:
        for p, q in ((ours.weight, ref.weight), (ours.bias, ref.bias)):
            assert torch.allclose(p.grad, q.grad, atol=1e-4, rtol=1e-4)
    with torch.no_grad():  # contiguous input: exactly the library op
        assert torch.equal(ours(x), ref(x))


def test_attention_channels_last_equals_contiguous():
    """The U-Net gives the same regions with its weights in either memory format."""
    from econ_pyro.nets import AttentionUNet

    torch.manual_seed(0)
    att = AttentionUNet((4, 8, 8))
    x, scope = torch.rand(3, 3, 16, 16), torch.rand(3, 1, 16, 16)
    with torch.no_grad():
        ref = att(x, scope)
        att.to(memory_format=torch.channels_last)
        assert torch.allclose(att(x, scope), ref, atol=1e-5, rtol=0)


def test_encoder_hidden_width_default_is_paper_and_option_changes_only_fc():
    """model.encoder_hidden: None builds the paper's FC of 4 L units; a width changes only the
    encoder's FC layers; a run's config with it rebuilds the same nets; bad widths refused."""
    from econ_pyro import ECON
    from econ_pyro.config import ConfigError, ECONConfig

    small = dict(image_size=16, attention_channels=(4, 4), vae_layers=2, vae_features=4,
                 latent_dim=3)
    paper, wide = ECON(ECONConfig(**small)), ECON(ECONConfig(**small, encoder_hidden=20))
    assert paper.experts.experts[0].encoder.fc1.out_features == 12  # 4 L
    enc = wide.experts.experts[0].encoder
    assert (enc.fc1.out_features, enc.fc2.in_features, enc.fc2.out_features) == (20, 20, 6)
    differ = {k for k, v in paper.state_dict().items() if v.shape != wide.state_dict()[k].shape}
    assert differ and all(".encoder.fc1." in k or ".encoder.fc2.weight" in k for k in differ)
    mu, logvar = enc(torch.rand(2, 3, 16, 16), torch.rand(2, 1, 16, 16))
    assert mu.shape == logvar.shape == (2, 3)
    again = ECON(ECONConfig.from_dict(wide.config.to_dict()))
    again.load_state_dict(wide.state_dict())  # strict: the same shapes
    with pytest.raises(ConfigError, match="encoder_hidden"):
        ECONConfig(**small, encoder_hidden=0)
