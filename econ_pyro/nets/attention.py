"""Attention network a_k(x, s) (App. C.2.2): a U-Net over RGB + scope.

Down blocks: 3x3 conv, instance norm, ReLU, then x2 down-sampling; up blocks:
x2 up-sampling, concatenation with the skip connection, 3x3 conv, instance
norm, ReLU; a final 1x1 conv gives one logit per pixel.  The region
probability is ``r~ = s * sigmoid(logit)``: attention only covers what is
still in scope (as in MONet / GENESIS), so ``r~ <= s`` everywhere.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .ops import InstanceNorm2d, upsample2


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                         InstanceNorm2d(c_out, affine=True), nn.ReLU(inplace=True))


class AttentionUNet(nn.Module):
    def __init__(self, channels=(32, 64, 64, 64), in_channels: int = 4):
        super().__init__()
        chans = [in_channels, *channels]
        self.down = nn.ModuleList(_block(chans[i], chans[i + 1]) for i in range(len(channels)))
        # up block i consumes the up-sampled features (channels of the level below) + skip i
        below = [*channels[1:], channels[-1]]
        self.up = nn.ModuleList(_block(below[i] + channels[i], channels[i])
                                for i in range(len(channels)))
        self.head = nn.Conv2d(channels[0], 1, 1)

    def forward(self, x: torch.Tensor, scope: torch.Tensor) -> torch.Tensor:
        h = torch.cat([x, scope], dim=1)
        skips = []
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = F.avg_pool2d(h, 2)
        for block, skip in zip(reversed(self.up), reversed(skips), strict=True):
            h = upsample2(h)
            h = block(torch.cat([h, skip], dim=1))
        return scope * torch.sigmoid(self.head(h))
