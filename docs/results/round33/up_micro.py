"""Session 33: x2 nearest up-sampling of channels_last tensors, forward + backward and forward
alone without autograd, one thread: the strided-view op of sessions 14-32 (`up_ab.old_upsample2`)
against `F.interpolate`, interleaved (median of 20 / 30 repetitions, ms).

usage: python up_micro.py
"""

import torch
import torch.nn.functional as F
from up_ab import old_upsample2

from econ_pyro.bench import timeit_interleaved


def interp(h):
    return F.interpolate(h, scale_factor=2.0, mode="nearest")


def one(B, C, H):
    h = torch.randn(B, C, H, H).contiguous(memory_format=torch.channels_last)
    g = torch.randn(B, C, 2 * H, 2 * H).contiguous(memory_format=torch.channels_last)
    leaf = h.clone().requires_grad_()

    def fwd_bwd(f):
        leaf.grad = None
        f(leaf).backward(g)
        return leaf.grad

    diff = (fwd_bwd(old_upsample2) - fwd_bwd(interp)).abs().max().item()
    t = timeit_interleaved({"old": lambda: fwd_bwd(old_upsample2),
                            "interp": lambda: fwd_bwd(interp)}, 20)
    with torch.no_grad():
        same = torch.equal(old_upsample2(h), interp(h))
        layout = interp(h).is_contiguous(memory_format=torch.channels_last)
        u = timeit_interleaved({"old": lambda: old_upsample2(h), "interp": lambda: interp(h)},
                               30)
    print(f"[{B}, {C}, {H}, {H}]  forward+backward: old {t['old'] * 1e3:.3f}  interpolate "
          f"{t['interp'] * 1e3:.3f} ms ({t['old'] / t['interp']:.1f}x; gradients differ by "
          f"{diff:.1e})  |  no autograd: old {u['old'] * 1e3:.3f}  interpolate "
          f"{u['interp'] * 1e3:.3f} ms ({u['old'] / u['interp']:.1f}x; equal {same}, "
          f"channels_last {layout})")


def main():
    torch.set_num_threads(1)
    for shape in [(32, 16, 16), (32, 16, 8), (9, 16, 16), (32, 64, 16), (32, 64, 8), (32, 64, 4)]:
        one(*shape)


if __name__ == "__main__":
    main()
