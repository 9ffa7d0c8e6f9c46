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


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 5, 3, 7)])
def test_upsample2_equals_nearest_interpolate(shape):
    torch.manual_seed(0)
    x = torch.randn(shape)
    ref = F.interpolate(x, scale_factor=2.0, mode="nearest")
    with torch.no_grad():
        assert torch.equal(upsample2(x), ref)
    a = x.clone().requires_grad_()
    upsample2(a).mul(torch.arange(ref.numel()).view_as(ref)).sum().backward()
    b = x.clone().requires_grad_()
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
