"""The ensemble of K experts, each an attention net, encoder and decoder.

Each expert's weights live in its own sub-module, so that an expert that did
not win gets ``grad is None`` and ``torch.optim.Adam`` skips it entirely (no
momentum drift).  Two ways to evaluate the ensemble:

* :meth:`ExpertEnsemble.all` runs every expert on the same batch (the
  competition); strategy ``"loop"`` (Python loop) or ``"vmap"``
  (``torch.func.vmap`` over stacked weights).
* :meth:`ExpertEnsemble.select` runs, for each sample, only the expert given
  by a per-sample index (the winners), grouping samples by expert.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ..config import ECONConfig
from .attention import AttentionUNet
from .vae import BroadcastDecoder, Encoder, ShapeAppearanceDecoder, ShapeAppearanceEncoder


class Expert(nn.Module):
    def __init__(self, cfg: ECONConfig):
        super().__init__()
        self.attention = AttentionUNet(cfg.attention_channels)
        nets = (cfg.image_size, cfg.latent_dim, cfg.vae_layers, cfg.vae_features)
        if cfg.shape_latent_dim:  # a factorised VAE (a deviation, see ECONConfig)
            s = cfg.shape_latent_dim
            self.encoder = ShapeAppearanceEncoder(*nets[:2], s, *nets[2:], cfg.encoder_hidden)
            self.decoder = ShapeAppearanceDecoder(*nets[:2], s, *nets[2:])
        else:
            self.encoder = Encoder(*nets, cfg.encoder_hidden)
            self.decoder = BroadcastDecoder(*nets)
        # affine latent standardisation (econ_pyro.latents): the nets see u = loc + scale * z
        # while the model's z ~ N(0, I); identity unless a fitted one is applied (not part of
        # the state dict: checkpoints keep it apart, and training never changes it)
        self.register_buffer("latent_loc", torch.zeros(cfg.latent_dim), persistent=False)
        self.register_buffer("latent_scale", torch.ones(cfg.latent_dim), persistent=False)

    def attend(self, x, scope):
        return self.attention(x, scope)

    def encode(self, x, region):
        mu, logvar = self.encoder(x, region)  # of u; z = (u - loc) / scale
        return (mu - self.latent_loc) / self.latent_scale, logvar - 2 * self.latent_scale.log()

    def decode(self, z):
        return self.decoder(self.latent_loc + self.latent_scale * z)


class Grouping(NamedTuple):
    counts: list[int]  # samples per expert
    used: list[int]  # experts with at least one sample
    order: torch.Tensor | None  # permutation sorting the batch by expert (None: one expert)
    inverse: torch.Tensor | None


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _unwrap(outs):
    return outs if len(outs) > 1 else outs[0]


class ExpertEnsemble(nn.Module):
    def __init__(self, cfg: ECONConfig):
        super().__init__()
        self.experts = nn.ModuleList(Expert(cfg) for _ in range(cfg.n_experts))
        self.strategy = cfg.expert_strategy
        self._meta_expert = None  # list-wrapped so it is not registered as a sub-module

    def __len__(self) -> int:
        return len(self.experts)

    def all(self, method: str, *args, per_expert=None, only: list[int] | None = None):
        """Run ``method`` of every expert (or of the experts ``only``, in that order);
        outputs get a leading expert dim (``K``, or ``len(only)``).

        ``per_expert`` flags which ``args`` already have that leading dim (one
        slice per expert); the others are shared by all experts.
        """
        per_expert = per_expert or (False,) * len(args)
        experts = list(self.experts) if only is None else [self.experts[k] for k in only]
        if self.strategy == "vmap":
            return self._all_vmap(experts, method, args, per_expert)
        outs = [
            _as_tuple(getattr(e, method)(*[a[i] if p else a for a, p in zip(args, per_expert,
                                                                            strict=True)]))
            for i, e in enumerate(experts)
        ]
        return _unwrap(tuple(torch.stack(o) for o in zip(*outs, strict=True)))

    def _all_vmap(self, experts, method, args, per_expert):
        params, buffers = stack_module_state(experts)  # current weights, stacked
        if self._meta_expert is None:  # weight-less template, built once
            self._meta_expert = [copy.deepcopy(self.experts[0]).to("meta")]
        call = _MethodCall(self._meta_expert[0], method)
        state = {f"m.{k}": v for k, v in {**params, **buffers}.items()}

        def one(st, *a):
            return functional_call(call, st, a, strict=False)

        in_dims = (0, *[0 if p else None for p in per_expert])
        return vmap(one, in_dims=in_dims, randomness="different")(state, *args)

    def grouping(self, k: torch.Tensor) -> Grouping:
        """How a batch splits by expert (one host sync); reusable for several ``select``s."""
        counts = torch.bincount(k, minlength=len(self.experts)).tolist()
        used = [e for e, c in enumerate(counts) if c > 0]
        if len(used) == 1:
            return Grouping(counts, used, None, None)
        order = torch.argsort(k, stable=True)
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(len(order), device=order.device)
        return Grouping(counts, used, order, inverse)

    def select(self, method: str, k, *args):
        """Run, for each sample ``b``, expert ``k[b]``'s ``method`` on ``args[..][b]``.

        ``k`` is a per-sample expert index tensor or a :class:`Grouping` of one.
        """
        g = k if isinstance(k, Grouping) else self.grouping(k)
        if g.order is None:  # fast path: one expert for the whole batch
            return getattr(self.experts[g.used[0]], method)(*args)
        chunks = [a[g.order].split(g.counts) for a in args]
        outs = [_as_tuple(getattr(self.experts[e], method)(*[c[e] for c in chunks]))
                for e in g.used]
        return _unwrap(tuple(torch.cat(o)[g.inverse] for o in zip(*outs, strict=True)))


class _MethodCall(nn.Module):
    """Calls a named method of ``expert`` as ``forward``, so ``functional_call`` can run it."""

    def __init__(self, expert: nn.Module, method: str):
        super().__init__()
        self.m, self.method = expert, method

    def forward(self, *args):
        return getattr(self.m, self.method)(*args)
