"""Exact fast paths for two small ops of the nets, for CPU inference.

The competition (every expert on every step) and ``decompose`` run without
autograd, where PyTorch's CPU ``max_pool2d`` (it also computes argmax indices;
15x slower than the views below in a micro-benchmark, 10 % of ``decompose``)
and ``interpolate(mode="nearest")`` are slower than the same arithmetic on
strided views.  Each helper gives bit-identical results and falls
back to the library op whenever autograd records the call (the library ops'
backward is cheaper) or the input does not have the shape the fast path needs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _recording(h: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and h.requires_grad


def max_pool2(h: torch.Tensor) -> torch.Tensor:
    """``F.max_pool2d(h, 2)``: 2x2 max, stride 2."""
    H, W = h.shape[-2:]
    if _recording(h) or H % 2 or W % 2:
        return F.max_pool2d(h, 2)
    return torch.maximum(torch.maximum(h[..., 0::2, 0::2], h[..., 0::2, 1::2]),
                         torch.maximum(h[..., 1::2, 0::2], h[..., 1::2, 1::2]))


def upsample2(h: torch.Tensor) -> torch.Tensor:
    """``F.interpolate(h, scale_factor=2, mode="nearest")`` for ``[B, C, H, W]``."""
    if _recording(h) or h.dim() != 4:
        return F.interpolate(h, scale_factor=2.0, mode="nearest")
    B, C, H, W = h.shape
    return h[:, :, :, None, :, None].expand(B, C, H, 2, W, 2).reshape(B, C, 2 * H, 2 * W)
