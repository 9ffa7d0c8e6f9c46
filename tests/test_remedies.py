"""Issue #7: temperature schedules, load-balancing bias and dead-expert remedies."""

import pytest
import torch

from econ_pyro import ECONConfig
from econ_pyro.competition import Competition
from econ_pyro.config import ConfigError
from econ_pyro.training import WinShares, resolve_config, revive_expert, temperature_at, train
from econ_pyro.training import trainer as trainer_mod

from .conftest import make_econ, scripted_validation

MC = ECONConfig(temperature=7.0)


def _tr(**kw):
    return {"temperature_start": 1000.0, "temperature_end": 10.0, "anneal_steps": 100,
            "temperature_schedule": "geometric", "temperature_floor": None, **kw}


def test_geometric_schedule_values():
    tr = _tr()
    assert temperature_at(tr, MC, 0) == pytest.approx(1000.0)
    assert temperature_at(tr, MC, 50) == pytest.approx(100.0)  # sqrt(1000 * 10)
    assert temperature_at(tr, MC, 100) == pytest.approx(10.0)
    assert temperature_at(tr, MC, 10_000) == pytest.approx(10.0)


def test_linear_constant_floor_and_restart():
    assert temperature_at(_tr(temperature_schedule="linear"), MC, 50) == pytest.approx(505.0)
    assert temperature_at(_tr(temperature_schedule="linear"), MC, 25) == pytest.approx(752.5)
    assert temperature_at(_tr(temperature_schedule="constant"), MC, 90) == pytest.approx(1000.0)
    floored = _tr(temperature_floor=50.0)
    assert temperature_at(floored, MC, 25) == pytest.approx(1000.0 * 0.01 ** 0.25)
    assert temperature_at(floored, MC, 100) == pytest.approx(50.0)
    # a restart at step 300 begins the anneal again
    assert temperature_at(_tr(), MC, 300, anneal_from=300) == pytest.approx(1000.0)
    assert temperature_at(_tr(), MC, 350, anneal_from=300) == pytest.approx(100.0)
    # no schedule: the model's own temperature
    assert temperature_at(_tr(temperature_start=None), MC, 50) == 7.0


def test_preset_schedule_reaches_its_end():
    cfg = resolve_config("cpu-unique")
    tr, mc = cfg["train"], ECONConfig.from_dict(cfg["model"])
    assert temperature_at(tr, mc, 0) == pytest.approx(tr["temperature_start"])
    end = max(tr["temperature_end"], tr["temperature_floor"] or 0)
    assert temperature_at(tr, mc, 10 * tr["anneal_steps"]) == pytest.approx(end)


def test_tiny_temperature_is_argmax():
    torch.manual_seed(0)
    scores = torch.randn(2000, 4) * 3
    k = Competition(mode="stochastic", temperature=1e-6).distribution(scores).sample()
    assert torch.equal(k, scores.argmin(-1))


def test_bias_shifts_frequencies_as_softmax():
    torch.manual_seed(1)
    scores = torch.tensor([[10.0, 11.0, 12.5, 30.0]])
    bias = torch.tensor([-2.0, 0.0, 1.0, 15.0])
    comp = Competition(temperature=2.0, bias=bias)
    n = 40000
    freq = torch.bincount(comp.distribution(scores.expand(n, 4)).sample(), minlength=4) / n
    p = torch.softmax(-scores[0] / 2.0 + bias, 0)
    tol = 4 * torch.sqrt(p * (1 - p) / n) + 1e-4
    assert (freq - p).abs().le(tol).all(), (freq, p)
    # deterministic mode takes the argmax of the biased logits
    det = Competition(mode="deterministic", temperature=2.0, bias=bias)
    assert det.distribution(scores).sample().item() == 3


def test_balance_bias_favours_rare_winners():
    ws = WinShares(4, decay=0.5)
    for _ in range(5):
        ws.update(torch.tensor([90, 8, 2, 0]))
    b = ws.bias(1.0)
    assert b[0] < b[1] < b[2] < b[3]
    assert torch.isfinite(b).all()
    assert torch.equal(WinShares(4).bias(1.0), torch.zeros(4))  # uniform shares: no bias


def test_starving_detection_and_window_reset():
    ws = WinShares(3)
    ws.update(torch.tensor([50, 49, 1]))
    assert ws.starving(0.02) == (2, 0)
    assert ws.window.sum() == 0  # the window restarts
    ws.update(torch.tensor([30, 30, 40]))
    assert ws.starving(0.02) is None


def _param_copies(econ):
    return [[p.detach().clone() for p in e.parameters()] for e in econ.experts.experts]


@pytest.mark.parametrize("source", [None, 0])
def test_revive_touches_only_the_dead_expert(tiny_batch, source):
    econ = make_econ()
    opt = torch.optim.Adam(econ.parameters(), lr=1e-2)
    for _ in range(2):  # every expert gets Adam state
        opt.zero_grad()
        sum(p.sum() for p in econ.parameters()).backward()  # moves every weight
        opt.step()
    before = _param_copies(econ)
    rng = torch.get_rng_state()
    revive_expert(econ, opt, dead=2, source=source, noise=0.05, seed=3)
    assert torch.equal(torch.get_rng_state(), rng)  # global stream untouched
    after = _param_copies(econ)
    for k in (0, 1):
        assert all(torch.equal(a, b) for a, b in zip(before[k], after[k], strict=True))
        assert all(p in opt.state for p in econ.experts.experts[k].parameters())
    assert not any(torch.equal(a, b) for a, b in zip(before[2], after[2], strict=True))
    assert not any(p in opt.state for p in econ.experts.experts[2].parameters())
    if source is not None:  # a close copy of the source expert
        for a, s in zip(after[2], before[0], strict=True):
            assert (a - s).abs().max() <= 0.05 * s.abs().mean() * 6 + 1e-6
    # seeded: the same call gives the same weights
    econ2 = make_econ()
    revive_expert(econ2, torch.optim.Adam(econ2.parameters()), dead=2, source=source,
                  noise=0.05, seed=3)
    if source is None:
        assert all(torch.equal(a, b) for a, b in
                   zip(after[2], econ2.experts.experts[2].parameters(), strict=True))


def _smoke(**train_kw):
    cfg = resolve_config("smoke")
    cfg["train"].update(train_kw)
    return cfg


def _step_records(run) -> list[dict]:
    """The training-step records (with "loss") of a run's metrics.jsonl."""
    import json

    return [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
            if "loss" in r]


def _losses(run) -> list[tuple]:
    return [(r["step"], r["loss"]) for r in _step_records(run)]


def _spy_competition(monkeypatch, attr: str) -> tuple[list, list]:
    """Record ``econ.competition.<attr>`` at every evaluation and every training step."""
    at_eval, at_step = [], []
    real_eval, real_step = trainer_mod.evaluate, trainer_mod.Trainer._step

    def spy(econ, *a, **kw):
        at_eval.append(getattr(econ.competition, attr))
        return real_eval(econ, *a, **kw)

    def step_spy(self, x, kw):
        at_step.append(getattr(self.econ.competition, attr))
        return real_step(self, x, kw)
    monkeypatch.setattr(trainer_mod, "evaluate", spy)
    monkeypatch.setattr(trainer_mod.Trainer, "_step", step_spy)
    return at_eval, at_step


def _expert_three_never_wins(monkeypatch) -> None:
    """Training as usual, but the winners the trainer sees never include expert 3."""
    real = trainer_mod.ECONELBO.compute

    def compute(self, *a, **kw):
        res = real(self, *a, **kw)
        res.winners = res.winners.clamp(max=2)
        return res
    monkeypatch.setattr(trainer_mod.ECONELBO, "compute", compute)


def test_split_revival_in_training_on_a_forced_dead_expert(tmp_path, monkeypatch):
    _expert_three_never_wins(monkeypatch)
    logs = []
    cfg = _smoke(max_steps=10, revive="split", revive_window=5, temperature_restart=True,
                 temperature_start=100.0, anneal_steps=10, balance=0.5)
    state = train(cfg, tmp_path / "r", log=logs.append)
    assert [r["expert"] for r in state["revivals"]] == [3, 3]
    assert all(r["source"] in (0, 1, 2) for r in state["revivals"])
    assert state["anneal_from"] == 10
    assert sum("re-initialised it (split of expert" in line for line in logs) == 2
    ckpt = torch.load(tmp_path / "r" / "last.pt", weights_only=True)
    assert ckpt["state"]["revivals"] == state["revivals"]
    assert len(ckpt["shares"]["share"]) == 4


@pytest.mark.parametrize("key,value", [("temperature_schedule", "cosine"), ("revive", "magic"),
                                       ("temperature_floor", -1.0), ("balance", -0.1),
                                       ("balance_start", -5), ("balance_start", 1.5)])
def test_bad_remedy_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=key.split("_")[0]):
        validate(_smoke(**{key: value}))


def test_curriculum_serves_fewer_objects_first():
    from econ_pyro.training.trainer import _Data

    cfg = _smoke()
    cfg["data"]["curriculum"] = {"steps": 3, "min_objects": 1, "max_objects": 1}
    data = _Data(cfg, 16, batch_size=8, seed=0, val_size=4)
    n_objects = [(data.batch(s)["classes"][:, 1:] >= 0).sum(1) for s in range(5)]
    assert all(n.eq(1).all() for n in n_objects[:3])
    assert all(n.eq(3).all() for n in n_objects[3:])
    assert (data.val["classes"][:, 1:] >= 0).sum(1).eq(3).all()  # validation unchanged


@pytest.mark.parametrize("cur", [{"steps": 5}, {"steps": 5, "min_objects": 0, "max_objects": 2},
                                 {"steps": 5, "min_objects": 1, "max_objects": 9}])
def test_bad_curriculum(cur):
    from econ_pyro.training.config import validate

    cfg = _smoke()
    cfg["data"]["curriculum"] = cur
    with pytest.raises(ConfigError, match="curriculum"):
        validate(cfg)


def test_colour_curriculum_blends_towards_random_colours():
    """data.colour_curriculum {steps: 4}: batch s has the class colours at weight 1 - s/4
    (batch 0: the unique colours), from step 4 on the random kind's own batches; the
    validation scenes are random colours throughout."""
    from econ_pyro.data.generator import UNIQUE_COLOURS
    from econ_pyro.data.shapes import CLASS_IDS
    from econ_pyro.training.trainer import _Data

    cfg = _smoke()
    cfg["data"].update(kind="random", colour_curriculum={"steps": 4})
    data = _Data(cfg, 16, batch_size=8, seed=0, val_size=4)
    plain = {**cfg, "data": {**cfg["data"], "colour_curriculum": None}}
    ref = _Data(plain, 16, batch_size=8, seed=0, val_size=4)
    assert [data.class_colour(s) for s in (0, 1, 2, 4, 9)] == [1.0, 0.75, 0.5, 0.0, 0.0]
    b0 = data.batch(0)
    for name, rgb in UNIQUE_COLOURS.items():  # step 0: every object in its class colour
        sel = b0["classes"] == CLASS_IDS[name]
        px = b0["image"].permute(0, 2, 3, 1)[(b0["visible"] * sel[:, :, None, None]).sum(1) > 0]
        assert torch.equal(px, torch.tensor(rgb).float().div(255).expand_as(px))
    for s in (1, 2):  # blended: different from the random batch, same shapes
        assert not torch.equal(data.batch(s)["image"], ref.batch(s)["image"])
        assert torch.equal(data.batch(s)["visible"], ref.batch(s)["visible"])
    for s in (4, 5):
        assert torch.equal(data.batch(s)["image"], ref.batch(s)["image"])
    assert torch.equal(data.val["image"], ref.val["image"])


@pytest.mark.parametrize("kind,cur", [("random", {"steps": 0}), ("random", {"steps": 2.5}),
                                      ("random", {"steps": 5, "start": 0}),
                                      ("random", {"steps": 5, "start": 1.5}),
                                      ("random", {"steps": 5, "end": 0}),
                                      ("random", 5), ("unique", {"steps": 5})])
def test_bad_colour_curriculum(kind, cur):
    from econ_pyro.training.config import validate

    cfg = _smoke()
    cfg["data"].update(kind=kind, colour_curriculum=cur)
    with pytest.raises(ConfigError, match="colour_curriculum"):
        validate(cfg)


def test_repeat_classes_draws_classes_iid():
    """data.repeat_classes: training and validation scenes may hold a class twice (with
    unique colours, in the same colour); without it every class appears at most once."""
    from econ_pyro.data.generator import UNIQUE_COLOURS
    from econ_pyro.data.shapes import CLASS_IDS
    from econ_pyro.training.trainer import _Data

    def repeats(classes):  # scenes in which some class appears more than once
        obj = classes[:, 1:]
        return sum(len(set(c.tolist()) - {-1}) < int((c >= 0).sum()) for c in obj)

    cfg = _smoke()
    once = _Data(cfg, 16, batch_size=64, seed=0, val_size=64)
    assert repeats(once.batch(0)["classes"]) == 0 and repeats(once.val["classes"]) == 0
    cfg["data"]["repeat_classes"] = True
    rep = _Data(cfg, 16, batch_size=64, seed=0, val_size=64)
    b = rep.batch(0)
    # 3 classes drawn i.i.d. for 3 objects repeat in 1 - 6/27 = 78 % of the scenes
    assert 0.6 < repeats(b["classes"]) / 64 < 0.95 and repeats(rep.val["classes"]) > 30
    assert (b["classes"][:, 1:] >= 0).sum(1).eq(3).all()
    for name, rgb in UNIQUE_COLOURS.items():  # still the class's unique colour
        sel = b["classes"] == CLASS_IDS[name]
        px = b["image"].permute(0, 2, 3, 1)[(b["visible"] * sel[:, :, None, None]).sum(1) > 0]
        assert torch.equal(px, torch.tensor(rgb).float().div(255).expand_as(px))


@pytest.mark.parametrize("data", [{"repeat_classes": 1}, {"repeat_classes": True,
                                                          "path": "some/folder"}])
def test_bad_repeat_classes(data):
    from econ_pyro.training.config import validate

    cfg = _smoke()
    cfg["data"].update(data)
    with pytest.raises(ConfigError, match="repeat_classes"):
        validate(cfg)


def test_balance_fades_linearly():
    from econ_pyro.training.remedies import balance_at

    tr = {"balance": 2.0, "balance_anneal_steps": 100}
    assert [balance_at(tr, s) for s in (0, 50, 100, 500)] == [2.0, 1.0, 0.0, 0.0]
    assert balance_at({"balance": 2.0, "balance_anneal_steps": None}, 10_000) == 2.0
    assert balance_at({"balance": 0.0}, 0) == 0.0
    late = {"balance": 2.0, "balance_start": 1000, "balance_anneal_steps": 100}
    assert [balance_at(late, s) for s in (0, 999, 1000, 1050, 1100, 5000)] == \
        [0.0, 0.0, 2.0, 1.0, 0.0, 0.0]
    assert balance_at({"balance": 2.0, "balance_start": 10}, 10 ** 6) == 2.0


def test_dashboard_competes_without_the_training_bias(tmp_path, monkeypatch):
    seen, biases = _spy_competition(monkeypatch, "bias")
    train(_smoke(max_steps=10, balance=1.0, balance_anneal_steps=8), tmp_path / "r",
          log=lambda *_: None)
    assert seen and all(b is None for b in seen)
    assert biases[0] is not None and biases[-1] is None  # faded out by step 8


def test_late_background_reservation(tmp_path):
    """At step S the expert winning the fewest object steps on the validation scenes
    becomes the background expert (only it explains t = 1, it explains nothing else),
    the lr is switched, and the run resumes exactly after the reservation."""
    import json

    from econ_pyro.generate import decompose
    from econ_pyro.training import load, train

    kw = dict(reserve_background_at=8, reserve_background_lr=2e-4)
    state = train(_smoke(max_steps=16, **kw), tmp_path / "a", log=lambda *_: None)
    res = state["reserved_background"]
    b, counts, last = res["expert"], res["object_step_wins"], res["last_step_wins"]
    # fewest object-step wins; among equals the one that won most last steps
    assert res["step"] == 8 and b == min(range(4), key=lambda k: (counts[k], -last[k], k))
    assert sum(counts) == 8 * 3  # 8 validation scenes x (T - 1) object steps
    cfg = json.loads((tmp_path / "a" / "config.json").read_text())
    assert cfg["model"]["background_expert"] == b
    lrs = {r["step"]: r["lr"] for r in _step_records(tmp_path / "a")}
    assert lrs[5] == pytest.approx(5e-4) and lrs[10] == pytest.approx(2e-4)
    econ = load(tmp_path / "a")
    x = torch.rand(6, 3, 16, 16)
    experts = decompose(econ, x, deterministic=False)["experts"]
    assert (experts[:, -1] == b).all() and (experts[:, :-1] != b).all()
    # interrupted after the reservation and resumed: the same run
    train(_smoke(max_steps=10, **kw), tmp_path / "b", log=lambda *_: None)
    from click.testing import CliRunner

    from econ_pyro.cli.main import cli

    out = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "b"), "--max-steps", "16"])
    assert out.exit_code == 0, out.output

    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


@pytest.mark.parametrize("fresh", [True, False])
def test_reservation_starts_the_lr_schedule_afresh(tmp_path, monkeypatch, fresh):
    """Validation losses from before the reservation are not the bar after it: with
    reserve_background_fresh_schedule the lr is not divided for failing to beat them."""
    scripted_validation(monkeypatch, [1.0, 1.0, 5.0, 4.9, 4.8, 4.7])  # steps 2, 4 | 6, ..., 12
    state = train(_smoke(max_steps=12, eval_every=2, patience=2, dashboard=False,
                         reserve_background_at=6, reserve_background_fresh_schedule=fresh),
                  tmp_path / "r", log=lambda *_: None)
    assert state["reserved_background"]["step"] == 6
    # fresh: 5.0 is the first loss of the new phase and each later one improves on it;
    # otherwise 5.0 and 4.8 are the 2nd bad evaluations after 1.0 -> lr divided twice
    assert state["lr_decreases"] == (0 if fresh else 2)
    assert state["best_val"] == (4.7 if fresh else 1.0)


def test_frozen_attention_keeps_its_weights_while_the_vaes_learn(tmp_path):
    """From freeze_attention_at on the attention nets stay exactly as they were (no
    gradient, no Adam momentum), the encoders/decoders keep training, and a run
    resumed past that step freezes them again."""
    from click.testing import CliRunner

    from econ_pyro.cli.main import cli
    from econ_pyro.training import load

    log = []
    train(_smoke(max_steps=3), tmp_path / "a", log=lambda *_: None)
    train(_smoke(max_steps=7, freeze_attention_at=3), tmp_path / "b", log=log.append)
    assert any("attention nets frozen" in str(line) for line in log)
    a, b = load(tmp_path / "a").state_dict(), load(tmp_path / "b").state_dict()
    att = [k for k in a if ".attention." in k]
    vae = [k for k in a if ".encoder." in k or ".decoder." in k]
    assert att and vae
    assert all(torch.equal(a[k], b[k]) for k in att)
    assert sum(not torch.equal(a[k], b[k]) for k in vae) > len(vae) // 2
    # stopped after the freeze and resumed: the same run
    train(_smoke(max_steps=5, freeze_attention_at=3), tmp_path / "c", log=lambda *_: None)
    out = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "c"), "--max-steps", "7"])
    assert out.exit_code == 0, out.output
    assert _losses(tmp_path / "b") == _losses(tmp_path / "c")
    c = load(tmp_path / "c").state_dict()
    assert all(torch.equal(a[k], c[k]) for k in att)


@pytest.mark.parametrize("value", [0, 2.5, True])
def test_bad_freeze_attention_at(value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match="freeze_attention_at"):
        validate(_smoke(freeze_attention_at=value))


def test_deterministic_from_switches_the_training_competition(tmp_path, monkeypatch):
    """Training steps before deterministic_from compete stochastically, those from it on
    deterministically (the argmax), and a run resumed past the switch competes as the
    uninterrupted one did (same losses)."""
    from click.testing import CliRunner

    from econ_pyro.cli.main import cli

    _, at_step = _spy_competition(monkeypatch, "mode")
    log = []
    train(_smoke(max_steps=8, deterministic_from=5), tmp_path / "a", log=log.append)
    assert at_step == ["stochastic"] * 5 + ["deterministic"] * 3
    assert sum("competition is deterministic" in str(line) for line in log) == 1
    at_step.clear()
    train(_smoke(max_steps=6, deterministic_from=5), tmp_path / "b", log=lambda *_: None)
    out = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "b"), "--max-steps", "8"])
    assert out.exit_code == 0, out.output
    assert at_step == ["stochastic"] * 5 + ["deterministic"] * 3
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


def test_finishing_preset_is_cpu_unique_then_a_deterministic_phase(tmp_path, monkeypatch):
    """cpu-unique-finish = cpu-unique plus, from one step on, the deterministic competition,
    a set lr and a fresh plateau schedule; the same keys scaled down to the smoke preset
    switch the mode and the lr at that step."""
    from econ_pyro.training.config import validate

    base, fin = resolve_config("cpu-unique"), resolve_config("cpu-unique-finish")
    validate(fin)
    assert fin["model"] == base["model"] and fin["data"] == base["data"]
    phase = {"deterministic_from", "deterministic_patience", "lr_at", "max_steps", "max_time",
             "max_lr_decreases", "restart_unreserved_at"}
    assert base["train"]["restart_merged_at"] == 1000 and \
        fin["train"]["restart_unreserved_at"] == 3000 < fin["train"]["deterministic_from"]
    assert {k for k in fin["train"] if fin["train"][k] != base["train"][k]} == phase
    at = fin["train"]["deterministic_from"]
    assert fin["train"]["lr_at"] == [[at, 3e-4]] and fin["train"]["max_steps"] == at + 2400
    _, modes = _spy_competition(monkeypatch, "mode")
    small = {k: fin["train"][k] for k in ("deterministic_patience", "max_lr_decreases")}
    train(_smoke(max_steps=8, log_every=1, deterministic_from=5, lr_at=[[5, 3e-4]], **small),
          tmp_path / "r", log=lambda *_: None)
    assert modes == ["stochastic"] * 5 + ["deterministic"] * 3
    lrs = {r["step"]: r["lr"] for r in _step_records(tmp_path / "r")}  # after step s - 1
    assert lrs[5] != pytest.approx(3e-4) and lrs[6] == pytest.approx(3e-4)


def test_deterministic_steps_train_the_best_scoring_expert(tmp_path, monkeypatch):
    """In a deterministic training step every scene's winner is the expert with the lowest
    competition score (the scores the guide records at its k sites)."""
    real = trainer_mod.ECONELBO.compute
    checked = []

    def compute(self, model, guide, *a, **kw):
        res = real(self, model, guide, *a, **kw)
        if model.__self__.competition.mode == "deterministic":
            for name, site in res.guide_trace.nodes.items():
                if site.get("infer", {}).get("is_competition"):
                    scores = site["infer"]["scores"]
                    allowed = torch.isfinite(scores).sum(-1) > 1
                    best = scores.argmin(-1)
                    assert torch.equal(site["value"][allowed], best[allowed]), name
                    checked.append(int(allowed.sum()))
        return res
    monkeypatch.setattr(trainer_mod.ECONELBO, "compute", compute)
    train(_smoke(max_steps=4, deterministic_from=2), tmp_path / "a", log=lambda *_: None)
    assert sum(checked) > 0


@pytest.mark.parametrize("value", [-1, 2.5, True])
def test_bad_deterministic_from(value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match="deterministic_from"):
        validate(_smoke(deterministic_from=value))


def test_runs_from_before_the_fresh_schedule_resume_without_it():
    from econ_pyro.training.config import complete_config

    old = resolve_config("cpu-unique")
    del old["train"]["reserve_background_fresh_schedule"]
    assert complete_config(old)["train"]["reserve_background_fresh_schedule"] is False
    assert resolve_config("cpu-unique")["train"]["reserve_background_fresh_schedule"] is True


def test_runs_from_before_the_min_region_default_resume_without_it():
    """The preset bars small proposals after the reservation (round 9); a cpu-unique run
    whose config predates the key resumes with it off, as it was trained."""
    from econ_pyro.training.config import complete_config

    assert resolve_config("cpu-unique")["train"]["reserve_background_min_region"] == 10
    old = resolve_config("cpu-unique")
    del old["train"]["reserve_background_min_region"]
    assert complete_config(old)["train"]["reserve_background_min_region"] is None


@pytest.mark.parametrize("key,value", [("reserve_background_at", 0),
                                       ("reserve_background_at", 2.5),
                                       ("reserve_background_lr", -1.0)])
def test_bad_reservation_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=key):
        validate(_smoke(**{key: value}))


def test_reservation_needs_two_experts():
    with pytest.raises(ConfigError, match="at least 2 experts"):
        resolve_config("monet-k1", sets=["train.reserve_background_at=5"])


def test_exclusive_competition_masks_earlier_winners():
    scores = torch.tensor([[1.0, 2.0, 3.0], [1.0, float("inf"), 3.0]])
    taken = torch.tensor([[True, False, False], [True, False, True]])
    c = Competition(mode="deterministic", temperature=1.0)
    assert c.distribution(scores, taken).sample().tolist() == [0, 0]  # not exclusive: ignored
    c.exclusive = True
    # scene 0: expert 0 already won -> the best of the others; scene 1: every allowed
    # expert has won (expert 1 is not allowed) -> no exclusion rather than no winner
    assert c.distribution(scores, taken).sample().tolist() == [1, 0]
    stochastic = Competition(temperature=1e6, exclusive=True)
    k = stochastic.distribution(scores[:1].expand(4000, 3),
                                taken[:1].expand(4000, 3)).sample()
    assert (k != 0).all() and 0.45 < (k == 1).float().mean() < 0.55


@pytest.mark.parametrize("deterministic", [True, False])
def test_exclusive_guide_and_decompose_use_each_expert_once(tiny_batch, deterministic):
    """A bias makes expert 0 win every step; exclusive, each scene's winners are distinct
    (K = T: a permutation), in the guide's trace and in decompose alike."""
    from pyro import poutine

    from econ_pyro.generate import competition_mode, decompose

    econ = make_econ()
    econ.competition.bias = torch.tensor([1e9, 0.0, 0.0])
    mode = "deterministic" if deterministic else "stochastic"

    def guide_winners():
        with competition_mode(econ, mode):
            tr = poutine.trace(econ.guide).get_trace(tiny_batch)
        return torch.stack([tr.nodes[f"k_{t}"]["value"] for t in range(3, 0, -1)], 1)

    assert (guide_winners() == 0).all()
    assert (decompose(econ, tiny_batch, deterministic=deterministic)["experts"] == 0).all()
    econ.competition.exclusive = True
    for winners in (guide_winners(),
                    decompose(econ, tiny_batch, deterministic=deterministic)["experts"]):
        assert (winners[:, 0] == 0).all()
        assert (winners.sort(1).values == torch.arange(3)).all()


def test_exclusive_until_in_training_only(tmp_path, monkeypatch):
    """Exclusive before step N (every expert wins exactly one step per scene when K = T),
    free afterwards; validation and the dashboard never compete exclusively."""
    seen, flags = _spy_competition(monkeypatch, "exclusive")
    train(_smoke(max_steps=10, exclusive_until=5, log_every=5, eval_every=5), tmp_path / "r",
          log=lambda *_: None)
    assert flags == [True] * 5 + [False] * 5
    assert seen == [False, False]
    # [T, K] winner counts over the first 5 steps of 8 scenes
    wins = torch.tensor(_step_records(tmp_path / "r")[0]["winners"])
    assert (wins.sum(0) == 5 * 8).all()


@pytest.mark.parametrize("value", [-1, 2.5, True])
def test_bad_exclusive_until(value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match="exclusive_until"):
        validate(_smoke(exclusive_until=value))


def test_init_from_copies_weights_and_the_reserved_background(tmp_path):
    """train.init_from starts from another run's weights (fresh optimiser, step 0) and
    keeps its reserved background expert; a resumed run does not re-initialise."""
    import json

    from econ_pyro.training import load

    train(_smoke(max_steps=4, reserve_background_at=2), tmp_path / "src", log=lambda *_: None)
    src = load(tmp_path / "src")
    logs = []
    cfg = _smoke(max_steps=0, init_from=str(tmp_path / "src"))
    state = train(cfg, tmp_path / "dst", log=logs.append)
    dst = load(tmp_path / "dst")
    assert state["step"] == 0
    for (name, a), b in zip(src.state_dict().items(), dst.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    b = src.config.background_expert
    assert b is not None and dst.config.background_expert == b
    assert json.loads((tmp_path / "dst" / "config.json").read_text())["model"][
        "background_expert"] == b
    assert any(line.startswith(f"initialised from {tmp_path / 'src'}") for line in logs)
    # resumed after 2 steps: the same losses as straight through
    straight = _smoke(max_steps=4, log_every=1, init_from=str(tmp_path / "src"))
    train(straight, tmp_path / "straight", log=lambda *_: None)
    part = _smoke(max_steps=2, log_every=1, init_from=str(tmp_path / "src"))
    train(part, tmp_path / "part", log=lambda *_: None)
    part = json.loads((tmp_path / "part" / "config.json").read_text())
    part["train"]["max_steps"] = 4
    train(part, tmp_path / "part", resume=True, log=lambda *_: None)
    assert _losses(tmp_path / "part") == _losses(tmp_path / "straight")
    # a fresh, differently seeded model really differs (the copy is not a coincidence)
    other = _smoke(max_steps=0, seed=5)
    train(other, tmp_path / "fresh", log=lambda *_: None)
    assert not torch.equal(next(iter(load(tmp_path / "fresh").state_dict().values())),
                           next(iter(src.state_dict().values())))


def test_init_from_mismatched_networks_is_a_clear_error(tmp_path):
    train(_smoke(max_steps=2), tmp_path / "src", log=lambda *_: None)
    cfg = _smoke(max_steps=2, init_from=str(tmp_path / "src"))
    cfg["model"]["latent_dim"] = 3
    with pytest.raises(ConfigError, match="other networks than this model"):
        train(cfg, tmp_path / "dst", log=lambda *_: None)
    with pytest.raises(ConfigError, match="neither a run folder"):
        train(_smoke(max_steps=2, init_from="no-such-model"), tmp_path / "x",
              log=lambda *_: None)


def test_win_window_restarts_every_window_without_remedies(tmp_path):
    """Without a remedy the revival window still restarts every revive_window steps, so a
    remedy switched on at a resume judges the last window, not the whole history."""
    train(_smoke(max_steps=7, revive_window=5), tmp_path / "r", log=lambda *_: None)
    ckpt = torch.load(tmp_path / "r" / "last.pt", weights_only=True)
    # steps 6 and 7 only: 2 steps x 8 scenes x 4 inference steps
    assert sum(ckpt["shares"]["window"]) == 2 * 8 * 4


def test_reservation_copy_starts_from_the_last_step_expert(tmp_path):
    """reserve_background_copy: the reserved expert becomes an exact copy of the expert
    that won most last steps on the validation scenes (recorded); no other expert changes."""
    from econ_pyro.training import load

    kw = dict(reserve_background_at=6, max_steps=6)
    plain = train(_smoke(**kw), tmp_path / "plain", log=lambda *_: None)
    logs = []
    state = train(_smoke(reserve_background_copy=True, **kw), tmp_path / "copy",
                  log=logs.append)
    res = state["reserved_background"]
    b, last = res["expert"], res["last_step_wins"]
    source = max(range(4), key=lambda k: (last[k], -k))
    assert sum(last) == 8 and res == {**plain["reserved_background"], "copied_from":
                                      source if source != b else None}
    experts = load(tmp_path / "copy").experts.experts
    before = load(tmp_path / "plain").experts.experts
    if source != b:
        assert any(f"as a copy of expert {source}" in line for line in logs)
        for p, q in zip(experts[b].parameters(), experts[source].parameters(), strict=True):
            assert torch.equal(p, q)
    for k in range(4):
        if k != b:
            for p, q in zip(experts[k].parameters(), before[k].parameters(), strict=True):
                assert torch.equal(p, q)


def test_bad_reservation_copy():
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match="reserve_background_copy"):
        validate(_smoke(reserve_background_copy="yes"))


def test_lr_at_sets_the_lr_at_the_listed_steps(tmp_path):

    logs = []
    train(_smoke(max_steps=12, log_every=1, lr_at=[[4, 2e-4], [9, 1e-4]]), tmp_path / "r",
          log=logs.append)
    lrs = {r["step"]: r["lr"] for r in _step_records(tmp_path / "r")}  # after step s - 1
    assert lrs[4] == pytest.approx(5e-4) and lrs[5] == pytest.approx(2e-4)
    assert lrs[9] == pytest.approx(2e-4) and lrs[10] == pytest.approx(1e-4)
    assert sum("(train.lr_at)" in line for line in logs) == 2


@pytest.mark.parametrize("value", [[[5]], [[-1, 1e-3]], [[5, 0]], [[5.5, 1e-3]], "1e-3"])
def test_bad_lr_at(value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match="lr_at"):
        validate(_smoke(lr_at=value))


def test_reservation_check_on_hand_made_decompositions():
    """The spare expert has the fewest object-step wins (ties: most last-step wins); the
    background-last guard counts scenes whose last region is the largest."""
    from econ_pyro.training.remedies import reservation_check

    # 3 scenes, T = 3 (index 2 = last step t = 1), K = 4
    experts = torch.tensor([[0, 1, 3], [1, 0, 2], [0, 1, 3]])
    regions = torch.zeros(3, 3, 4, 4)
    regions[0, 2] = 1  # scene 0: last region largest (16 pixels)
    regions[0, 0, :2] = 1
    regions[1, 0] = 1  # scene 1: the first region is largest
    regions[1, 2, :1] = 1
    regions[2, 1, :3] = 1  # scene 2: the middle one (12 vs 8)
    regions[2, 2, :2] = 1
    c = reservation_check(experts, regions, 4)
    # experts 2 and 3 both won no object step; 3 won two last steps, 2 one
    assert c["spare"] == 3 and c["spare_share"] == 0.0 and c["source"] == 3
    assert c["object_step_wins"] == [3, 3, 0, 0] and c["last_step_wins"] == [0, 0, 1, 2]
    assert c["last_largest"] == pytest.approx(1 / 3)
    # the largest regions: scene 0 at the last step (expert 3), scene 1 at the first step
    # (expert 1), scene 2 at the middle one (expert 1) -> expert 1 takes it in 2 of 3
    assert c["taker"] == 1 and c["taker_share"] == pytest.approx(2 / 3)
    experts[1, 2] = 3  # now expert 3 also wins once at an object step -> 2 is spare
    experts[0, 0] = 3
    c = reservation_check(experts, regions, 4)
    assert c["spare"] == 2 and c["object_step_wins"] == [2, 3, 0, 1]
    experts[2, 1] = 3  # expert 3 takes the largest region in scenes 0 and 2
    c = reservation_check(experts, regions, 4)
    assert c["taker"] == 3 and c["taker_share"] == pytest.approx(2 / 3)
    experts[2, 1] = 0  # one each for experts 0, 1 and 3: the lowest index
    assert reservation_check(experts, regions, 4)["taker"] == 0


def _records(run, key: str) -> list[dict]:
    """The ``key`` records of a run's metrics.jsonl (e.g. "reservation_check"), with step."""
    import json

    return [{**r[key], "step": r["step"]} for r in
            map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if key in r]


def test_guarded_reservation_waits_for_its_check(tmp_path):
    """With a guard the reservation is tried at evaluation steps only, from
    reserve_background_at on, and happens at the first check that passes; a guard that
    cannot pass never reserves.  From the reservation on the competition runs at
    reserve_background_temperature."""
    kw = dict(max_steps=24, eval_every=10, log_every=2, reserve_background_at=5,
              temperature_start=100.0, reserve_background_temperature=7.0)
    logs = []
    state = train(_smoke(reserve_background_spare_below=1.0, **kw), tmp_path / "a",
                  log=logs.append)
    assert state["reserved_background"]["step"] == 10  # the first eval step >= 5
    checks = _records(tmp_path / "a", "reservation_check")
    assert [c["step"] for c in checks] == [10] and checks[0]["passed"]
    assert checks[0]["spare"] == state["reserved_background"]["expert"]
    taus = {r["step"]: r["temperature"] for r in _step_records(tmp_path / "a")}
    assert taus[10] > 50 and taus[12] == 7.0 and taus[24] == 7.0
    # a guard that cannot pass: checks at 10 and 20, each logged, no reservation
    logs = []
    state = train(_smoke(reserve_background_last_largest=1.0,
                         reserve_background_spare_below=1e-9, **kw),
                  tmp_path / "b", log=logs.append)
    assert "reserved_background" not in state
    checks = _records(tmp_path / "b", "reservation_check")
    assert [c["step"] for c in checks] == [10, 20] and not any(c["passed"] for c in checks)
    assert sum("background reservation waits" in line for line in logs) == 2
    assert all(r["temperature"] > 50 for r in _step_records(tmp_path / "b"))
    # ... and its checks did not change the run (they use their own random numbers)
    train(_smoke(**{**kw, "reserve_background_at": None}), tmp_path / "c",
          log=lambda *_: None)
    assert _losses(tmp_path / "b") == _losses(tmp_path / "c")


def test_revival_after_reservation_only(tmp_path, monkeypatch):
    """revive_after_reservation: no revival before the background expert is reserved."""
    _expert_three_never_wins(monkeypatch)
    cfg = _smoke(max_steps=16, revive="noise", revive_window=4, revive_below=0.99,
                 reserve_background_at=9, revive_after_reservation=True)
    state = train(cfg, tmp_path / "r", log=lambda *_: None)
    assert state["reserved_background"]["step"] == 9
    assert [r["step"] for r in state["revivals"]] == [12, 16]


def test_exclusive_competition_after_the_reservation(tmp_path):
    """reserve_background_exclusive: from the reservation on every object expert wins
    exactly one object step of each training scene (3 object experts, 3 object steps)."""
    train(_smoke(max_steps=12, log_every=2, reserve_background_at=6,
                 reserve_background_exclusive=True), tmp_path / "r", log=lambda *_: None)
    recs = {r["step"]: torch.tensor(r["winners"]) for r in _step_records(tmp_path / "r")}
    b = torch.load(tmp_path / "r" / "last.pt", weights_only=True)["state"][
        "reserved_background"]["expert"]
    n = 8 * 2  # batch 8 x 2 steps per record
    for step in (8, 10, 12):
        w = recs[step]  # [T, K], row t - 1 = step t (row 0: the last step t = 1)
        per_expert = w[1:].sum(0)
        assert per_expert[b] == 0 and w[0, b] == n
        assert all(per_expert[k] == n for k in range(4) if k != b)
    # before it the same expert may win several steps of a scene
    assert any(int(recs[s][1:].sum(0).max()) > n for s in (2, 4, 6))


@pytest.mark.parametrize("key,value", [("reserve_background_last_largest", 0.0),
                                       ("reserve_background_last_largest", 1.5),
                                       ("reserve_background_spare_below", "half"),
                                       ("reserve_background_merged_below", 0),
                                       ("reserve_background_temperature", 0),
                                       ("revive_after_reservation", "yes"),
                                       ("reserve_background_exclusive", 1)])
def test_bad_guard_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=key):
        validate(_smoke(reserve_background_at=5, **{key: value}))


@pytest.mark.parametrize("key,value", [("revive_after_reservation", True),
                                       ("reserve_background_exclusive", True),
                                       ("reserve_background_min_region", 10)])
def test_after_reservation_options_need_a_reservation(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=f"{key} needs train.reserve_background_at"):
        validate(_smoke(revive="split", **{key: value}))


def test_reservation_sets_min_region(tmp_path, monkeypatch):
    """reserve_background_min_region: 0 before the reservation, P from it on, kept in the
    run's config and checkpoint (a loaded model competes with it)."""
    from econ_pyro.training import load
    from econ_pyro.training.config import validate

    _, at_step = _spy_competition(monkeypatch, "min_region")
    train(_smoke(max_steps=12, reserve_background_at=6, reserve_background_min_region=7),
          tmp_path / "r", log=lambda *_: None)
    assert at_step == [0.0] * 6 + [7.0] * 6  # steps 0-5, then 6-11
    import json

    assert json.loads((tmp_path / "r" / "config.json").read_text())["model"]["min_region"] == 7.0
    assert load(tmp_path / "r").competition.min_region == 7.0
    with pytest.raises(ConfigError, match="reserve_background_min_region"):
        validate(_smoke(reserve_background_at=5, reserve_background_min_region=-1))


def test_merge_check_on_hand_made_decompositions():
    """multi: share of scenes in which an expert wins >= 2 object steps (t > 1); the
    target is neither the merged expert nor the background's (most last steps) and has
    the fewest object-step wins (ties: fewest last-step wins)."""
    from econ_pyro.training.remedies import merge_check

    # 4 scenes, T = 4 (index 3 = last step t = 1), K = 4
    experts = torch.tensor([[3, 3, 0, 1],
                            [3, 0, 3, 1],
                            [0, 3, 3, 2],
                            [3, 0, 2, 1]])
    c = merge_check(experts, 4)
    assert c["multi"] == [0.0, 0.0, 0.0, 0.75]  # expert 3: twice in scenes 0, 1, 2
    assert c["merged"] == 3 and c["merged_share"] == 0.75
    assert c["object_step_wins"] == [4, 0, 1, 7] and c["last_step_wins"] == [0, 3, 1, 0]
    assert c["target"] == 2  # not 3 (merged), not 1 (background's); 2 has 1 win, 0 has 4
    objects = experts[:, :3]
    objects[objects == 0] = 3  # expert 0 loses its object steps to 3: now it is the target
    c = merge_check(experts, 4)
    assert c["object_step_wins"] == [0, 0, 1, 11] and c["target"] == 0
    assert c["multi"] == [0.0, 0.0, 0.0, 1.0]
    # 0 and 2 tie at no object-step win: the one with fewer last-step wins (0) is the target
    tie = torch.tensor([[3, 3, 3, 1], [3, 3, 3, 2], [3, 3, 3, 1]])
    c = merge_check(tie, 4)
    assert c["merged_share"] == 1.0 and c["last_step_wins"] == [0, 2, 1, 0]
    assert c["target"] == 0
    assert merge_check(torch.tensor([[0, 0, 1]]), 2)["target"] is None  # K = 2


def _force_merge_check(monkeypatch, **fields) -> None:
    """The trainer's merge_check reports ``fields`` (e.g. merged_share=1.0) over the real
    check's result."""
    from econ_pyro.training import remedies

    real = remedies.merge_check
    monkeypatch.setattr(trainer_mod, "merge_check", lambda e, k: {**real(e, k), **fields})


def test_split_of_a_merged_expert_in_training(tmp_path, monkeypatch):
    """At evaluation steps from split_merged_from on, a merged expert (forced here) is
    copied into the target expert -- exactly, with revive_noise 0 -- whose Adam state
    restarts; the other experts are those of the same run without the split; the next
    check waits split_merged_every steps; checks stop at the background reservation."""
    _force_merge_check(monkeypatch, merged=1, merged_share=1.0, target=2)
    kw = dict(max_steps=20, eval_every=5, log_every=5, revive_noise=0.0)
    logs = []
    state = train(_smoke(split_merged_from=20, **kw), tmp_path / "a", log=logs.append)
    assert [(s["step"], s["merged"], s["expert"]) for s in state["splits"]] == [(20, 1, 2)]
    assert [r["step"] for r in _records(tmp_path / "a", "split_check")] == [20]
    assert sum("is now a copy of it" in line for line in logs) == 1
    ckpt = torch.load(tmp_path / "a" / "last.pt", weights_only=False)
    experts = ckpt["model"]
    own = {k: v for k, v in experts.items() if ".experts.2." in k}
    assert own and all(torch.equal(v, experts[k.replace(".experts.2.", ".experts.1.")])
                       for k, v in own.items())  # revive_noise 0: an exact copy
    econ = trainer_mod.Trainer(_smoke(**kw), tmp_path / "x", log=lambda *_: None).econ
    names = [n for n, _ in econ.named_parameters()]
    moments = {names[i] for i in ckpt["optimizer"]["state"]}
    assert not any(".experts.2." in n for n in moments)
    assert any(".experts.1." in n for n in moments)
    # the same run without the split: every other weight is identical
    train(_smoke(**kw), tmp_path / "b", log=lambda *_: None)
    plain = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(v, plain[k]) for k, v in experts.items() if k not in own)
    assert not all(torch.equal(v, plain[k]) for k, v in own.items())
    # split_merged_every: after the split at 5 the next check is at 15 (not 10); none
    # once the background expert is reserved (step 17)
    state = train(_smoke(split_merged_from=5, split_merged_every=10, reserve_background_at=17,
                         **kw), tmp_path / "c", log=lambda *_: None)
    assert [s["step"] for s in state["splits"]] == [5, 15]
    assert [r["step"] for r in _records(tmp_path / "c", "split_check")] == [5, 15]
    assert state["reserved_background"]["step"] == 17


def test_split_waits_below_its_threshold(tmp_path, monkeypatch):
    """A merged share under split_merged_above: every evaluation step checks and logs,
    nothing is split, and the run is the run without checks (own random numbers)."""
    _force_merge_check(monkeypatch, merged_share=0.89)
    kw = dict(max_steps=12, eval_every=4, log_every=4)
    state = train(_smoke(split_merged_from=4, split_merged_above=0.9, **kw), tmp_path / "a",
                  log=lambda *_: None)
    recs = _records(tmp_path / "a", "split_check")
    assert [r["step"] for r in recs] == [4, 8, 12] and not any(r["split"] for r in recs)
    assert state["splits"] == []
    train(_smoke(**kw), tmp_path / "b", log=lambda *_: None)
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


@pytest.mark.parametrize("key,value", [("split_merged_from", 0), ("split_merged_from", 2.5),
                                       ("split_merged_every", True),
                                       ("split_merged_above", 0.0),
                                       ("split_merged_above", 1.5)])
def test_bad_split_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=key):
        validate(_smoke(**{key: value}))


def test_exclusive_experts_limits_only_those_experts():
    """exclusive_experts = (0, 1): experts 0 and 1 win at most one step of a scene, any
    other expert as often as it scores best."""
    scores = torch.tensor([[1.0, 2.0, 3.0, 4.0]]).expand(2, 4)
    c = Competition(mode="deterministic", exclusive=True, exclusive_experts=(0, 1))
    taken = torch.tensor([[True, False, False, False], [True, True, False, False]])
    assert c.distribution(scores, taken).sample().tolist() == [1, 2]
    # expert 2 has won already but is not limited: it wins again over expert 3
    taken = torch.tensor([[True, True, True, False]] * 2)
    assert c.distribution(scores, taken).sample().tolist() == [2, 2]
    # four steps of one scene: 0, then 1 (0 is used up), then the unlimited 2 twice
    from econ_pyro.competition import mark_taken

    taken, wins = c.new_taken(1, 4, "cpu"), []
    for _ in range(4):
        k = c.distribution(scores[:1], taken).sample()
        wins.append(int(k))
        taken = mark_taken(taken, k)
    assert wins == [0, 1, 2, 2]


def test_split_pair_is_exclusive_for_n_steps(tmp_path, monkeypatch):
    """With split_merged_exclusive = N the copy starts with the merged expert's Adam
    moments and, for N steps after the split, the two are limited to one step per scene
    (the competition's exclusive_experts); evaluations compete freely."""
    _force_merge_check(monkeypatch, merged=1, merged_share=1.0, target=2)
    at_eval, at_step = _spy_competition(monkeypatch, "exclusive_experts")
    kw = dict(max_steps=14, eval_every=5, log_every=5, revive_noise=0.0,
              split_merged_from=5, split_merged_every=100, split_merged_exclusive=4)
    state = train(_smoke(**kw), tmp_path / "a", log=lambda *_: None)
    assert [s["step"] for s in state["splits"]] == [5]
    assert at_step == [None] * 5 + [(1, 2)] * 4 + [None] * 5
    assert all(e is None for e in at_eval)
    # a split at the last step: the checkpoint's Adam moments of the copy are the source's
    state = train(_smoke(**{**kw, "split_merged_from": 15, "max_steps": 15}), tmp_path / "b",
                  log=lambda *_: None)
    assert [s["step"] for s in state["splits"]] == [15]
    ckpt = torch.load(tmp_path / "b" / "last.pt", weights_only=False)
    econ = trainer_mod.Trainer(_smoke(**kw), tmp_path / "x", log=lambda *_: None).econ
    index = {n: i for i, (n, _) in enumerate(econ.named_parameters())}
    pairs = [(index[n], index[n.replace(".experts.2.", ".experts.1.")]) for n in index
             if ".experts.2." in n]
    moments = ckpt["optimizer"]["state"]
    assert pairs and any(b in moments for _, b in pairs)
    for a, b in pairs:  # the copy has moments exactly where its source has them
        assert (a in moments) == (b in moments)
        if b in moments:
            assert torch.equal(moments[a]["exp_avg_sq"], moments[b]["exp_avg_sq"])


def test_revive_with_copied_optimizer_state(tiny_batch):
    econ = make_econ()
    opt = torch.optim.Adam(econ.parameters(), lr=1e-2)
    for _ in range(2):
        opt.zero_grad()
        sum(p.sum() * (i + 1) for i, p in enumerate(econ.parameters())).backward()
        opt.step()
    revive_expert(econ, opt, dead=2, source=0, noise=0.0, copy_state=True)
    experts = econ.experts.experts
    for p, q in zip(experts[2].parameters(), experts[0].parameters(), strict=True):
        assert torch.equal(p, q)
        for key in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(opt.state[p][key], opt.state[q][key])
        assert opt.state[p]["exp_avg"] is not opt.state[q]["exp_avg"]  # copies, not shared


def test_restart_of_a_merged_run(tmp_path, monkeypatch):
    """A run found merged at restart_merged_at (forced here) starts again with seed + 1000:
    the attempt is kept in RUN/attempts/, the history is in the state and config.json,
    and the new attempt is exactly a fresh run with that seed (its own check at the same
    step, with max_restarts used up, only warns and records its verdict)."""
    import json

    _force_merge_check(monkeypatch, merged_share=1.0)
    kw = dict(max_steps=8, eval_every=4, log_every=2)
    logs = []
    state = train(_smoke(restart_merged_at=4, max_restarts=1, **kw), tmp_path / "a",
                  log=logs.append)
    assert state["step"] == 8 and state["done"] == "max_steps"
    [r] = state["restarts"]
    assert r["step"] == 4 and r["seed"] == 0 and r["merged_share"] == 1.0
    kept = tmp_path / "a" / "attempts" / "1-seed0"
    assert r["kept_in"] == str(kept) and (kept / "last.pt").exists()
    abandoned = torch.load(kept / "last.pt", weights_only=True)
    assert abandoned["state"]["step"] == 4
    # the abandoned attempt is not standardised (a fit of a discarded model); the run is
    assert "latents" not in abandoned and sum("fitting the latent" in line for line in logs) == 1
    assert torch.load(tmp_path / "a" / "last.pt", weights_only=True).get("latents") is not None
    assert any("restart_check" in line for line in (kept / "metrics.jsonl").read_text()
               .splitlines())
    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    assert saved["train"]["seed"] == 1000 and saved["restarts"] == state["restarts"]
    # the curves count the abandoned attempt's time (econ-pyro curves)
    from econ_pyro import curves

    first = curves.history(tmp_path / "a")[0]
    assert first["step"] == 4 and first["minutes"] * 60 > r["elapsed"]
    assert sum("starting again with another seed" in line for line in logs) == 1
    [last] = [line for line in logs if "no restart left" in line]
    assert "step 4" in last and "100%" in last and "max_restarts = 1" in last
    checks = [json.loads(line)["restart_check"] for line in
              (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()
              if "restart_check" in line]
    assert [(c["merged_share"], c["restart"]) for c in checks] == [(1.0, False)]
    train(_smoke(seed=1000, **kw), tmp_path / "b", log=lambda *_: None)
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


@pytest.mark.parametrize("until", [None, 9])
def test_merge_check_window(tmp_path, monkeypatch, until):
    """restart_merged_until: the merge check also runs at the evaluation steps after
    restart_merged_at up to that step, so a merge that forms after the first check (forced
    here: unmerged at step 3, merged from step 6 on) restarts the run instead of being
    reserved at the same step; the new attempt is exactly a fresh run with seed + 1000, whose
    checks stop at its reservation.  Without the window the run reserves in the merged state."""
    import json

    from econ_pyro.training import remedies

    shares = iter([0.5])  # the first check unmerged, every later one merged

    def fake(experts, k):  # the merge check, as the trainer sees it
        return {**remedies.merge_check(experts, k), "merged": 1,
                "merged_share": next(shares, 1.0)}

    monkeypatch.setattr(trainer_mod, "merge_check", fake)
    kw = dict(max_steps=12, eval_every=3, log_every=3, reserve_background_at=6,
              reserve_background_spare_below=1.0)  # (guarded: tried at eval steps only)
    logs = []
    state = train(_smoke(restart_merged_at=3, restart_merged_until=until, max_restarts=1, **kw),
                  tmp_path / "a", log=logs.append)
    checks = [{"step": r["step"], **r["restart_check"]}
              for r in map(json.loads, (tmp_path / "a" / "metrics.jsonl").read_text()
                           .splitlines()) if "restart_check" in r]
    if until is None:  # one check (step 3, unmerged); reserved at 6 in the merged state
        assert "restarts" not in state and state["reserved_background"]["step"] == 6
        assert [(c["step"], c["restart"]) for c in checks] == [(3, False)]
        assert sum("reserved in a merged run" in line for line in logs) == 1
        return
    [r] = state["restarts"]
    assert (r["step"], r["seed"], r["reason"], r["merged_share"]) == (6, 0, "merged", 1.0)
    kept = tmp_path / "a" / "attempts" / "1-seed0"
    abandoned = [json.loads(line) for line in (kept / "metrics.jsonl").read_text().splitlines()]
    assert [c["restart_check"]["restart"] for c in abandoned if "restart_check" in c] \
        == [False, True]
    assert not any("reservation_check" in c for c in abandoned)  # nothing reserved at 6
    assert "reserved_background" not in torch.load(kept / "last.pt",
                                                   weights_only=True)["state"]
    # the new attempt: checked at 3 and 6 (no restart left: recorded only), reserved at 6
    # after the check, then no further check
    assert [(c["step"], c["merged_share"], c["restart"]) for c in checks] \
        == [(3, 1.0, False), (6, 1.0, False)]
    assert state["reserved_background"]["step"] == 6 and state["step"] == 12
    train(_smoke(seed=1000, **kw), tmp_path / "b", log=lambda *_: None)
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


@pytest.mark.parametrize("share,warned", [(1.0, True), (0.5, False)])
def test_reservation_in_a_merged_run_is_flagged(tmp_path, monkeypatch, share, warned):
    """A background reserved while one expert wins two or more object steps in at least
    restart_merged_above of the validation scenes (forced here) is flagged in the log and
    the recorded reservation (round 16's seed 21 broke its layer order that way)."""
    _force_merge_check(monkeypatch, merged=3, merged_share=share)
    logs = []
    state = train(_smoke(reserve_background_at=4, max_steps=4), tmp_path / "r",
                  log=logs.append)
    assert state["reserved_background"]["merged_share"] == share
    flagged = [line for line in logs if "reserved in a merged run" in line]
    assert len(flagged) == int(warned)
    if warned:
        assert "expert 3" in flagged[0] and "100%" in flagged[0]


@pytest.mark.parametrize("share,reserved_at", [(0.95, None), (0.7, None), (0.69, 10)])
def test_guarded_reservation_waits_while_merged(tmp_path, monkeypatch, share, reserved_at):
    """reserve_background_merged_below = 0.7: the reservation waits at every evaluation
    step while one expert wins two or more object steps in >= 70 % of the validation scenes
    (forced here), each check logged with that share; under it the run reserves at the
    first evaluation step.  The other guards pass (spare_below 1.0)."""
    _force_merge_check(monkeypatch, merged=2, merged_share=share)
    logs = []
    state = train(_smoke(max_steps=20, eval_every=10, reserve_background_at=5,
                         reserve_background_spare_below=1.0,
                         reserve_background_merged_below=0.7), tmp_path / "r", log=logs.append)
    checks = _records(tmp_path / "r", "reservation_check")
    assert all(c["merged_share"] == share for c in checks)
    if reserved_at is None:
        assert "reserved_background" not in state
        assert [(c["step"], c["passed"]) for c in checks] == [(10, False), (20, False)]
        waits = [line for line in logs if "background reservation waits" in line]
        assert len(waits) == 2 and f"expert 2 won two or more object steps in {share:.0%}" \
            in waits[0] and "needs < 0.7" in waits[0]
    else:
        assert state["reserved_background"]["step"] == reserved_at
        assert [(c["step"], c["passed"]) for c in checks] == [(10, True)]


def test_restart_check_below_threshold_changes_nothing(tmp_path, monkeypatch):
    _force_merge_check(monkeypatch, merged_share=0.5)
    kw = dict(max_steps=6, eval_every=3, log_every=2)
    state = train(_smoke(restart_merged_at=3, **kw), tmp_path / "a", log=lambda *_: None)
    assert "restarts" not in state and not (tmp_path / "a" / "attempts").exists()
    assert "restart_check" in (tmp_path / "a" / "metrics.jsonl").read_text()
    train(_smoke(**kw), tmp_path / "b", log=lambda *_: None)
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


def test_restart_config_keeps_the_attempt_and_the_time_budget(tmp_path):
    from econ_pyro.training.trainer import _restart_config

    out = tmp_path / "r"
    out.mkdir()
    (out / "last.pt").write_bytes(b"x")
    (out / "metrics.jsonl").write_text("{}\n")
    cfg = _smoke(max_time=100.0, seed=7)
    merged = {"reason": "merged", "merged_share": 0.95}
    new = _restart_config(cfg, out, {"step": 40, "elapsed": 30.0, "restart_request": merged},
                          log=lambda *_: None)
    assert new["restarts"][0]["reason"] == "merged" and new["restarts"][0]["merged_share"] == 0.95
    assert new["train"]["seed"] == 1007 and new["train"]["max_time"] == 70.0
    assert cfg["train"]["seed"] == 7  # the caller's config is not changed
    assert not (out / "last.pt").exists() and (out / "attempts" / "1-seed7" / "last.pt").exists()
    again = _restart_config(new, out, {"step": 40, "elapsed": 80.0,
                                       "restart_request": {"reason": "unreserved"}},
                            log=lambda *_: None)
    assert again["restarts"][1]["reason"] == "unreserved"
    assert again["train"]["seed"] == 2007 and again["train"]["max_time"] == 0.0
    assert [r["seed"] for r in again["restarts"]] == [7, 1007]


def test_restart_of_a_run_that_never_reserves_its_background(tmp_path, monkeypatch):
    """restart_unreserved_at: a run whose reservation guard is never met (forced here) starts
    again with seed + 1000 at the first evaluation step from that step on, after the
    reservation's own check; the new attempt is exactly a fresh run with that seed (no
    further restart once max_restarts is used up); a run that reserved is not restarted."""
    real = trainer_mod.reservation_check
    monkeypatch.setattr(trainer_mod, "reservation_check",
                        lambda *a: {**real(*a), "last_largest": 0.0})
    kw = dict(max_steps=9, eval_every=3, log_every=3, reserve_background_at=2,
              reserve_background_last_largest=0.9)
    logs = []
    state = train(_smoke(restart_unreserved_at=5, max_restarts=1, **kw), tmp_path / "a",
                  log=logs.append)
    [r] = state["restarts"]
    assert (r["step"], r["seed"], r["reason"]) == (6, 0, "unreserved")
    assert "merged_share" not in r  # no merge check ran
    assert state["step"] == 9 and "reserved_background" not in state
    assert sum("still not reserved" in line for line in logs) == 1
    kept = tmp_path / "a" / "attempts" / "1-seed0"
    assert torch.load(kept / "last.pt", weights_only=True)["state"]["step"] == 6
    train(_smoke(seed=1000, **kw), tmp_path / "b", log=lambda *_: None)
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")
    # without the guard the background is reserved at step 2 and nothing restarts
    monkeypatch.setattr(trainer_mod, "reservation_check", real)
    state = train(_smoke(restart_unreserved_at=5, **{**kw, "reserve_background_last_largest":
                                                    None}), tmp_path / "c", log=lambda *_: None)
    assert "restarts" not in state and state["reserved_background"]["step"] == 2


def _forced_reservation_run(tmp_path, monkeypatch, forced: dict, **options):
    """A 20-step smoke run with a guarded reservation checked every 5 steps from step 5
    (the last step's region must be the largest in 0.9 of the scenes) and ``forced`` values
    in every reservation check; returns its state, reservation checks and log lines."""
    real = trainer_mod.reservation_check
    monkeypatch.setattr(trainer_mod, "reservation_check", lambda *a: {**real(*a), **forced})
    logs = []
    state = train(_smoke(max_steps=20, eval_every=5, reserve_background_at=5,
                         reserve_background_last_largest=0.9, **options), tmp_path / "r",
                  log=logs.append)
    return state, _records(tmp_path / "r", "reservation_check"), logs


@pytest.mark.parametrize("last_largest,taker_from,reserved_at", [
    (0.1, 10, 10), (0.1, 12, 15), (0.1, None, None), (0.6, 10, None)])
def test_background_taker_reserved_in_a_background_first_run(tmp_path, monkeypatch,
                                                            last_largest, taker_from,
                                                            reserved_at):
    """reserve_background_taker_from: at a guarded check from that step on at which the last
    step's region is the largest in under reserve_background_taker_below (0.5) of the
    validation scenes (forced here), the expert that takes the largest region (forced: 2,
    while the spare is 0) is reserved instead of waiting; before that step, or with the
    background last in more scenes (0.6, still under the guard's 0.9), the run waits."""
    state, checks, logs = _forced_reservation_run(
        tmp_path, monkeypatch, {"last_largest": last_largest, "spare": 0, "taker": 2,
                                "taker_share": 0.8}, reserve_background_taker_from=taker_from)
    if reserved_at is None:
        assert "reserved_background" not in state
        assert [c["step"] for c in checks] == [5, 10, 15, 20]
        assert not any(c["taker_reserved"] or c["passed"] for c in checks)
        return
    r = state["reserved_background"]
    assert (r["step"], r["expert"], r["taker"]) == (reserved_at, 2, True)
    assert [(c["step"], c["taker_reserved"]) for c in checks][-1] == (reserved_at, True)
    assert all(not c["taker_reserved"] for c in checks[:-1]) and not checks[-1]["passed"]
    assert torch.load(tmp_path / "r" / "last.pt", weights_only=True)["config"]["model"][
        "background_expert"] == 2
    [line] = [line for line in logs if "now explains only the last step" in line]
    assert line.startswith(f"step {reserved_at}: expert 2 ") and "takes the largest region " \
        "in 80% of the validation scenes (the background is last in 10%" in line


@pytest.mark.parametrize("last_largest,spare_until,reserved_at", [
    (0.95, 10, 10), (0.95, 12, 15), (0.95, None, None), (0.6, 10, None)])
def test_spare_guard_ends_at_spare_until(tmp_path, monkeypatch, last_largest, spare_until,
                                         reserved_at):
    """reserve_background_spare_until: from that step on a check at which every guard but the
    spare's passes (forced: background last in 0.95 of the scenes, the spare -- expert 1 --
    winning 12 % of the object steps against the guard's 5 %) reserves the spare; before that
    step, without the option, or while another guard fails (0.6 under 0.9), the run waits."""
    state, checks, logs = _forced_reservation_run(
        tmp_path, monkeypatch, {"last_largest": last_largest, "spare": 1, "spare_share": 0.12},
        reserve_background_spare_below=0.05, reserve_background_spare_until=spare_until)
    if reserved_at is None:
        assert "reserved_background" not in state
        assert [(c["step"], c["passed"]) for c in checks] == [(s, False) for s in (5, 10, 15, 20)]
        return
    r = state["reserved_background"]
    assert (r["step"], r["expert"], r["spare_guard_ended"], r["taker"]) == \
        (reserved_at, 1, True, False)
    assert [(c["step"], c["passed"]) for c in checks] == \
        [(s, s == reserved_at) for s in range(5, reserved_at + 1, 5)]
    [line] = [line for line in logs if "now explains only the last step" in line]
    assert line.startswith(f"step {reserved_at}: expert 1 ") and \
        "although it won 12.0% of the object steps" in line


@pytest.mark.parametrize("key,value", [("restart_merged_at", 0), ("restart_merged_at", "1000"),
                                       ("max_restarts", -1), ("restart_merged_above", 2),
                                       ("restart_unreserved_at", 0),
                                       ("restart_merged_until", 0)])
def test_bad_restart_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=key):
        validate(_smoke(**{key: value}))
    with pytest.raises(ConfigError, match="restart_unreserved_at needs"):
        validate(_smoke(restart_unreserved_at=100))
    with pytest.raises(ConfigError, match="reserve_background_taker_from needs"):
        validate(_smoke(reserve_background_taker_from=100))
    with pytest.raises(ConfigError, match="reserve_background_spare_until needs "
                                          "train.reserve_background_spare_below"):
        validate(_smoke(reserve_background_at=10, reserve_background_spare_until=100))
    with pytest.raises(ConfigError, match="reserve_background_spare_until"):
        validate(_smoke(reserve_background_at=10, reserve_background_spare_below=0.05,
                        reserve_background_spare_until=0))
    for key, value in (("reserve_background_taker_from", 0),
                       ("reserve_background_taker_below", 0)):
        with pytest.raises(ConfigError, match=key):
            validate(_smoke(reserve_background_at=10, **{key: value}))
    for at in (None, 100):  # a window needs its start before it
        with pytest.raises(ConfigError, match="restart_merged_until needs"):
            validate(_smoke(restart_merged_at=at, restart_merged_until=100))


def test_deterministic_after_the_reservation(tmp_path, monkeypatch):
    """reserve_background_deterministic_after = N: the training competition is stochastic
    until N steps after the background reservation and deterministic from there, also in
    a run resumed past the switch (same losses)."""
    from click.testing import CliRunner

    from econ_pyro.cli.main import cli

    _, at_step = _spy_competition(monkeypatch, "mode")
    kw = dict(reserve_background_at=4, reserve_background_deterministic_after=3, log_every=1)
    state = train(_smoke(max_steps=10, **kw), tmp_path / "a", log=lambda *_: None)
    assert state["reserved_background"]["step"] == 4
    assert at_step == ["stochastic"] * 7 + ["deterministic"] * 3
    at_step.clear()
    train(_smoke(max_steps=8, **kw), tmp_path / "b", log=lambda *_: None)
    out = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "b"), "--max-steps", "10"])
    assert out.exit_code == 0, out.output
    assert at_step == ["stochastic"] * 7 + ["deterministic"] * 3
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")
    # deterministic_from, if earlier, wins
    at_step.clear()
    train(_smoke(max_steps=10, deterministic_from=5, **kw), tmp_path / "c", log=lambda *_: None)
    assert at_step == ["stochastic"] * 5 + ["deterministic"] * 5


@pytest.mark.parametrize("patience", [3, None])
def test_deterministic_patience(tmp_path, monkeypatch, patience):
    """With deterministic_patience the lr schedule starts afresh at the deterministic switch
    and uses that patience; without it, the losses from before the switch stay the bar."""
    scripted_validation(monkeypatch, [1.0, 2.0, 3.0, 5.0, 5.1, 4.0])  # steps 2, 4, 6 | 8, 10, 12
    state = train(_smoke(max_steps=12, eval_every=2, patience=1, dashboard=False,
                         max_lr_decreases=100, deterministic_from=6,
                         deterministic_patience=patience), tmp_path / "r", log=lambda *_: None)
    # steps 4 and 6 (stochastic, patience 1) divide the lr; then 5.0 opens the deterministic
    # phase, 5.1 is its first bad evaluation (of 3 allowed) and 4.0 improves on it;
    # without: 5.0, 5.1 and 4.0 are bad evaluations against 1.0 -> three more divisions
    assert state["lr_decreases"] == (2 if patience else 5)
    assert state["best_val"] == (4.0 if patience else 1.0)


@pytest.mark.parametrize("key,value", [("reserve_background_deterministic_after", -1),
                                       ("reserve_background_deterministic_after", 1.5),
                                       ("deterministic_patience", 0),
                                       ("deterministic_patience", True)])
def test_bad_deterministic_phase_options(key, value):
    from econ_pyro.training.config import validate

    with pytest.raises(ConfigError, match=f"{key} must be"):
        validate(_smoke(**{key: value, "reserve_background_at": 5, "deterministic_from": 3}))
    if key == "reserve_background_deterministic_after":
        with pytest.raises(ConfigError, match="needs train.reserve_background_at"):
            validate(_smoke(reserve_background_deterministic_after=0))
    else:  # a patience for a switch that never comes
        with pytest.raises(ConfigError, match="deterministic_patience needs"):
            validate(_smoke(deterministic_patience=20))
