"""How much do the training competition's mistakes cost the shapes?  (round 12)

One expert's VAE outside ECON, with ECON's own nets (the CPU preset's encoder and decoder,
3 x 16, L = 3) and ECON's own step loss (`econ_pyro.layers`: L_x with sigma_x = 0.1, gamma
L_r with gamma = 0.5, beta KL with beta = 1), trained on the objects of real generated
unique-colour scenes with their ground-truth visible masks as regions r~.  The scope of an
object is what the objects in front of it leave (a correct front-to-back order), so its
hidden pixels cost nothing, as in ECON.  Conditions (what the stochastic competition does,
round 9's `training_winners.py`):

* `specialist`  : one class only, correct order (the ideal expert);
* `order p`     : with probability p an object is explained *before* its occluders: its
                  scope is the whole image, so L_r asks for m~ = 0 where it is hidden;
* `class q`     : with probability q the expert trains on an object of another class;
* `one VAE`     : one VAE for all three classes (as K = 1).

Evaluation: 1000 held-out scenes (seed 12345, as `econ-pyro evaluate`); each object of the
class is encoded from (image, visible mask), its posterior mean decoded, m~ > 0.5 compared
with the amodal mask: IoU of unoccluded and of occluded objects (as the evaluation's
`amodal_iou_occluded`).  Adam lr 1e-3, batch 32 objects, one thread.

* `aux a`       : also a completion loss: the object decoded from an artificially occluded
                  view (a random box of an object's size over its region, in a random
                  colour) is charged a * gamma * L_r of its original region.

Run: python docs/results/round12/scene_vae.py [STEPS] > scene_vae.txt
     python docs/results/round12/scene_vae.py [STEPS] aux > scene_vae_aux.txt
"""

import sys
import time

import numpy as np
import torch

from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.layers import appearance_nll, region_kl
from econ_pyro.nets.vae import BroadcastDecoder, Encoder

torch.set_num_threads(1)
SIGMA_X, GAMMA, BETA, B = 0.1, 0.5, 1.0, 32
CFG = SceneConfig(kind="unique")
NAMES = {1: "circle", 2: "square", 3: "triangle"}


def objects(scenes, classes, rng, order_noise=0.0, class_noise=0.0):
    """One object per scene of a class in ``classes`` (another with prob. class_noise):
    image, region (visible mask), scope (1 - objects in front; 1 with prob. order_noise),
    amodal mask, occluded flag."""
    n, o = scenes.classes.shape[0], scenes.classes.shape[1] - 1
    pick = np.empty(n, dtype=int)
    for i in range(n):
        own = [j for j in range(1, o + 1) if scenes.classes[i, j] in classes]
        other = [j for j in range(1, o + 1) if scenes.classes[i, j] > 0 and j not in own]
        pool = other if (other and rng.random() < class_noise) else own
        pick[i] = pool[rng.integers(len(pool))]
    idx = np.arange(n)
    amodal = scenes.amodal[:, 1:]
    front = np.stack([amodal[i, pick[i]:].any(0) for i in range(n)])  # slots in front
    scope = ~front
    scope[rng.random(n) < order_noise] = True
    vis, am = scenes.visible[idx, pick], scenes.amodal[idx, pick]
    f = lambda a: torch.from_numpy(np.ascontiguousarray(a)).float()[:, None]  # noqa: E731
    x = torch.from_numpy(scenes.images).float().permute(0, 3, 1, 2) / 255
    return x, f(vis), f(scope), f(am), torch.from_numpy((am & ~vis).any((1, 2)))


def iou(pred, true):
    inter, union = (pred & true).sum((1, 2, 3)), (pred | true).sum((1, 2, 3))
    return inter.float() / union.clamp_min(1).float()


def occlude(x, r, gen):
    """An artificial occluder per object: a box of side 11-16 px (an object's size) centred
    on a random pixel of the region, painted in a random colour; the region loses it."""
    n, _, h, w = x.shape
    centre = torch.multinomial(r.flatten(1) + 1e-9, 1, generator=gen)[:, 0]
    cy, cx = (centre // w).float(), (centre % w).float()
    half = (torch.rand(n, generator=gen) * 5 + 11) / 2
    yy = torch.arange(h).float()[None, :, None]
    xx = torch.arange(w).float()[None, None, :]
    box = (((yy - cy[:, None, None]).abs() < half[:, None, None])
           & ((xx - cx[:, None, None]).abs() < half[:, None, None])).float()[:, None]
    colour = torch.rand(n, 3, 1, 1, generator=gen)
    return x * (1 - box) + box * colour, r * (1 - box)


def run(name, classes, steps, order_noise=0.0, class_noise=0.0, seed=0, test=None, aux=0.0):
    """aux > 0: also decode each object from an artificially occluded view (``occlude``)
    and charge aux * gamma * L_r of the *original* region for it (a completion loss)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    enc, dec = Encoder(32, 3, 3, 16), BroadcastDecoder(32, 3, 3, 16)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], 1e-3)
    t0 = time.time()
    for step in range(1, steps + 1):
        x, r, s, _, _ = objects(generate_scenes(B, CFG, seed=(seed, step)), classes, rng,
                                order_noise, class_noise)
        mu, logvar = enc(x, r)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        app, shape = dec(z)
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)
        loss = appearance_nll(x, r, app, SIGMA_X) + GAMMA * region_kl(r, s, shape) + BETA * kl
        if aux:
            xo, ro = occlude(x, r, gen)
            _, shape_o = dec(enc(xo, ro)[0])
            loss = loss + aux * GAMMA * region_kl(r, s, shape_o)
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
        if step in (steps // 3, 2 * steps // 3, steps):
            with torch.no_grad():
                parts = []
                for c in classes:
                    xt, rt, _, at, occ = test[c]
                    _, m = dec(enc(xt, rt)[0])
                    v = iou(m > 0.5, at > 0.5)
                    parts.append(f"{NAMES[c]} {v[~occ].mean():.3f}/{v[occ].mean():.3f}")
            print(f"{name:26s} step {step:5d}  IoU unoccluded/occluded  " + "  ".join(parts)
                  + f"  ({time.time() - t0:.0f} s)", flush=True)


def main(steps, which="noise"):
    held = generate_scenes(1000, CFG, seed=12345)
    rng = np.random.default_rng(0)
    test = {}
    for c in NAMES:
        x, r, s, a, occ = objects(held, (c,), rng)
        test[c] = (x, r, s, a, occ)
        print(f"held-out {NAMES[c]}: {len(occ)} objects, {int(occ.sum())} occluded", flush=True)
    if which == "noise":
        for c in NAMES:
            run(f"specialist {NAMES[c]}", (c,), steps, test=test)
            run(f"order 0.2 {NAMES[c]}", (c,), steps, order_noise=0.2, test=test)
            run(f"class 0.15 {NAMES[c]}", (c,), steps, class_noise=0.15, test=test)
        run("one VAE, all classes", tuple(NAMES), steps, test=test)
    else:  # the completion loss, ideal and with round 9's order noise at tau 300 (0.4)
        for c in (3, 1):
            run(f"aux 1 {NAMES[c]}", (c,), steps, test=test, aux=1.0)
            run(f"aux 1 order 0.4 {NAMES[c]}", (c,), steps, order_noise=0.4, test=test,
                aux=1.0)
            run(f"order 0.4 {NAMES[c]}", (c,), steps, order_noise=0.4, test=test)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500,
         sys.argv[2] if len(sys.argv) > 2 else "noise")
