"""Round 16: which prior over each expert's u gives decoded shapes of the expert's class?
Posteriors of 2000 training-distribution scenes (seed 4242; deterministic competition);
per object expert 2000 samples of each scheme, nearest-template class accuracy of the
decoded shape (m~ > 0.5), its mean area and the fraction under 40 pixels.
usage: python prior_fit.py MODEL "{class: expert}" """
import sys

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

import econ_pyro
from econ_pyro.data import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes
from econ_pyro.latents import winning_posteriors
from econ_pyro.metrics import classify_shapes

torch.set_num_threads(1)
assign = eval(sys.argv[2])  # class -> expert
econ = econ_pyro.load(sys.argv[1], fitted_prior=False)
sc = generate_scenes(2000, SceneConfig(kind=econ.run_config["data"]["kind"],
                                       image_size=econ.config.image_size, min_objects=3,
                                       max_objects=3), seed=4242)
torch.manual_seed(0)  # the competition's draws (the first run of this script was unseeded)
posteriors = winning_posteriors(econ, scenes_to_tensors(sc)["image"])  # of u, per expert
g = torch.Generator().manual_seed(0)
N = 2000
for c, k in sorted(assign.items()):
    if c == 0:
        continue
    mu, v = posteriors[k][0].double(), posteriors[k][1].double()
    ex = econ.experts.experts[k]
    L = mu.shape[1]
    mean, cov = mu.mean(0), torch.cov(mu.T) + torch.diag(v.mean(0))
    eps = torch.randn(N, L, generator=g, dtype=torch.double)
    schemes = {
        "diag(shipped)": ex.latent_loc.double() + ex.latent_scale.double() * eps,
        "diag t0.8": ex.latent_loc.double() + 0.8 * ex.latent_scale.double() * eps,
        "diag t0.6": ex.latent_loc.double() + 0.6 * ex.latent_scale.double() * eps,
        "fullcov": mean + eps @ torch.linalg.cholesky(cov).T,
        "fullcov t0.8": mean + 0.8 * eps @ torch.linalg.cholesky(cov).T,
    }
    idx = torch.randint(len(mu), (N,), generator=g)
    schemes["agg posterior"] = mu[idx] + v[idx].sqrt() * eps
    schemes["agg post means"] = mu[idx]
    for nc in (5, 10):
        gm = GaussianMixture(nc, covariance_type="full", random_state=0).fit(mu.numpy())
        s, _ = gm.sample(N)
        schemes[f"gmm{nc}"] = torch.as_tensor(s) + v.mean(0).sqrt() * eps
    print(f"class {c} expert {k}: wins {len(mu)}, L {L}")
    for nm, u in schemes.items():
        with torch.no_grad():
            _, m = ex.decoder(u.float())
        m = (m[:, 0] > 0.5).numpy()
        pred = classify_shapes(m, [1, 2, 3])
        area = m.sum((1, 2))
        print(f"  {nm:16s} acc {np.mean(pred == c):.3f}  area mean {area.mean():6.1f}  "
              f"<40px {np.mean(area < 40):.3f}")
