"""Dead-expert remedies for the competition (issue #7); each one is optional.

An expert that loses every competition gets no gradient and never improves, so
it keeps losing: a *dead* expert.  An expert that wins almost nothing is on the
way there.  Three remedies, configured in ``train``:

* **revival** (``revive = "noise" | "split"``): every ``revive_window`` steps
  the expert with the smallest win share is re-initialised if that share is
  below ``revive_below`` -- from fresh random weights (``"noise"``), or as a
  perturbed copy of the expert with the largest share (``"split"``, as k-means
  splits its largest cluster: the copy ties with its source on the source's
  scenes and the two then divide them, e.g. background vs squares).  Only the
  revived expert's parameters and Adam state change.
* **temperature restart** (``temperature_restart = true``): when an expert is
  found starving, the temperature anneal starts again from
  ``temperature_start`` so the competition is soft while it catches up.
* **load balancing** (``balance = alpha > 0``): the competition's logits get a
  bonus ``-alpha * log(K * share_k)`` where ``share_k`` is a running average
  (decay ``balance_decay``) of expert k's win share, favouring experts that
  win rarely.  With ``balance_anneal_steps`` = N the bonus fades linearly to 0
  over the first N steps, so the final experts must win on their own scores;
  ``balance_start`` = S switches it on only at step S (fading over steps S..S+N),
  e.g. once the experts have divided the object classes and only the background
  is still shared (docs/SPECIALISATION.md, round 4).
  Training only; evaluation (and the training dashboard) compete without it.

A **split of a merged expert** (``split_merged_from`` / ``split_merged_above``) is
label-free too: when one expert wins two or more object steps in most validation
scenes (it explains several objects, often of several classes), the expert with the
fewest object-step wins that is not the background's becomes a perturbed copy of it
(``merge_check``), so that two experts divide what one explained.

The late background reservation (``reserve_background_at``, trainer.py) picks its
expert with ``reservation_check``, which also reads two label-free guards off a
deterministic decomposition of the validation scenes: how often the last step's
region is the largest one (the background goes last) and the spare expert's share
of the object steps.
"""

from __future__ import annotations

import torch

REVIVE = (None, "noise", "split")


def _object_steps_per_scene(experts: torch.Tensor, n_experts: int) -> torch.Tensor:
    """``[N, K]``: how many object steps (t = T..2) each expert won in each scene."""
    return torch.nn.functional.one_hot(experts[:, :-1], n_experts).sum(1)


def _last_step_wins(experts: torch.Tensor, n_experts: int) -> torch.Tensor:
    """``[K]``: how many last steps (t = 1) each expert won."""
    return torch.bincount(experts[:, -1], minlength=n_experts)


def reservation_check(experts: torch.Tensor, regions: torch.Tensor, n_experts: int) -> dict:
    """Which expert a background reservation would take, from a decomposition of
    validation scenes (``experts`` [N,T], ``regions`` [N,T,H,W], index T-1 = last step).

    ``spare``: the expert with the fewest object-step (t > 1) wins; among equals, the
    one with the most last-step wins (it explained the background).  ``spare_share``:
    its share of the object steps.  ``last_largest``: share of scenes whose last-step
    region is the largest.  ``source``: the expert with the most last-step wins.
    ``taker``: the expert that wins the largest region of a scene (the background, in
    these scenes) most often, wherever it is taken; ``taker_share``: its share of the
    scenes (ties: the lower index)."""
    T = experts.shape[1]
    counts = _object_steps_per_scene(experts, n_experts).sum(0)
    last = _last_step_wins(experts, n_experts)
    spare = int((counts * (len(experts) + 1) - last).argmin())
    step = regions.sum((-2, -1)).argmax(1)  # [N] the step with the largest region
    largest = step == T - 1
    taker_wins = torch.bincount(experts.gather(1, step[:, None])[:, 0], minlength=n_experts)
    taker = int(taker_wins.argmax())
    return {"spare": spare, "spare_share": float(counts[spare] / counts.sum().clamp_min(1)),
            "last_largest": float(largest.float().mean()), "source": int(last.argmax()),
            "taker": taker, "taker_share": float(taker_wins[taker] / max(len(experts), 1)),
            "object_step_wins": counts.tolist(), "last_step_wins": last.tolist()}


def merge_check(experts: torch.Tensor, n_experts: int) -> dict:
    """Is one expert explaining several objects of a scene?  From a decomposition of
    validation scenes (``experts`` [N,T], index T-1 = last step).

    ``multi``: per expert, the share of scenes in which it wins at least two object
    steps (t > 1).  ``merged``: the expert with the largest such share, ``merged_share``
    that share.  ``target``: the expert a split would overwrite -- not the merged one,
    not the one winning most last steps (the background's), and among the rest the one
    with the fewest object-step wins (ties: the fewest last-step wins); None if no
    expert is left (K < 3)."""
    per_scene = _object_steps_per_scene(experts, n_experts)
    multi = (per_scene >= 2).float().mean(0)
    counts, last = per_scene.sum(0), _last_step_wins(experts, n_experts)
    merged, source = int(multi.argmax()), int(last.argmax())
    rest = [k for k in range(n_experts) if k not in (merged, source)]
    target = min(rest, key=lambda k: (int(counts[k]), int(last[k]), k)) if rest else None
    return {"merged": merged, "merged_share": float(multi[merged]), "target": target,
            "multi": [round(float(v), 4) for v in multi], "object_step_wins": counts.tolist(),
            "last_step_wins": last.tolist()}


def _reset(module: torch.nn.Module) -> None:
    for m in module.modules():
        if m is not module and hasattr(m, "reset_parameters"):
            m.reset_parameters()


@torch.no_grad()
def revive_expert(econ, opt: torch.optim.Optimizer, dead: int, source: int | None = None,
                  noise: float = 0.05, seed: int = 0, copy_state: bool = False) -> None:
    """Re-initialise expert ``dead``: fresh weights, or (``source`` given) a copy of
    expert ``source`` with Gaussian noise of ``noise`` x each tensor's mean magnitude.

    Touches only expert ``dead``: its parameters change and its optimiser state
    is dropped (Adam restarts its moments) -- or, with ``copy_state`` and a
    ``source``, becomes a copy of the source's (the two continue symmetrically).
    Seeded by ``seed`` and independent of the global RNG stream (so every DDP
    rank does the same).
    """
    experts = econ.experts.experts
    target = experts[dead]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if source is None:
            _reset(target)
        else:
            for p, q in zip(target.parameters(), experts[source].parameters(), strict=True):
                p.copy_(q + noise * q.abs().mean() * torch.randn_like(q))
    for p in target.parameters():
        opt.state.pop(p, None)
    if copy_state and source is not None:
        for p, q in zip(target.parameters(), experts[source].parameters(), strict=True):
            if q in opt.state:
                opt.state[p] = {k: v.clone() for k, v in opt.state[q].items()}


def balance_at(train_cfg: dict, step: int) -> float:
    """The load-balancing strength alpha at ``step``: 0 before ``balance_start``, then
    ``balance``, fading linearly to 0 over ``balance_anneal_steps`` steps if configured."""
    alpha = float(train_cfg.get("balance") or 0.0)
    start = train_cfg.get("balance_start") or 0
    if step < start:
        return 0.0
    n = train_cfg.get("balance_anneal_steps")
    if n:
        alpha *= max(0.0, 1.0 - (step - start) / n)
    return alpha


class WinShares:
    """Per-expert win counts over the current revival window and a running share."""

    def __init__(self, n_experts: int, decay: float = 0.99):
        self.K, self.decay = n_experts, decay
        self.window = torch.zeros(n_experts)
        self.share = torch.full((n_experts,), 1.0 / n_experts)

    def update(self, counts: torch.Tensor) -> None:
        """Add one step's win counts ``[K]`` (over batch and inference steps)."""
        counts = counts.to(self.window)
        self.window += counts
        self.share = self.decay * self.share + (1 - self.decay) * counts / counts.sum()

    def starving(self, below: float) -> tuple[int, int] | None:
        """``(weakest, strongest)`` if the weakest expert's share of this window's
        wins is below ``below``; the window restarts either way."""
        total = self.window.sum()
        out = None
        if total > 0:
            frac = self.window / total
            if frac.min() < below:
                out = int(frac.argmin()), int(frac.argmax())
        self.window.zero_()
        return out

    def bias(self, alpha: float) -> torch.Tensor:
        """Load-balancing logit bonus ``-alpha * log(K * share)``."""
        return -alpha * torch.log(self.K * self.share.clamp_min(1e-3))

    def state_dict(self) -> dict:
        return {"window": self.window.tolist(), "share": self.share.tolist()}

    def load_state_dict(self, d: dict) -> None:
        self.window = torch.tensor(d["window"])
        self.share = torch.tensor(d["share"])
