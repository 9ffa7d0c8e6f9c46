"""Small Pyro effect handlers used by ECON."""

from __future__ import annotations

import torch
from pyro.poutine.messenger import Messenger


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
