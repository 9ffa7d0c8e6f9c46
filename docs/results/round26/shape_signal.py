"""Round 26: how much does the competition score say about an object's shape class?

Every object expert of a trained model is given the same region — the front object's true
mask (it is unoccluded, so visible = amodal) — at the first inference step (scope 1), and
scored as in the competition (``econ_pyro.competition.compete`` with a fixed region).  The
question: does the expert that explains that class in the model's own decompositions score
best?  If not even with a perfect shared region, the competition cannot sort objects by shape
and specialisation has to come from elsewhere (in unique colours: the attention, by colour).

For each score form (the paper's lam L_x + L_r, L_r only) it prints the share of scenes in
which the class's expert scores best ("class wins", chance 1/3), and the median score gap
between the best other expert and the class's expert (positive: the class's expert is
better).  The class's expert is read from the model's class x expert table on scenes of the
``--owners`` kind (default unique colours: the unique-colour experts' classes; its own
decompositions, argmax per class, the background expert left out).

usage: OMP_NUM_THREADS=1 python shape_signal.py MODEL [MODEL ...] [--kinds unique random]
"""
from __future__ import annotations

import argparse

import torch

from econ_pyro import decompose, load
from econ_pyro.competition import compete
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes


def class_experts(econ, t: dict, n_classes: int = 3) -> list[int]:
    """Per class, the expert whose winning regions cover most of that class's visible pixels
    in the model's own (deterministic) decompositions."""
    dec = decompose(econ, t["image"])
    regions, experts = dec["regions"], dec["experts"]  # [B, T, 1, H, W] or [B, T, H, W], [B, T]
    regions = regions.reshape(*experts.shape, -1)
    K = len(econ.experts)
    table = torch.zeros(n_classes, K)
    for c in range(1, n_classes + 1):
        vis = (t["visible"] * (t["classes"] == c)[:, :, None, None]).sum(1).flatten(1)  # [B, P]
        cover = torch.einsum("btp,bp->bt", regions, vis)  # class-c pixels per step
        table[c - 1].index_add_(0, experts.flatten(), cover.flatten())
    if econ.config.background_expert is not None:
        table[:, econ.config.background_expert] = -1.0  # never a class's expert
    return table.argmax(1).tolist()


@torch.no_grad()
def front_scores(econ, x: torch.Tensor, front: torch.Tensor, form: str, seed: int):
    """Scores ``[K, n]`` (+inf: not allowed) of every expert given the region ``front``
    ``[n, H, W]`` at the first inference step (scope 1), with the score form ``form``."""
    n, size, T = len(x), econ.config.image_size, econ.config.n_steps
    gt = torch.zeros(n, T, size, size)
    gt[:, T - 1] = front
    saved, econ.competition.score_form = econ.competition.score_form, form
    try:
        torch.manual_seed(seed)
        return compete(econ, x, torch.ones(n, 1, size, size), T, gt_regions=gt).scores
    finally:
        econ.competition.score_form = saved


@torch.no_grad()
def signal(econ, kind: str, n: int, seed: int, owners: str) -> dict:
    size = econ.config.image_size

    def scenes(k):
        return scenes_to_tensors(generate_scenes(n, SceneConfig(kind=k, image_size=size),
                                                 seed=seed))
    t = scenes(kind)
    owner = class_experts(econ, scenes(owners))
    front = t["amodal"][:, -1]  # slot O = the front object (slots are back to front)
    want = torch.tensor(owner)[t["classes"][:, -1] - 1]  # [n] the class's expert
    out = {"kind": kind, "class_experts": owner}
    for form in ("paper", "region"):
        s = front_scores(econ, t["image"], front, form, seed)
        own = s.gather(0, want[None]).squeeze(0)
        others = s.scatter(0, want[None], float("inf")).min(0).values
        out[form] = {"class_wins": round((own < others).float().mean().item(), 3),
                     "median_gap": round((others - own).median().item(), 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--kinds", nargs="+", default=["unique", "random"])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--owners", default="unique", help="scene kind the class experts are read on")
    args = ap.parse_args()
    for m in args.models:
        econ = load(m)
        econ.eval()
        for kind in args.kinds:
            print(m, signal(econ, kind, args.n, args.seed, args.owners), flush=True)


if __name__ == "__main__":
    main()
