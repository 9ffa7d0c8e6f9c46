"""Fast paths for three small ops of the nets on the CPU.

The competition (every expert on every step) and ``decompose`` run without
autograd, where PyTorch's CPU ``max_pool2d`` (it also computes argmax indices;
15x slower than the views below in a micro-benchmark, 10 % of ``decompose``)
and ``interpolate(mode="nearest")`` are slower than the same arithmetic on
strided views.  These two helpers give bit-identical results and fall
back to the library op whenever autograd records the call (the library ops'
backward is cheaper) or the input does not have the shape the fast path needs.

With the nets in ``channels_last`` memory format (the CPU default), the
library's instance norm reshapes its input to ``[1, B*C, H, W]``, which copies a
channels_last tensor into the contiguous format, and the strided-view up-sampling
returned a contiguous tensor, so the U-Net's concatenation and the next
convolution convert layouts again (copies were 22 % of ``decompose``'s time,
docs/PERFORMANCE.md, session 14).  :class:`InstanceNorm2d` and
:func:`upsample2` keep a channels_last input in channels_last; the norm is then
computed from batched means (equal to the library's to float rounding, ~1e-6);
the up-sampling is the library op, which keeps the layout (session 33).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _recording(h: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and h.requires_grad


def _channels_last(h: torch.Tensor) -> bool:
    """``h`` is a 4-d tensor laid out as channels_last (and not also contiguous)."""
    if h.dim() != 4 or h.is_contiguous():
        return False
    try:
        return h.is_contiguous(memory_format=torch.channels_last)
    except RuntimeError:  # inside torch.vmap (expert_strategy "vmap") layouts cannot be queried
        return False


def max_pool2(h: torch.Tensor) -> torch.Tensor:
    """``F.max_pool2d(h, 2)``: 2x2 max, stride 2."""
    H, W = h.shape[-2:]
    if _recording(h) or H % 2 or W % 2:
        return F.max_pool2d(h, 2)
    return torch.maximum(torch.maximum(h[..., 0::2, 0::2], h[..., 0::2, 1::2]),
                         torch.maximum(h[..., 1::2, 0::2], h[..., 1::2, 1::2]))


def upsample2(h: torch.Tensor) -> torch.Tensor:
    """``F.interpolate(h, scale_factor=2, mode="nearest")`` for ``[B, C, H, W]``;
    a channels_last input gives a channels_last result (with or without autograd).

    Only a contiguous input without autograd takes the strided-view path; the library
    op keeps channels_last, and forward + backward run 6-12x faster than the view path's
    (whose gradient is a slow strided sum; docs/PERFORMANCE.md, session 33)."""
    if _channels_last(h) or _recording(h) or h.dim() != 4:
        return F.interpolate(h, scale_factor=2.0, mode="nearest")
    B, C, H, W = h.shape
    return h[:, :, :, None, :, None].expand(B, C, H, 2, W, 2).reshape(B, C, 2 * H, 2 * W)


class InstanceNorm2d(nn.InstanceNorm2d):
    """``nn.InstanceNorm2d`` (same parameters and state dict) that normalises a
    channels_last input without converting it to the contiguous format.

    The channels_last path views the input as ``[B, H*W, C]`` and takes each
    channel's mean and (biased) variance as batched products with a constant
    ``1 / (H*W)`` row (two passes: the variance from the centred values); on the
    CPU these run ~5x faster than ``torch.var_mean`` over ``(H, W)``."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.track_running_stats or not _channels_last(h):
            return super().forward(h)
        return instance_norm(h, self.weight, self.bias, self.eps)


def instance_norm(h: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
                  eps: float) -> torch.Tensor:
    """Instance norm of ``h`` ``[B, C, H, W]`` with optional affine ``weight``, ``bias``
    ``[C]``; a channels_last input is normalised as :class:`InstanceNorm2d` describes and
    stays channels_last, others go to the library op."""
    if not _channels_last(h):
        return F.instance_norm(h, weight=weight, bias=bias, eps=eps)
    B, C, H, W = h.shape
    hwc = h.permute(0, 2, 3, 1).reshape(B, H * W, C)  # a view: no copy
    avg = torch.full((1, 1, H * W), 1.0 / (H * W), dtype=h.dtype, device=h.device) \
        .expand(B, 1, H * W)
    centred = hwc - torch.bmm(avg, hwc)  # [B, HW, C] minus each channel's mean
    scale = torch.rsqrt(torch.bmm(avg, centred * centred) + eps)  # [B, 1, C]
    if weight is not None:
        out = torch.addcmul(bias, centred, scale * weight)
    else:
        out = centred * scale
    return out.view(B, H, W, C).permute(0, 3, 1, 2)
