"""Looking inside the Pyro program: trace tables, the competition step by step, latents as
arviz InferenceData, the graph."""

from __future__ import annotations

import numpy as np
import torch
from pyro.poutine.util import site_is_subsample

from .generate import competition_mode, decompose
from .infer import ECONELBO
from .infer.elbo import site_kl


def trace_table(econ, x: torch.Tensor, deterministic: bool = True) -> tuple[str, dict]:
    """Rows for every guide and model site, with each site's term in eq. 13, for image(s) x."""
    with torch.no_grad(), competition_mode(econ, "deterministic" if deterministic
                                           else "stochastic"):
        res = ECONELBO().compute(econ.model, econ.guide, x)
    gt, mt = res.guide_trace, res.model_trace
    lines = [f"{'trace':<6} {'site':<14} {'type':<13} {'shape':<16} {'mean':>9} {'min':>9} "
             f"{'max':>9} {'scale':>6} {'term':>11}"]
    for label, tr in (("guide", gt), ("model", mt)):
        for name, site in tr.nodes.items():
            if site["type"] != "sample" or site_is_subsample(site):
                continue
            v = site["value"].float()
            kind = "deterministic" if site["infer"].get("_deterministic") else \
                "observed" if site["is_observed"] else "latent"
            term = ""
            if label == "model" and kind != "deterministic" and not name.startswith("k_"):
                if name in gt.nodes:
                    t = site_kl(gt.nodes[name], site) * site["scale"]
                else:
                    t = -site["fn"].log_prob(site["value"]) * site["scale"]
                term = f"{t.mean().item():11.3f}"
            elif name.startswith("k_"):
                kind = "competition" if label == "guide" else "expert"
            if name.startswith("x_") and label == "model":
                kind = "factor (eq. 10)"
            stats = (f"{v.mean().item():9.3f} {v.min().item():9.3f} {v.max().item():9.3f}"
                     if v.numel() else f"{'-':>9} {'-':>9} {'-':>9}")
            lines.append(f"{label:<6} {name:<14} {kind:<13} {str(tuple(v.shape)):<16} {stats} "
                         f"{float(site['scale']):6.2f} {term}")
    T = len(res.L_x)
    lines.append("")
    lines.append("per generative step t (T = front):  t   winner   L_x        L_z        L_r")
    for t in range(T, 0, -1):
        lines.append(f"{'':36}{t:>2}   {res.winners[t - 1].tolist()!s:<8} "
                     f"{res.L_x[t - 1].item():<10.3f} {res.L_z[t - 1].item():<10.3f} "
                     f"{res.L_r[t - 1].item():<10.3f}")
    lines.append(f"loss (eq. 13, negated ELBO): {res.loss.item():.3f}")
    return "\n".join(lines), {"guide": gt, "model": mt}


def competition_table(econ, x: torch.Tensor, visible: torch.Tensor | None = None,
                      classes: torch.Tensor | None = None, deterministic: bool = True,
                      class_names: dict | None = None) -> tuple[str, dict]:
    """What every expert proposed at every inference step (t = T..1) of images ``x``
    ``[N,3,H,W]``, and who won: per step and expert the wins, the mean attended area (pixels),
    the mean score (lower wins) and its mean excess over the winner's score, averaged over the
    scenes in which the expert was allowed.  With ground truth -- ``visible`` ``[N,J,H,W]``
    (visible mask of each layer) and ``classes`` ``[N,J]`` (its class, 0 = background) -- also
    each expert's mean share of its proposal on the background and, per step, the class that
    most of the winner's region covers (counted over the scenes): where a run takes its
    background, and which expert explains which class there.  Returns the text and
    ``{"steps": [{"t", "wins", "area", "score", "excess", "on_background",
    "winner_class"}, ...]}`` (lists over experts; the last two None without ground truth).
    """
    if (visible is None) != (classes is None):
        raise ValueError("pass both visible and classes (ground truth), or neither")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        dec = decompose(econ, x, deterministic=deterministic, proposals=True)
    K, T = dec["scores"].shape[2], dec["scores"].shape[1]
    n = torch.arange(len(x))
    mass = None
    if visible is not None:  # [N, C, H, W]: visible pixels of each class
        n_classes = int(classes.max()) + 1
        onehot = torch.nn.functional.one_hot(classes.long(), n_classes).float()  # [N, J, C]
        mass = torch.einsum("njhw,njc->nchw", visible.float(), onehot)
    names = class_names or {}
    lines = [f"competition on {len(x)} scenes ({'deterministic' if deterministic else 'stochastic'}"
             "; area in pixels, score: lower wins, excess: score minus the winner's)"]
    steps = []
    for i in range(T):
        t, k = T - i, dec["experts"][:, i]
        scores, regions = dec["scores"][:, i], dec["proposal_regions"][:, i]  # [N,K], [N,K,H,W]
        allowed = torch.isfinite(scores)
        wins = torch.bincount(k, minlength=K)
        area = regions.flatten(2).sum(-1)  # [N, K]
        excess = scores - scores[n, k][:, None]
        row = {"t": t, "wins": wins.tolist(), "area": _mean_allowed(area, allowed),
               "score": _mean_allowed(scores, allowed), "excess": _mean_allowed(excess, allowed),
               "on_background": None, "winner_class": None}
        if mass is not None:
            per_class = torch.einsum("nkhw,nchw->nkc", regions, mass)  # [N, K, C]
            row["on_background"] = _mean_allowed(per_class[..., 0] / area.clamp_min(1e-6),
                                                 allowed)
            top = per_class[n, k].argmax(-1)  # the class most of the winner's region covers
            row["winner_class"] = torch.bincount(top, minlength=mass.shape[1]).tolist()
        steps.append(row)
        head = f"t={t}: winners {row['wins']}"
        if row["winner_class"] is not None:
            head += "; the winner's region mostly " + ", ".join(
                f"{names.get(c, f'class {c}')} {v}" for c, v in enumerate(row["winner_class"])
                if v)
        lines.append(head)
        for e in range(K):
            if not allowed[:, e].any():
                lines.append(f"   expert {e}: not allowed at this step")
                continue
            bg = "" if row["on_background"] is None else \
                f"  on background {row['on_background'][e]:.2f}"
            lines.append(f"   expert {e}: wins {row['wins'][e]:4d}  area {row['area'][e]:7.1f}"
                         f"{bg}  score {row['score'][e]:10.1f}  excess {row['excess'][e]:9.1f}")
    return "\n".join(lines), {"steps": steps}


def _mean_allowed(v: torch.Tensor, allowed: torch.Tensor) -> list[float]:
    """Per expert, the mean of ``v`` ``[N, K]`` over the scenes where it was allowed."""
    v = torch.where(allowed, v, torch.zeros_like(v))
    return (v.sum(0) / allowed.sum(0).clamp_min(1)).tolist()


def latents(econ, x: torch.Tensor):
    """arviz InferenceData of the guide's latents for images x (one "draw" per image).

    posterior: ``z_loc``/``z_scale`` [step, latent] and ``expert`` [step] per image,
    steps in inference order (front first); sample_stats: per-step L_x/L_z/L_r.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # arviz 0.x announces its 1.0 refactor
        import arviz as az

    T = econ.config.n_steps
    loc, scale, experts, terms = [], [], [], {"L_x": [], "L_z": [], "L_r": []}
    with torch.no_grad(), competition_mode(econ, "deterministic"):
        for i in range(0, len(x), 64):
            res = ECONELBO().compute(econ.model, econ.guide, x[i:i + 64])
            gt, mt = res.guide_trace, res.model_trace
            steps = range(T, 0, -1)
            loc.append(torch.stack([gt.nodes[f"z_{t}"]["fn"].base_dist.loc for t in steps], 1))
            scale.append(torch.stack([gt.nodes[f"z_{t}"]["fn"].base_dist.scale for t in steps],
                                     1))
            experts.append(torch.stack([gt.nodes[f"k_{t}"]["value"] for t in steps], 1))
            terms["L_x"].append(torch.stack([-mt.nodes[f"x_{t}"]["fn"].log_prob(
                mt.nodes[f"x_{t}"]["value"]) for t in steps], 1))
            for key, site in (("L_z", "z"), ("L_r", "r")):
                terms[key].append(torch.stack([site_kl(gt.nodes[f"{site}_{t}"],
                                                       mt.nodes[f"{site}_{t}"])
                                               for t in steps], 1))

    def arr(v):
        return torch.cat(v).cpu().numpy()[None]  # chain dim

    dims = {"z_loc": ["step", "latent"], "z_scale": ["step", "latent"], "expert": ["step"],
            "L_x": ["step"], "L_z": ["step"], "L_r": ["step"]}
    coords = {"step": np.arange(T, 0, -1), "latent": np.arange(econ.config.latent_dim)}
    return az.from_dict(posterior={"z_loc": arr(loc), "z_scale": arr(scale),
                                   "expert": arr(experts)},
                        sample_stats={k: arr(v) for k, v in terms.items()},
                        coords=coords, dims=dims)


def plot_expert_latents(idata, econ, path) -> None:
    """Scatter of posterior means z per expert (first two latent dims), one panel per expert."""
    from .viz import pyplot

    plt = pyplot()

    z = idata.posterior["z_loc"].values[0]  # [N, T, L]
    k = idata.posterior["expert"].values[0]  # [N, T]
    K = econ.config.n_experts
    fig, axes = plt.subplots(1, K, figsize=(3 * K, 3), squeeze=False)
    for e in range(K):
        ax = axes[0, e]
        sel = z[k == e]
        if len(sel):
            ax.scatter(sel[:, 0], sel[:, 1] if sel.shape[1] > 1 else np.zeros(len(sel)), s=4)
        ax.set_title(f"expert {e} ({len(sel)} wins)")
        ax.set_xlabel("z[0]")
    axes[0, 0].set_ylabel("z[1]")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def render_graph(econ, path) -> None:
    """``pyro.render_model`` of the generative model (needs the graphviz extra and `dot`)."""
    import pyro

    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise RuntimeError("rendering the model graph needs graphviz: "
                           "pip install 'econ-pyro[graphviz]' and the `dot` program "
                           "(apt-get install graphviz)") from None
    x = torch.zeros(1, 3, econ.config.image_size, econ.config.image_size)
    g = pyro.render_model(econ.model, model_args=(x,), render_distributions=True)
    fmt = str(path).rsplit(".", 1)[-1]
    g.format = fmt
    g.render(str(path).rsplit(".", 1)[0], cleanup=True)
