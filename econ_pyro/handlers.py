"""Small Pyro effect handlers used by ECON."""

from __future__ import annotations

import contextlib
import contextvars

import pyro
import torch
from pyro.poutine.messenger import Messenger

_PARAM_SITES = contextvars.ContextVar("econ_param_sites", default=True)


def register_module(econ) -> None:
    """``pyro.module("econ", econ)``, as the model and the guide both start, unless inside
    :func:`without_param_sites`."""
    if _PARAM_SITES.get():
        pyro.module("econ", econ)


@contextlib.contextmanager
def without_param_sites():
    """Run ECON's model and guide without ``pyro.module``: no ``param`` sites, no param-store
    lookups (one per parameter, twice per step).  For steps whose optimiser is a torch
    optimiser over ``econ.parameters()`` (``train_step``, the trainer); ``pyro.infer.SVI``
    and a Pyro optimiser need the param sites, so keep them there."""
    token = _PARAM_SITES.set(False)
    try:
        yield
    finally:
        _PARAM_SITES.reset(token)


class weight(Messenger):
    """Like ``poutine.scale``, but a weight of 0 is allowed (it switches a term off).

    Used for beta on the ``z_t`` sites and gamma on the ``r_t`` sites (eq. 13).
    """

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def _process_message(self, msg):
        msg["scale"] = self.scale * msg["scale"]


class force_experts(Messenger):
    """Fix the winners of the guide's competition: ``{t: expert}`` (int or per-image tensor).

    Unlike ``poutine.condition`` the sites stay *sampled* (not observed), so the
    guide trace can still be replayed into the model.  The competition scores
    are computed as usual and kept in the trace.
    """

    def __init__(self, experts: dict):
        super().__init__()
        self.experts = {f"k_{t}" if isinstance(t, int) else t: v for t, v in experts.items()}

    def _process_message(self, msg):
        if msg["type"] == "sample" and msg["name"] in self.experts:
            batch = msg["fn"].batch_shape
            value = torch.as_tensor(self.experts[msg["name"]], device=msg["fn"].logits.device)
            msg["value"] = value.expand(batch).long()
