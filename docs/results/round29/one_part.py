"""Round 29: `econ-pyro train` with a one-part push on the winners' attention (not a library
option: a record of what was tried).  Same arguments as `econ-pyro train`, plus environment
variables ONE_PART_WEIGHT (nats per pixel, default 5) and ONE_PART_ON ("region" or "logit",
default "logit") and ONE_PART_PIXELS ("outside": every pixel outside the largest part, the
first runs; "attended": only the attended ones, r > 0.5, outside it; default "outside"), and
LOGIT_BOUND (default none): the winners' attention logits are charged
LOGIT_BOUND_WEIGHT (default 1) x (|logit| - LOGIT_BOUND)^2 where |logit| > LOGIT_BOUND, which
keeps them where the sigmoid has a slope (at |logit| > 17 it is exactly 0 in float32, and
the attention then gets no gradient at all: round 29's saturation.py).

At every object step (t > 1) of the training guide, the winner's region r (scope x attention,
with autograd) is thresholded at 0.5 and split into 8-connected parts; the pixels of r outside
the largest part are pushed off:

* "region": they get an extra gradient ONE_PART_WEIGHT on r (as if the loss held
  ONE_PART_WEIGHT x the region's mass there).  That gradient then passes the attention's
  sigmoid, whose logits are saturated (median 12-19 on attended pixels, round 29), so it
  arrives scaled by sigmoid'(logit) ~ 1e-5 or less;
* "logit": the loss gets ONE_PART_WEIGHT x softplus(logit) there (-log(1 - sigmoid), the
  cross-entropy towards "not attended"), whose gradient on the logit is sigmoid(logit) ~ 1.

A label-free stand-in for "one object per step" that can only act on same-coloured objects
that do not touch; an occluded object cut in two by its occluder is pushed too.

Question: once the attention takes one of two separate same-coloured objects, does it also
learn to take one of two touching ones (which the supervised probe, instance_probe.py, can)?
"""
import os
import sys

import torch
import torch.nn.functional as F
from saturation import attention_logits  # this folder (run as a script)

from econ_pyro.cli.train import train
from econ_pyro.guides import competition as G
from econ_pyro.nets.attention import AttentionUNet

WEIGHT = float(os.environ.get("ONE_PART_WEIGHT", "5"))
ON = os.environ.get("ONE_PART_ON", "logit")
PIXELS = os.environ.get("ONE_PART_PIXELS", "outside")
if ON not in ("region", "logit") or PIXELS not in ("outside", "attended"):
    raise SystemExit("ONE_PART_ON must be 'region' or 'logit' and ONE_PART_PIXELS 'outside' or "
                     f"'attended', not {ON!r} / {PIXELS!r}")
BOUND = float(os.environ["LOGIT_BOUND"]) if os.environ.get("LOGIT_BOUND") else None
BOUND_WEIGHT = float(os.environ.get("LOGIT_BOUND_WEIGHT", "1"))
_winner_region = G.winner_region
_forward = AttentionUNet.forward
_batch = {"B": None}  # the whole batch's size while a winner's attention is recomputed


def pushed(region: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] float: the pixels pushed off (outside the largest part of r > 0.5; with
    ONE_PART_PIXELS=attended only those with r > 0.5)."""
    on = region.detach() > 0.5
    out = 1 - largest_part(on)
    return out * on if PIXELS == "attended" else out


@torch.no_grad()
def largest_part(mask: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] boolean -> the largest 8-connected part of each image's mask (float)."""
    B, _, H, W = mask.shape
    fg = mask.float()
    labels = torch.arange(1, H * W + 1, dtype=fg.dtype, device=fg.device).view(1, 1, H, W) * fg
    for _ in range(H * W):  # max label spreads over each part; checked every 8 sweeps
        for _ in range(8):
            labels = F.max_pool2d(labels, 3, 1, 1) * fg
        if torch.equal(labels, F.max_pool2d(labels, 3, 1, 1) * fg):
            break
    flat = labels.view(B, -1).long()
    counts = torch.zeros(B, H * W + 1, device=fg.device).scatter_add_(1, flat, fg.view(B, -1))
    counts[:, 0] = 0
    best = counts.argmax(1)
    return (flat == best[:, None]).float().view(B, 1, H, W) * fg


def forward(self, x, scope):
    """AttentionUNet.forward; for a winner's recomputation, the logit push (ON == "logit")."""
    if _batch["B"] is None or not torch.is_grad_enabled():
        return _forward(self, x, scope)
    region, logit = attention_logits(_forward, self, x, scope)
    with torch.no_grad():  # d/dlogit of WEIGHT * softplus(logit) outside the largest part
        push = pushed(region) * scope * torch.sigmoid(logit) * WEIGHT \
            if WEIGHT > 0 and ON == "logit" else 0
        if BOUND is not None:  # d/dlogit of BOUND_WEIGHT * (|logit| - BOUND)^2 beyond BOUND
            push = push + 2 * BOUND_WEIGHT * (logit.abs() - BOUND).clamp(min=0) * logit.sign()
        push = push / _batch["B"]  # the loss is a batch mean of per-image losses
    logit.register_hook(lambda g: g + push.to(g.dtype))
    return region


def winner_region(econ, k, x, scope, t, gt_regions=None):
    on = t > 1 and torch.is_grad_enabled()
    _batch["B"] = x.shape[0] if on and (ON == "logit" and WEIGHT > 0 or BOUND is not None) \
        else None
    try:
        region = _winner_region(econ, k, x, scope, t, gt_regions)
    finally:
        _batch["B"] = None
    if on and ON == "region" and WEIGHT > 0 and region.requires_grad:
        outside = pushed(region) * (WEIGHT / region.shape[0])
        region.register_hook(lambda g: g + outside.to(g.dtype))
    return region


G.winner_region = winner_region
AttentionUNet.forward = forward
if __name__ == "__main__":
    sys.exit(train.main(sys.argv[1:], standalone_mode=False) or 0)
