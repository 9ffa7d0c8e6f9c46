"""The optional completion loss (econ_pyro/infer/completion.py, train.completion_loss)."""

import math

import pytest
import torch
from pyro import poutine

from econ_pyro.config import ConfigError
from econ_pyro.infer.completion import OCCLUDER_SCALE, completion_loss, occlude
from econ_pyro.training import resolve_config, train

from .conftest import make_econ


def _regions(B=8, size=16):
    r = torch.zeros(B, 1, size, size)
    for b in range(B):
        r[b, :, b % 5: b % 5 + 7, 2 + b % 4: 10 + b % 4] = 1.0
    r[-1] = 0.0  # an empty region: the occluder lands anywhere
    return r


def test_occlude_paints_one_square_box_over_the_region():
    torch.manual_seed(0)
    x, r = torch.rand(8, 3, 16, 16), _regions()
    x_occ, r_occ = occlude(x, r, torch.Generator().manual_seed(3))
    box = (x_occ != x).any(1)  # [B, H, W]
    lo, hi = (s * 16 for s in OCCLUDER_SCALE)
    for b in range(8):
        ys, xs = box[b].nonzero(as_tuple=True)
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        assert box[b].sum() == h * w  # one axis-aligned rectangle ...
        # ... a square of the allowed side where the image border does not cut it
        assert min(h, w) <= math.ceil(hi) and max(h, w) >= math.floor(lo) - 1
        assert torch.equal(r_occ[b, 0], r[b, 0] * ~box[b])  # the region loses it
        colour = x_occ[b][:, box[b]]
        assert torch.allclose(colour, colour[:, :1].expand_as(colour))  # one colour
        if b < 7:
            assert (r[b, 0] * box[b]).sum() > 0  # centred on the region
    # seeded: the same generator seed gives the same occluders
    again = occlude(x, r, torch.Generator().manual_seed(3))
    assert torch.equal(again[0], x_occ) and torch.equal(again[1], r_occ)


def _hand_bernoulli_kl(q, p):
    p = p.clamp(1e-6, 1 - 1e-6)
    return (torch.xlogy(q, q) - q * p.log() + torch.xlogy(1 - q, 1 - q)
            - (1 - q) * (1 - p).log())


def test_completion_loss_by_hand_and_only_winners_learn(tiny_batch):
    """L_c equals a per-sample hand computation; with expert 0 winning every object step
    and expert 1 the background, only expert 0's encoder and decoder get gradients."""
    econ = make_econ(n_experts=3, n_steps=3)
    x = tiny_batch
    B = len(x)
    forced = {"k_3": torch.zeros(B, dtype=torch.long), "k_2": torch.zeros(B, dtype=torch.long),
              "k_1": torch.ones(B, dtype=torch.long)}
    trace = poutine.trace(poutine.condition(econ.guide, data=forced)).get_trace(x)
    econ.zero_grad(set_to_none=True)
    loss = completion_loss(econ, x, trace, torch.Generator().manual_seed(5))

    gen, scope, want = torch.Generator().manual_seed(5), torch.ones_like(x[:, :1]), 0.0
    with torch.no_grad():
        for t in (3, 2, 1):
            r = trace.nodes[f"r_{t}"]["value"].detach()
            if t > 1:
                x_occ, r_occ = occlude(x, r, gen)
                for b in range(B):
                    e = econ.experts.experts[int(forced[f"k_{t}"][b])]
                    _, shape = e.decode(e.encode(x_occ[b:b + 1], r_occ[b:b + 1])[0])
                    want += _hand_bernoulli_kl(r[b], scope[b] * shape[0]).sum() / B
            scope = (scope - r).clamp_min(0)
    assert loss.item() == pytest.approx(econ.config.gamma * float(want), rel=1e-5)

    loss.backward()
    experts = econ.experts.experts
    for name, p in experts[0].named_parameters():
        assert (p.grad is not None) == (not name.startswith("attention")), name
    for k in (1, 2):  # the background's winner and an expert that won nothing
        assert all(p.grad is None for p in experts[k].parameters()), k


def _smoke(**train_kw):
    cfg = resolve_config("smoke")
    cfg["train"].update(train_kw)
    return cfg


def _records(run):
    import json

    return [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
            if "loss" in r]


def test_completion_from_switches_it_on(tmp_path):
    """Before completion_from the run is the run without the loss (same logged losses);
    from it on the loss is logged and the training differs."""
    train(_smoke(max_steps=20), tmp_path / "off", log=lambda *_: None)
    train(_smoke(max_steps=20, completion_loss=1.0, completion_from=10), tmp_path / "on",
          log=lambda *_: None)
    off, on = _records(tmp_path / "off"), _records(tmp_path / "on")
    assert [r["step"] for r in on] == [5, 10, 15, 20]
    assert [r["loss"] for r in on[:2]] == [r["loss"] for r in off[:2]]
    assert "completion" not in on[0] and "completion" not in on[1]
    assert all(r["completion"] > 0 for r in on[2:])
    assert on[3]["loss"] != off[3]["loss"]


@pytest.mark.parametrize("key,value", [("completion_loss", -1.0), ("completion_loss", "x"),
                                       ("completion_from", -1), ("completion_from", 1.5)])
def test_bad_completion_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=key):
        validate(_smoke(**{key: value}))
