"""Decomposition quality against generator ground truth.

All functions take numpy arrays.  Ground truth follows the dataset format
(slot 0 background, slot j the j-th object from the back); predictions follow
``decompose``'s format (index i = inference step, i = 0 front-most).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def _comb2(v):
    v = np.asarray(v, dtype=np.float64)
    return v * (v - 1) / 2


def ari(true: np.ndarray, pred: np.ndarray) -> float:
    """Adjusted Rand index of two flat labelings (1.0 when both are trivial and equal)."""
    true, pred = np.asarray(true).ravel(), np.asarray(pred).ravel()
    n = true.size
    if n < 2:
        return 1.0
    _, t = np.unique(true, return_inverse=True)
    _, p = np.unique(pred, return_inverse=True)
    cont = np.bincount(t * (p.max() + 1) + p, minlength=(t.max() + 1) * (p.max() + 1))
    sum_ij = _comb2(cont).sum()
    a = _comb2(np.bincount(t)).sum()
    b = _comb2(np.bincount(p)).sum()
    expected = a * b / _comb2(n)
    top = (a + b) / 2
    if top == expected:
        return 1.0
    return float((sum_ij - expected) / (top - expected))


def segmentation_covering(true: np.ndarray, pred: np.ndarray, ignore=None) -> float:
    """Mean segmentation covering (GENESIS' mSC): each true segment's best IoU, averaged."""
    true, pred = np.asarray(true).ravel(), np.asarray(pred).ravel()
    scores = []
    for lab in np.unique(true):
        if ignore is not None and lab == ignore:
            continue
        m = true == lab
        best = 0.0
        for q in np.unique(pred[m]):
            pm = pred == q
            best = max(best, (m & pm).sum() / (m | pm).sum())
        scores.append(best)
    return float(np.mean(scores)) if scores else float("nan")


def visible_labels(visible: np.ndarray) -> np.ndarray:
    """GT visible segmentation [..., H, W] from masks [..., O+1, H, W]."""
    return np.argmax(visible, axis=-3)


def match_objects(visible: np.ndarray, present: np.ndarray, pred_labels: np.ndarray, n_pred: int):
    """Hungarian matching of GT slots (incl. background) to predicted steps on visible IoU.

    Returns ``step[o]`` (predicted step of GT slot o, -1 if unmatched) for one image.
    """
    slots = np.flatnonzero(present)
    pred = np.stack([pred_labels == i for i in range(n_pred)])  # [T, H, W]
    gt = visible[slots].astype(bool)  # [S, H, W]
    inter = np.einsum("shw,thw->st", gt.astype(np.float32), pred.astype(np.float32))
    union = gt.sum((1, 2))[:, None] + pred.sum((1, 2))[None, :] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    rows, cols = linear_sum_assignment(-iou)
    step = np.full(len(present), -1)
    step[slots[rows]] = cols
    return step


def foreground_matches(step: np.ndarray, visible: np.ndarray, amodal: np.ndarray,
                       present: np.ndarray):
    """``(o, step[o], occluded)`` for each matched foreground slot o of one image.

    ``step`` is :func:`match_objects`' answer; slot 0 (the background) is left out; an
    object is occluded when part of its amodal mask is not visible.
    """
    for o in np.flatnonzero(present):
        if o > 0 and step[o] >= 0:
            yield int(o), int(step[o]), bool((amodal[o] & ~visible[o]).any())


def matched_objects(visible: np.ndarray, amodal: np.ndarray, present: np.ndarray,
                    pred_labels: np.ndarray, n_pred: int):
    """``(n, o, step, occluded)`` for each matched foreground object of a batch of images.

    Masks ``[N, O+1, H, W]`` (bool), ``present`` ``[N, O+1]``, predicted labels
    ``[N, H, W]`` (the step explaining each pixel) from ``n_pred`` steps.
    """
    for n in range(len(pred_labels)):
        step = match_objects(visible[n], present[n], pred_labels[n], n_pred)
        for o, s, occluded in foreground_matches(step, visible[n], amodal[n], present[n]):
            yield n, o, s, occluded


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else 1.0


def specialisation(classes: np.ndarray, experts: np.ndarray, n_classes: int, n_experts: int):
    """Class x expert contingency and purity/accuracy/distinctness from matched objects."""
    table = np.zeros((n_classes, n_experts), dtype=np.int64)
    np.add.at(table, (classes, experts), 1)
    used = table.sum(1) > 0
    majority = table.argmax(1)
    purity = table.max(1)[used].sum() / max(table.sum(), 1)
    r, c = linear_sum_assignment(-table)
    matched_acc = table[r, c].sum() / max(table.sum(), 1)
    distinct = len(set(majority[used].tolist())) == int(used.sum())
    return {"contingency": table.tolist(), "purity": float(purity),
            "matched_accuracy": float(matched_acc), "distinct_experts": bool(distinct),
            "assignment": {int(a): int(b) for a, b in zip(r, c, strict=True) if used[a]},
            "majority_expert": {int(k): int(majority[k]) for k in np.flatnonzero(used)}}


def explained_before_occluder(o: int, step: np.ndarray, visible: np.ndarray,
                              amodal: np.ndarray, depth: np.ndarray, present: np.ndarray) -> bool:
    """Whether object ``o`` of one image was explained before one of its occluders.

    Occluders: the matched objects in front of ``o`` (larger depth rank) whose full shape
    covers part of ``o``'s hidden pixels.  Inference step 0 is the front-most, so an
    occluder explained at a later step than ``o`` means that ``o`` was explained first
    (its scope still held the occluder's pixels: the region KL then charges a completed
    shape of ``o`` for them).
    """
    hidden = amodal[o] & ~visible[o]
    return any(present[o2] and o2 > 0 and depth[o2] > depth[o] and step[o2] > step[o]
               and (amodal[o2] & hidden).any() for o2 in range(len(present)))


def depth_pairs(amodal, depth, present, pred_step):
    """(correct, weight) over overlapping object pairs of one image (background excluded)."""
    correct = total = 0.0
    objs = [o for o in np.flatnonzero(present) if o > 0 and pred_step[o] >= 0]
    for i_, i in enumerate(objs):
        for j in objs[i_ + 1:]:
            w = float((amodal[i] & amodal[j]).sum())
            if w == 0:
                continue
            gt_i_front = depth[i] > depth[j]
            pred_i_front = pred_step[i] < pred_step[j]  # earlier inference step = nearer
            correct += w * (gt_i_front == pred_i_front)
            total += w
    return correct, total


MIN_LAYER_PIXELS = 4


def count_layers(regions: np.ndarray, min_pixels: int = MIN_LAYER_PIXELS) -> np.ndarray:
    """Number of inference steps that took at least ``min_pixels`` visible pixels
    (argmax segmentation), per scene: the predicted count of objects + background."""
    lab = regions.argmax(1)
    T = regions.shape[1]
    counts = np.stack([(lab == i).reshape(len(lab), -1).sum(1) for i in range(T)], 1)
    return (counts >= min_pixels).sum(1)


def kmeans_labels(image: np.ndarray, k: int, iters: int = 15, seed: int = 0) -> np.ndarray:
    """Colour k-means segmentation of one image [H, W, 3] (the colour baseline)."""
    px = image.reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(seed)
    # k-means++-style spread start: farthest-point initialisation
    centres = [px[rng.integers(len(px))]]
    for _ in range(1, k):
        d = np.min(((px[:, None] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(px[int(np.argmax(d))])
    c = np.array(centres)
    for _ in range(iters):
        lab = ((px[:, None] - c[None]) ** 2).sum(-1).argmin(1)
        for j in range(k):
            if (lab == j).any():
                c[j] = px[lab == j].mean(0)
    return lab.reshape(image.shape[:2])


def _summ(values) -> dict:
    v = np.asarray([x for x in values if x == x], dtype=np.float64)
    if not len(v):
        return {"mean": float("nan"), "sd": float("nan"), "n": 0}
    return {"mean": float(v.mean()), "sd": float(v.std()), "n": int(len(v))}


def evaluate_decomposition(gt: dict, pred: dict, n_experts: int, n_classes: int | None = None,
                           seed: int = 0, baselines: bool = True) -> dict:
    """All metrics for scenes ``gt`` (dataset arrays) and a decomposition ``pred``.

    Also computes the baselines with the same code: colour k-means segmentation,
    modal-copy amodal shapes (full shape := visible region), random depth order.
    """
    visible, amodal = gt["visible"].astype(bool), gt["amodal"].astype(bool)
    classes, depth = gt["classes"], gt["depth"]
    images = gt["images"]
    present = classes >= 0
    n_classes = n_classes or int(classes.max()) + 1
    regions, shapes, experts = pred["regions"], pred["shapes"] > 0.5, pred["experts"]
    T = regions.shape[1]
    rng = np.random.default_rng(seed)
    pred_lab = regions.argmax(1)
    true_lab = visible_labels(visible)
    per = {k: [] for k in ("ari", "fg_ari", "msc", "msc_fg", "mse", "amodal_iou",
                           "amodal_iou_occluded", "hidden_recall", "baseline_kmeans_fg_ari",
                           "baseline_modal_iou_occluded", "baseline_modal_hidden_recall",
                           "background_last", "shape_class_accuracy",
                           "occluded_before_occluder")}
    occluded_classes = []  # class id of each occluded object (per["amodal_iou_occluded"])
    object_classes = sorted(set(classes[:, 1:][classes[:, 1:] > 0].tolist()))
    unoccluded_shapes, unoccluded_classes = [], []
    depth_c = depth_w = rand_c = rand_w = 0.0
    cls_list, exp_list = [], []
    for n in range(len(images)):
        fg = true_lab[n] != 0
        per["ari"].append(ari(true_lab[n], pred_lab[n]))
        per["fg_ari"].append(ari(true_lab[n][fg], pred_lab[n][fg]) if fg.sum() > 1 else np.nan)
        per["msc"].append(segmentation_covering(true_lab[n], pred_lab[n]))
        per["msc_fg"].append(segmentation_covering(true_lab[n], pred_lab[n], ignore=0))
        if "reconstruction" in pred:
            img = images[n].astype(np.float32).transpose(2, 0, 1) / 255
            per["mse"].append(float(((pred["reconstruction"][n] - img) ** 2).mean()))
        if baselines:
            km = kmeans_labels(images[n], int(present[n].sum()), seed=seed)
            per["baseline_kmeans_fg_ari"].append(ari(true_lab[n][fg], km[fg]) if fg.sum() > 1
                                                 else np.nan)
        step = match_objects(visible[n], present[n], pred_lab[n], T)
        # ECON explains the background at the last inference step (t = 1), not first
        per["background_last"].append(float(step[0] == T - 1))
        if step[0] >= 0:
            cls_list.append(classes[n, 0])
            exp_list.append(experts[n, step[0]])
        for o, s, occluded in foreground_matches(step, visible[n], amodal[n], present[n]):
            cls_list.append(classes[n, o])
            exp_list.append(experts[n, s])
            v = iou(shapes[n, s], amodal[n, o])
            per["amodal_iou"].append(v)
            if not occluded:
                unoccluded_shapes.append(shapes[n, s])
                unoccluded_classes.append(classes[n, o])
            else:
                hidden = amodal[n, o] & ~visible[n, o]
                per["amodal_iou_occluded"].append(v)
                per["hidden_recall"].append(float((shapes[n, s] & hidden).sum() / hidden.sum()))
                if baselines:
                    per["baseline_modal_iou_occluded"].append(iou(visible[n, o], amodal[n, o]))
                    per["baseline_modal_hidden_recall"].append(0.0)
                before = explained_before_occluder(o, step, visible[n], amodal[n], depth[n],
                                                   present[n])
                per["occluded_before_occluder"].append(float(before))
                occluded_classes.append(int(classes[n, o]))
        c, w = depth_pairs(amodal[n], depth[n], present[n], step)
        depth_c, depth_w = depth_c + c, depth_w + w
        if baselines:
            rand_step = np.where(step >= 0, rng.permutation(len(step)), -1)
            c, w = depth_pairs(amodal[n], depth[n], present[n], rand_step)
            rand_c, rand_w = rand_c + c, rand_w + w
    if unoccluded_shapes:
        # the controlled-generation classifier on the model's own decoded shapes m~ > 0.5 of
        # unoccluded objects: how recognisable its shapes are (a reference for that metric)
        per["shape_class_accuracy"] = list(
            classify_shapes(np.array(unoccluded_shapes), object_classes)
            == np.array(unoccluded_classes))
    out = {k: _summ(v) for k, v in per.items() if v}
    out["per_scene"] = {k: [float(x) for x in per[k]] for k in ("ari", "fg_ari", "msc", "mse")
                        if per[k]}
    out["per_object"] = {k: [float(x) for x in per[k]]
                         for k in ("amodal_iou", "amodal_iou_occluded", "hidden_recall",
                                   "occluded_before_occluder")
                         if per[k]}
    # occluded objects by class: amodal IoU, and the share explained before an occluder
    occ_cls = np.array(occluded_classes)
    occ_iou = np.array(per["amodal_iou_occluded"])
    occ_before = np.array(per["occluded_before_occluder"])
    out["occluded_by_class"] = {
        int(c): {"amodal_iou": float(occ_iou[occ_cls == c].mean()),
                 "before_occluder": float(occ_before[occ_cls == c].mean()),
                 "n": int((occ_cls == c).sum())}
        for c in np.unique(occ_cls)}
    out["depth_order_accuracy"] = {"mean": depth_c / depth_w if depth_w else float("nan"),
                                   "weight": depth_w}
    if baselines:
        out["baseline_random_depth_accuracy"] = {
            "mean": rand_c / rand_w if rand_w else float("nan"), "weight": rand_w}
    out["specialisation"] = specialisation(np.array(cls_list), np.array(exp_list), n_classes,
                                           n_experts)
    out["winners_per_step"] = [np.bincount(experts[:, i], minlength=n_experts).tolist()
                               for i in range(T)]
    # ground-truth count: objects (and background) with enough visible pixels to be found
    gt_count = (visible.reshape(*visible.shape[:2], -1).sum(-1) >= MIN_LAYER_PIXELS).sum(1)
    out["object_count_accuracy"] = _summ((count_layers(regions) == gt_count).astype(np.float64))
    out["n_scenes"] = int(len(images))
    return out


def _normalise_mask(m: np.ndarray, size: int) -> np.ndarray | None:
    """Crop a binary mask to its bounding box and resize it (nearest) to size x size."""
    ys, xs = np.nonzero(m)
    if len(ys) == 0:
        return None
    crop = m[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    yi = (np.arange(size) * crop.shape[0] / size).astype(int)
    xi = (np.arange(size) * crop.shape[1] / size).astype(int)
    return crop[yi][:, xi]


def shape_templates(size: int = 16, render: int = 64) -> dict[int, np.ndarray]:
    """Canonical mask of every generator class, normalised like the masks to classify."""
    from .data.shapes import CLASS_IDS, rasterise

    ids = np.array([c for c in CLASS_IDS.values() if c > 0])
    half = render / 2
    masks = rasterise(ids, np.full(len(ids), half), np.full(len(ids), half),
                      np.full(len(ids), render * 0.9), render)
    return {int(c): _normalise_mask(m, size) for c, m in zip(ids, masks, strict=True)}


def classify_shapes(masks: np.ndarray, classes, size: int = 16) -> np.ndarray:
    """Nearest-template shape classifier for binary masks [N, H, W].

    Each mask is cropped to its bounding box and resized (nearest) to ``size``²,
    as are canonical renderings of the generator's shapes; the mask gets the
    class (among ``classes``) whose template has the highest IoU with it.  Empty
    masks get -1.  Deliberately simple and documented; it is measured on
    generator ground truth in the tests.
    """
    templates = shape_templates(size)
    out = np.full(len(masks), -1)
    for i, m in enumerate(masks):
        norm = _normalise_mask(m, size)
        if norm is not None:
            out[i] = max(classes, key=lambda c: iou(norm, templates[c]))
    return out
