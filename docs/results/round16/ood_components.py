"""Prototype: cut each expert's attended region to its largest connected component (of r > 0.5,
dilated by one pixel to keep the soft edge), so that an expert attending two same-coloured
objects proposes one.  OOD scenes (4-5 objects, classes repeat, 6 steps) and in-distribution,
N scenes each (seed 12345)."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from econ_pyro.nets import experts as ex

# round 13's comparison loop (the same scenes, metrics and printout), imported by path
_R13 = Path(__file__).resolve().parents[1] / "round13" / "ood_shape_region.py"
_spec = importlib.util.spec_from_file_location("ood_shape_region", _R13)
_r13 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_r13)
compare = _r13.compare

REAL = ex.Expert.attend


def largest_component(r, dilate=1):
    rn = r.detach().cpu().numpy()[:, 0]
    keep = np.zeros_like(rn)
    for b in range(len(rn)):
        lab, n = ndimage.label(rn[b] > 0.5)
        if n <= 1:
            keep[b] = 1.0
            continue
        mass = ndimage.sum(rn[b], lab, index=np.arange(1, n + 1))
        m = lab == (1 + int(np.argmax(mass)))
        if dilate:
            m = ndimage.binary_dilation(m, iterations=dilate)
            # do not grow into another component
            m &= ~((lab > 0) & ~(lab == (1 + int(np.argmax(mass)))))
        keep[b] = m
    return r * torch.as_tensor(keep, dtype=r.dtype, device=r.device)[:, None]


def attend(self, x, scope):
    return largest_component(REAL(self, x, scope))


if __name__ == "__main__":
    compare(sys.argv[1], int(sys.argv[2]), [("as is", REAL), ("largest", attend)])
