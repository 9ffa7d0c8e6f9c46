"""Prototype: at evaluation, cut each expert's attended region to its largest connected part
(pixels with r > THR, 8-connected, grown by one pixel so the soft rim stays), so that an
expert attending two separate same-coloured objects takes one of them and leaves the other
in the scope for a later step.  Out-of-distribution scenes (4-5 objects, classes repeat,
6 steps) and the training distribution, N scenes each (seed 12345).

OMP_NUM_THREADS=1 python ood_components.py cpu-unique 200"""
import importlib.util
import pathlib
import sys

import numpy as np
import torch
from scipy import ndimage

from econ_pyro.nets import experts as ex

# round 13's harness: evaluate with Expert.attend patched, out of and in distribution
_path = pathlib.Path(__file__).parent.parent / "round13" / "ood_shape_region.py"
_spec = importlib.util.spec_from_file_location("ood_shape_region", _path)
round13 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(round13)

REAL = ex.Expert.attend
EIGHT = np.ones((3, 3), bool)


def largest_part(r: torch.Tensor, thr: float, grow: int) -> torch.Tensor:
    """r [B, 1, H, W] -> r kept only on the connected part of {r > thr} with the most mass."""
    a = r.detach().squeeze(1).cpu().numpy()
    keep = np.zeros_like(a, dtype=bool)
    for i in range(a.shape[0]):
        lab, n = ndimage.label(a[i] > thr, structure=EIGHT)
        if n <= 1:
            keep[i] = True
            continue
        mass = ndimage.sum(a[i], lab, index=np.arange(1, n + 1))
        part = lab == 1 + int(np.argmax(mass))
        if grow:
            part = ndimage.binary_dilation(part, structure=EIGHT, iterations=grow)
        keep[i] = part
    return r * torch.from_numpy(keep).to(r).unsqueeze(1)


def component_cut(thr: float = 0.5, grow: int = 1):
    def attend(self, x, scope):
        return largest_part(REAL(self, x, scope), thr, grow)
    return attend


if __name__ == "__main__":
    round13.compare(sys.argv[1], int(sys.argv[2]),
                    [("as is", REAL), ("part .5g1", component_cut(0.5, 1)),
                     ("part .5g0", component_cut(0.5, 0)), ("part .2g1", component_cut(0.2, 1))])
