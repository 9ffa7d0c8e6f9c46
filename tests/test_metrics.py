import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from econ_pyro.cli.main import cli
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.metrics import (
    ari,
    depth_pairs,
    evaluate_decomposition,
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
              "hidden_recall"):
        assert m[k]["mean"] == pytest.approx(1.0), k
    assert m["depth_order_accuracy"]["mean"] == 1.0
    sp = m["specialisation"]
    assert sp["purity"] == 1.0 and sp["distinct_experts"] and sp["matched_accuracy"] == 1.0
    assert m["baseline_modal_iou_occluded"]["mean"] < 0.9
    assert 0.3 < m["baseline_random_depth_accuracy"]["mean"] < 0.7


def test_reversed_depth_order_scores_zero():
    scenes = generate_scenes(20, SceneConfig(), seed=1)
    pred = _oracle(scenes, 4)
    # same segmentation, but objects listed back to front (background stays last)
    pred = {k: np.concatenate([v[:, 2::-1], v[:, 3:]], axis=1) for k, v in pred.items()}
    m = evaluate_decomposition(scenes.arrays(), pred, n_experts=4)
    assert m["depth_order_accuracy"]["mean"] == 0.0
    assert m["fg_ari"]["mean"] == pytest.approx(1.0)


def test_evaluate_cli_on_smoke_run(tmp_path):
    run = tmp_path / "r"
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--max-steps", "3",
                                   "--out", str(run)])
    assert res.exit_code == 0
    res = CliRunner().invoke(cli, ["evaluate", str(run), "--n", "20",
                                   "--out", str(tmp_path / "m.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["n_scenes"] == 20 and 0 <= m["fg_ari"]["mean"] <= 1
    assert len(m["specialisation"]["contingency"]) == 4
