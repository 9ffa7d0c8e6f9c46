import json
import math
import statistics
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from econ_pyro import evaluation
from econ_pyro.cli.main import cli
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.shapes import rasterise
from econ_pyro.metrics import (
    ari,
    classify_shapes,
    count_layers,
    depth_pairs,
    evaluate_decomposition,
    explained_before_occluder,
    matched_objects,
    segmentation_covering,
    specialisation,
)


def test_ari_matches_sklearn_and_permutation_invariance():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = rng.integers(0, 4, 200), rng.integers(0, 5, 200)
        assert ari(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-10)
    a = rng.integers(0, 4, 300)
    perm = np.array([2, 3, 0, 1])
    assert ari(a, perm[a]) == pytest.approx(1.0)
    assert ari(np.zeros(10), np.zeros(10)) == 1.0


def test_segmentation_covering_exact_values():
    true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert segmentation_covering(true, true) == 1.0
    pred = np.array([0, 0, 0, 1, 1, 1, 1, 1])  # seg 0: IoU 3/4, seg 1: IoU 4/5
    assert segmentation_covering(true, pred) == pytest.approx((0.75 + 0.8) / 2)
    assert segmentation_covering(true, pred, ignore=0) == pytest.approx(0.8)


def test_specialisation_table():
    classes = np.array([0, 1, 2, 3, 0, 1, 2, 3, 1])
    experts = np.array([3, 0, 1, 2, 3, 0, 1, 2, 1])
    s = specialisation(classes, experts, 4, 4)
    assert s["contingency"][1] == [2, 1, 0, 0]
    assert s["purity"] == pytest.approx(8 / 9) and s["distinct_experts"]
    s = specialisation(np.array([1, 2, 3]), np.array([0, 0, 0]), 4, 4)
    assert s["purity"] == 1.0 and not s["distinct_experts"]  # purity alone misleads
    assert s["matched_accuracy"] == pytest.approx(1 / 3)


def test_depth_pairs_correct_and_reversed():
    amodal = np.zeros((3, 4, 4), bool)
    amodal[0] = True
    amodal[1, :2] = True
    amodal[2, 1:3] = True  # overlaps object 1 on one row (4 pixels)
    depth, present = np.array([0, 1, 2]), np.array([True, True, True])
    assert depth_pairs(amodal, depth, present, np.array([2, 1, 0])) == (4.0, 4.0)
    assert depth_pairs(amodal, depth, present, np.array([2, 0, 1])) == (0.0, 4.0)


def _oracle(scenes, T):
    """A perfect decomposition built from ground truth (front-most object first)."""
    n = len(scenes)
    order = np.argsort(-scenes.depth, axis=1)[:, :T]  # slots by decreasing depth
    idx = np.arange(n)[:, None]
    regions = scenes.visible[idx, order].astype(np.float32)
    shapes = scenes.amodal[idx, order].astype(np.float32)
    return {"regions": regions, "shapes": shapes,
            "experts": scenes.classes[idx, order].astype(np.int64)}


def test_oracle_scores_one_and_modal_baseline_below():
    scenes = generate_scenes(40, SceneConfig(), seed=0)
    m = evaluate_decomposition(scenes.arrays(), _oracle(scenes, 4), n_experts=4)
    for k in ("ari", "fg_ari", "msc", "msc_fg", "amodal_iou", "amodal_iou_occluded",
              "hidden_recall", "shape_class_accuracy"):
        assert m[k]["mean"] == pytest.approx(1.0), k
    assert m["depth_order_accuracy"]["mean"] == 1.0
    assert m["background_last"]["mean"] == 1.0
    assert m["object_count_accuracy"]["mean"] == 1.0
    sp = m["specialisation"]
    assert sp["purity"] == 1.0 and sp["distinct_experts"] and sp["matched_accuracy"] == 1.0
    assert m["baseline_modal_iou_occluded"]["mean"] < 0.9
    assert 0.3 < m["baseline_random_depth_accuracy"]["mean"] < 0.7


def test_matched_objects_on_the_oracle():
    scenes = generate_scenes(30, SceneConfig(), seed=3)
    pred = _oracle(scenes, 4)
    visible, amodal = scenes.visible.astype(bool), scenes.amodal.astype(bool)
    present = scenes.classes >= 0
    got = list(matched_objects(visible, amodal, present, pred["regions"].argmax(1), 4))
    # every foreground object, matched to the step that shows it (front-most first)
    order = np.argsort(-scenes.depth, axis=1)
    want = [(n, o, int(np.flatnonzero(order[n] == o)[0]),
             bool((amodal[n, o] & ~visible[n, o]).any()))
            for n in range(len(scenes)) for o in np.flatnonzero(present[n]) if o > 0]
    assert got == want
    assert 0 < sum(g[3] for g in got) < len(got)  # both occluded and unoccluded objects
    # two steps for four slots (all but the front-most object merged into step 1): only
    # the front-most object is matched among the foreground (step 1 goes to the background)
    lab = np.minimum(pred["regions"].argmax(1), 1)
    got = list(matched_objects(visible, amodal, present, lab, 2))
    assert [(n, o, s) for n, o, s, _ in got] == [(n, int(order[n, 0]), 0)
                                                 for n in range(len(scenes))]


def test_shape_class_accuracy_sees_wrong_shapes():
    """The decoded shapes of unoccluded objects, classified: every shape replaced by a disc
    of the object's size leaves only the circles right."""
    scenes = generate_scenes(40, SceneConfig(), seed=4)
    pred = _oracle(scenes, 4)
    yy, xx = np.mgrid[:32, :32]
    for n in range(len(scenes)):
        for i in range(3):  # object steps
            ys, xs = np.nonzero(pred["shapes"][n, i])
            r = (ys.max() - ys.min() + 1) / 2
            cy, cx = (ys.max() + ys.min()) / 2, (xs.max() + xs.min()) / 2
            pred["shapes"][n, i] = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r)
    m = evaluate_decomposition(scenes.arrays(), pred, n_experts=4, baselines=False)
    visible, amodal = scenes.visible.astype(bool), scenes.amodal.astype(bool)
    unoccluded = [scenes.classes[n, o] for n in range(len(scenes)) for o in (1, 2, 3)
                  if not (amodal[n, o] & ~visible[n, o]).any()]
    want = np.mean(np.array(unoccluded) == 1)  # circles
    assert 0 < want < 1
    assert m["shape_class_accuracy"]["mean"] == pytest.approx(want)


def test_reversed_depth_order_scores_zero():
    scenes = generate_scenes(20, SceneConfig(), seed=1)
    pred = _oracle(scenes, 4)
    # same segmentation, but objects listed back to front (background stays last)
    pred = {k: np.concatenate([v[:, 2::-1], v[:, 3:]], axis=1) for k, v in pred.items()}
    m = evaluate_decomposition(scenes.arrays(), pred, n_experts=4)
    assert m["depth_order_accuracy"]["mean"] == 0.0
    assert m["fg_ari"]["mean"] == pytest.approx(1.0)
    # back to front: every occluded object is explained before its occluders
    assert m["occluded_before_occluder"]["mean"] == 1.0
    assert all(v["before_occluder"] == 1.0 for v in m["occluded_by_class"].values())


def test_explained_before_occluder_hand_made():
    """Object 1 (back) is hidden by object 2 on its right half; object 3 is in front of both
    but covers none of object 1's hidden pixels."""
    amodal = np.zeros((4, 4, 8), bool)
    amodal[0] = True
    amodal[1, :2, :4] = True
    amodal[2, :2, 2:6] = True
    amodal[3, 3, :] = True
    visible = amodal.copy()
    visible[1, :2, 2:4] = False
    depth, present = np.array([0, 1, 2, 3]), np.ones(4, bool)
    before = lambda step: explained_before_occluder(1, np.array(step), visible, amodal,  # noqa
                                                    depth, present)
    assert not before([3, 2, 1, 0])  # front to back
    assert before([3, 1, 2, 0])  # object 1 before its occluder 2
    assert not before([3, 1, 0, 2])  # before object 3, which hides none of it
    assert not before([3, 1, -1, 0])  # the occluder unmatched: not counted


def test_occluded_by_class_on_the_oracle():
    scenes = generate_scenes(40, SceneConfig(), seed=5)
    m = evaluate_decomposition(scenes.arrays(), _oracle(scenes, 4), n_experts=4,
                               baselines=False)
    assert m["occluded_before_occluder"]["mean"] == 0.0
    by = m["occluded_by_class"]
    assert set(by) == {1, 2, 3}
    assert all(v["amodal_iou"] == 1.0 and v["before_occluder"] == 0.0 for v in by.values())
    assert sum(v["n"] for v in by.values()) == m["amodal_iou_occluded"]["n"]
    assert m["background_last"]["mean"] == 1.0


def test_background_first_is_not_background_last():
    scenes = generate_scenes(20, SceneConfig(), seed=2)
    pred = _oracle(scenes, 4)
    # MONet-like order: the background explained at the first inference step
    pred = {k: np.concatenate([v[:, 3:], v[:, :3]], axis=1) for k, v in pred.items()}
    m = evaluate_decomposition(scenes.arrays(), pred, n_experts=4)
    assert m["background_last"]["mean"] == 0.0
    assert m["fg_ari"]["mean"] == pytest.approx(1.0)


@pytest.mark.parametrize("kind, classes", [("unique", [1, 2, 3]), ("dsprites", [2, 4, 5])])
def test_shape_classifier_on_generator_ground_truth(kind, classes):
    s = generate_scenes(200, SceneConfig(kind=kind), seed=0)
    masks, truth = s.amodal[:, 1:].reshape(-1, 32, 32), s.classes[:, 1:].reshape(-1)
    assert (classify_shapes(masks, classes) == truth).mean() >= 0.95
    assert classify_shapes(np.zeros((1, 8, 8), bool), classes)[0] == -1


def test_count_layers():
    regions = np.zeros((2, 4, 8, 8))
    regions[:, 3] = 1
    regions[0, 0, :2] = 2  # 16 pixels won by step 0
    regions[1, 1, 0, :3] = 2  # 3 pixels: below the threshold
    assert count_layers(regions).tolist() == [2, 1]


def test_controlled_generation_logic(monkeypatch):
    """With a sampler that draws exactly the requested classes, the check scores 1."""
    def fake_sample(econ, experts, n, seed):
        layers = [np.ones((32, 32), bool)]
        centres = [(8.0, 8.0), (24.0, 8.0), (16.0, 24.0)]  # disjoint boxes of side 15
        for (cx, cy), k in zip(centres, experts[1:], strict=False):
            layers.append(rasterise(np.array([k]), np.array([cx]), np.array([cy]),
                                    np.array([15.0]), 32)[0])
        return {"shapes": torch.from_numpy(np.stack(layers)[None].astype(np.float32))}
    monkeypatch.setattr(evaluation, "sample", fake_sample)
    econ = SimpleNamespace(prior_weights=None)  # the sampler is faked; only the prior is read
    res = evaluation.controlled_generation(econ, {0: 0, 1: 1, 2: 2, 3: 3}, [1, 2, 3], n=5)
    assert res == {"layer_class_accuracy": 1.0, "all_objects_visible": 1.0, "n": 5,
                   "prior": "N(0, I)"}
    wrong = evaluation.controlled_generation(econ, {0: 0, 1: 2, 2: 3, 3: 1}, [1, 2, 3], n=5)
    assert wrong["layer_class_accuracy"] == 0.0


def test_evaluate_cli_on_smoke_run(smoke_run, tmp_path):
    run = smoke_run
    res = CliRunner().invoke(cli, ["evaluate", str(run), "--n", "20", "--controlled", "5",
                                   "--out", str(tmp_path / "m.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["n_scenes"] == 20 and 0 <= m["fg_ari"]["mean"] <= 1
    assert len(m["specialisation"]["contingency"]) == 4
    assert 0 <= m["controlled_generation"]["layer_class_accuracy"] <= 1
    assert (tmp_path / "m.png").exists() and (tmp_path / "m_hist.png").exists()
    assert len(m["per_scene"]["fg_ari"]) == 20
    res = CliRunner().invoke(cli, ["evaluate", str(run), str(run / "last.pt"), "--n", "10",
                                   "--controlled", "0", "--objects", "4", "--n-steps", "5",
                                   "--out", str(tmp_path / "m2.json")])
    assert res.exit_code == 0, res.output
    agg = json.loads((tmp_path / "m2.json").read_text())
    assert len(agg["runs"]) == 2 and agg["across_runs"]["fg_ari"]["n"] == 2
    res = CliRunner().invoke(cli, ["evaluate", str(run), "--n", "10", "--controlled", "0",
                                   "--baseline", str(run / "last.pt"),
                                   "--out", str(tmp_path / "m3.json")])
    assert res.exit_code == 0, res.output
    m3 = json.loads((tmp_path / "m3.json").read_text())
    assert m3["baseline_run"]["fg_ari"] == m3["fg_ari"]  # same model, same scenes


@pytest.mark.parametrize("bar", ["min", "max"])
def test_evaluate_cli_size_bars_reach_the_competition(smoke_run, tmp_path, monkeypatch, bar):
    """--min-region / --max-region override each model's model.min_region / max_region for
    the evaluation (the runs and the baseline run), and the JSON records the value used."""
    import econ_pyro.cli.evaluate as ev

    seen, real = [], ev.run_evaluate

    def spy(econ, scenes, **kw):
        seen.append(getattr(econ.competition, f"{bar}_region"))
        return real(econ, scenes, **kw)

    monkeypatch.setattr(ev, "run_evaluate", spy)
    args = ["evaluate", str(smoke_run), "--n", "6", "--controlled", "0"]
    res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a.json")])
    assert res.exit_code == 0, res.output
    key, opt = f"{bar}_region", f"--{bar}-region"
    assert json.loads((tmp_path / "a.json").read_text())[key] == 0.0 == seen[-1]
    res = CliRunner().invoke(cli, [*args, opt, "112.5", "--baseline", str(smoke_run),
                                   "--out", str(tmp_path / "b.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "b.json").read_text())
    assert m[key] == m["baseline_run"][key] == 112.5 and seen[-2:] == [112.5] * 2
    res = CliRunner().invoke(cli, [*args, opt, "-1"])
    assert res.exit_code != 0 and opt in res.output
    res = CliRunner().invoke(cli, [*args, "--min-region", "20", "--max-region", "10"])
    assert res.exit_code != 0 and "must exceed --min-region" in res.output


def test_evaluate_cli_out_of_distribution_scenes(smoke_run, tmp_path):
    res = CliRunner().invoke(cli, ["evaluate", str(smoke_run), "--n", "12", "--controlled", "0",
                                   "--objects", "4-5", "--repeat-classes", "--n-steps", "6",
                                   "--out", str(tmp_path / "ood.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "ood.json").read_text())
    assert m["n_scenes"] == 12
    assert 12 * 4 <= len(m["per_object"]["amodal_iou"]) <= 12 * 5  # 4-5 objects per scene
    assert len(m["winners_per_step"]) == 6
    res = CliRunner().invoke(cli, ["evaluate", str(smoke_run), "--objects", "5-4"])
    assert res.exit_code != 0 and "invalid object count range" in res.output


def test_evaluate_aggregates_runs_as_mean_and_sd_of_their_means():
    from econ_pyro.cli.evaluate import aggregate

    def run(fg, purity, distinct, controlled=None):
        r = {"fg_ari": {"mean": fg, "sd": 0.0, "n": 10},
             "specialisation": {"purity": purity, "matched_accuracy": purity,
                                "distinct_experts": distinct}}
        if controlled is not None:
            r["controlled_generation"] = {"layer_class_accuracy": controlled}
        return r

    agg = aggregate([run(0.9, 0.8, True, 0.5), run(0.7, 0.6, False, 0.7)])
    # the sample sd (n - 1): sqrt((0.1**2 + 0.1**2) / 1)
    assert agg["fg_ari"] == {"mean": pytest.approx(0.8), "sd": pytest.approx(0.1414213562),
                             "n": 2}
    assert agg["purity"]["mean"] == pytest.approx(0.7)
    assert agg["purity"]["sd"] == pytest.approx(0.1414213562)
    assert agg["distinct_experts"]["mean"] == pytest.approx(0.5)
    assert agg["controlled_generation"] == {"mean": pytest.approx(0.6),
                                            "sd": pytest.approx(0.1414213562), "n": 2}
    # three seeds: statistics.stdev, and ddof=0 the population sd (round 11's records)
    three = [run(0.846, 0.413, False), run(0.824, 0.403, False), run(0.834, 0.421, False)]
    assert aggregate(three)["fg_ari"]["sd"] == pytest.approx(
        statistics.stdev([0.846, 0.824, 0.834]))
    assert aggregate(three, ddof=0)["fg_ari"]["sd"] == pytest.approx(
        statistics.pstdev([0.846, 0.824, 0.834]))
    # one run: no sample sd; a nan metric in one run is left out of that metric's mean
    assert math.isnan(aggregate(three[:1])["fg_ari"]["sd"])
    three[1]["fg_ari"]["mean"] = float("nan")
    assert aggregate(three)["fg_ari"]["mean"] == pytest.approx(0.840)
    # a run without controlled generation: not aggregated
    assert "controlled_generation" not in aggregate([run(0.9, 0.8, True, 0.5),
                                                     run(0.7, 0.6, False)])
