"""How well can any model complete occluded objects on these scenes?  (round 11)

For every occluded object of the held-out scenes (`econ-pyro evaluate`'s: seed 12345,
unique colours, 3 objects, 32 x 32) the set of shapes *consistent with what is visible*:
every shape of the object's true class (bounding-box side 0.35-0.5 of the image, centre
anywhere the box fits: the generator's prior; a grid of 0.25 px in centre and 0.2 px in
side, plus the true shape) whose visible part — the shape minus the objects in front of
it — is exactly the object's visible mask, pixel for pixel.  All of them explain the
image equally well.  Reported, over the occluded objects:

* expected: the mean amodal IoU with the truth of a shape drawn uniformly from that set
  (a model that knows the class and the exact shape family and guesses among the
  explanations);
* best estimate: the amodal IoU of the single member with the highest mean IoU to the
  whole set (the Bayes decision for IoU under a uniform prior; an upper bound for any
  method that sees pixels, even one told the class);
* modal copy: the visible mask itself (evaluate's baseline).

Run: python docs/results/round11/amodal_ceiling.py [N_SCENES]   (output: amodal_ceiling.txt)
"""

import sys
import time

import numpy as np
import torch

from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.shapes import CLASS_IDS, rasterise

SIZE, SEED = 32, 12345
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
MAX_SET = 400  # members used for the Bayes decision (a random subset of larger sets)


def templates(cid: int) -> tuple[torch.Tensor, np.ndarray]:
    """Masks ``[M, SIZE*SIZE]`` (float) of the grid of shapes of class ``cid``."""
    rows = []
    for side in np.arange(0.35 * SIZE, 0.5 * SIZE + 1e-6, 0.2):
        c = np.arange(side / 2, SIZE - side / 2 + 1e-6, 0.25)
        cx, cy = np.meshgrid(c, c)
        rows.append(np.stack([cx.ravel(), cy.ravel(), np.full(cx.size, side)], 1))
    p = np.concatenate(rows)
    m = rasterise(np.full(len(p), cid), p[:, 0], p[:, 1], p[:, 2], SIZE)
    return torch.from_numpy(m.reshape(len(p), -1).astype(np.float32)), p


def iou_rows(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every row of ``a`` with every row of ``b`` (0/1 floats)."""
    inter = a @ b.T
    return inter / (a.sum(1)[:, None] + b.sum(1)[None, :] - inter).clamp(min=1)


def main():
    t0 = time.time()
    torch.manual_seed(0)
    sc = generate_scenes(N, SceneConfig(kind="unique", image_size=SIZE), SEED)
    objs = {}  # class id -> (visible, scope, amodal) lists
    for n in range(N):
        for o in range(1, sc.visible.shape[1]):
            if sc.classes[n, o] < 1:
                continue
            vis, amo = sc.visible[n, o], sc.amodal[n, o]
            if not vis.any() or (vis == amo).all():
                continue  # absent or unoccluded
            front = sc.depth[n] > sc.depth[n, o]
            scope = ~sc.amodal[n][front].any(0)
            d = objs.setdefault(int(sc.classes[n, o]), ([], [], []))
            for lst, arr in zip(d, (vis, scope, amo), strict=True):
                lst.append(arr.ravel())
    out = {"expected": [], "best": [], "modal": [], "set_size": []}
    per_class = {}
    for cid, (vis, scope, amo) in sorted(objs.items()):
        A, _ = templates(cid)
        V, S, T = (torch.from_numpy(np.array(x, dtype=np.float32)) for x in (vis, scope, amo))
        nv = V.sum(1)
        AV, AS = A @ V.T, A @ S.T  # [M, n]
        consistent = (AV == nv) & (AS == nv)  # visible part of the shape == visible mask
        iou_t = iou_rows(A, T)  # [M, n]
        cls = {"expected": [], "best": [], "modal": []}
        for j in range(len(V)):
            idx = consistent[:, j].nonzero().squeeze(1)
            members = torch.cat([A[idx], T[j:j + 1]])  # the true shape is always consistent
            ious = torch.cat([iou_t[idx, j], torch.ones(1)])
            sub = torch.randperm(len(members))[:MAX_SET]
            pair = iou_rows(members[sub], members[sub]).mean(1)
            cls["expected"].append(float(ious.mean()))
            cls["best"].append(float(ious[sub][pair.argmax()]))
            inter = float((V[j] * T[j]).sum())
            cls["modal"].append(inter / float(T[j].sum()))
            out["set_size"].append(len(members))
        for k, v in cls.items():
            out[k] += v
        name = {i: s for s, i in CLASS_IDS.items()}[cid]
        per_class[name] = {k: float(np.mean(v)) for k, v in cls.items()} | {"n": len(vis)}
    lines = [f"{N} held-out scenes (seed {SEED}), {len(out['expected'])} occluded objects; "
             f"consistent shapes per object: median {int(np.median(out['set_size']))}, "
             f"max {max(out['set_size'])}",
             "| class | occluded objects | modal copy | expected (random consistent shape) "
             "| best estimate (Bayes, IoU) |", "|---|---|---|---|---|"]
    for name, d in per_class.items():
        lines.append(f"| {name} | {d['n']} | {d['modal']:.3f} | {d['expected']:.3f} | "
                     f"{d['best']:.3f} |")
    lines.append(f"| all | {len(out['expected'])} | {np.mean(out['modal']):.3f} | "
                 f"{np.mean(out['expected']):.3f} | {np.mean(out['best']):.3f} |")
    lines.append(f"({time.time() - t0:.0f} s)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
