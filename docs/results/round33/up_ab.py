"""Session 33 (issue #8): the U-Net's x2 up-sampling of channels_last tensors as the library's
``F.interpolate`` (new) against session 14's strided-view expand + reshape (old), paired in
one process with round 14's ``ops_ab.paired`` (each repetition times both back to back).

usage: python up_ab.py NETS REPS [THREADS]     (NETS: cpu | paper)
       python up_ab.py equiv N        (round 14's ops_equiv.py: N training steps of two copies
                                       of one seeded model, old vs new, relative loss difference)
"""

import sys
from pathlib import Path

import torch

import econ_pyro.nets.attention as attention
import econ_pyro.nets.ops as ops

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "round14"))
import ops_equiv  # noqa: E402
from ops_ab import paired  # noqa: E402

NEW_UP = ops.upsample2


def old_upsample2(h):  # sessions 14-32: strided views for channels_last, with autograd too
    if ops._channels_last(h):
        B, C, H, W = h.shape
        hwc = h.permute(0, 2, 3, 1)
        return hwc[:, :, None, :, None].expand(B, H, 2, W, 2, C) \
            .reshape(B, 2 * H, 2 * W, C).permute(0, 3, 1, 2)
    return NEW_UP(h)


def use(new: bool):
    attention.upsample2 = NEW_UP if new else old_upsample2


if __name__ == "__main__" and sys.argv[1] == "equiv":
    ops_equiv.main(int(sys.argv[2]), use)
elif __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else torch.get_num_threads())
    paired(sys.argv[1], int(sys.argv[2]), use)
