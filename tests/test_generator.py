import numpy as np
import pytest

from econ_pyro.data import DataError, SceneConfig, generate_scenes, occlusion_stats
from econ_pyro.data.generator import UNIQUE_COLOURS
from econ_pyro.data.shapes import CLASS_IDS, rasterise


def test_deterministic_per_seed():
    a = generate_scenes(50, SceneConfig(), seed=3)
    b = generate_scenes(50, SceneConfig(), seed=3)
    c = generate_scenes(50, SceneConfig(), seed=4)
    for k, v in a.arrays().items():
        np.testing.assert_array_equal(v, getattr(b, k))
    assert not np.array_equal(a.images, c.images)


def test_unique_colours_and_background_range():
    s = generate_scenes(200, SceneConfig(kind="unique"), seed=0)
    assert s.colours[:, 0].max() <= 127
    for name, rgb in UNIQUE_COLOURS.items():
        sel = s.classes == CLASS_IDS[name]
        assert sel.sum() == 200  # one of each class per scene
        assert (s.colours[sel] == rgb).all()


def test_random_colours_range():
    s = generate_scenes(200, SceneConfig(kind="random"), seed=0)
    obj = s.colours[:, 1:]
    assert obj.min() >= 128 and obj.max() <= 255
    assert len(np.unique(obj.reshape(-1, 3), axis=0)) > 500  # really random


@pytest.mark.parametrize("w", [0.0, 0.25, 1.0])
def test_class_colour_blends_the_same_random_draws(w):
    """class_colour w: each object's colour is w x its class's unique colour + (1 - w) x the
    colour the random kind draws with the same seed; shapes, places and background unchanged."""
    rnd = generate_scenes(100, SceneConfig(kind="random"), seed=2)
    mix = generate_scenes(100, SceneConfig(kind="random", class_colour=w), seed=2)
    for k in ("visible", "amodal", "classes", "depth"):
        np.testing.assert_array_equal(getattr(mix, k), getattr(rnd, k))
    np.testing.assert_array_equal(mix.colours[:, 0], rnd.colours[:, 0])
    for name, rgb in UNIQUE_COLOURS.items():
        sel = rnd.classes == CLASS_IDS[name]
        want = np.rint(w * np.array(rgb) + (1 - w) * rnd.colours[sel].astype(float))
        np.testing.assert_array_equal(mix.colours[sel], want)
    for n in range(20):  # the images are painted with the blended colours
        for j in range(1, mix.visible.shape[1]):
            assert (mix.images[n][mix.visible[n, j]] == mix.colours[n, j]).all()


@pytest.mark.parametrize("kw", [{"class_colour": -0.1}, {"class_colour": 1.5},
                                {"kind": "unique", "class_colour": 0.5},
                                {"kind": "dsprites", "class_colour": 0.5}])
def test_bad_class_colour(kw):
    with pytest.raises(DataError, match="class_colour"):
        SceneConfig(**kw)


def test_dsprites_classes():
    s = generate_scenes(100, SceneConfig(kind="dsprites"), seed=0)
    expected = {CLASS_IDS[c] for c in ("square", "ellipse", "heart")}
    assert set(np.unique(s.classes[:, 1:])) == expected


@pytest.mark.parametrize("kind", ["unique", "random", "dsprites", "lowcontrast"])
def test_visible_equals_amodal_minus_front_and_composite(kind):
    s = generate_scenes(100, SceneConfig(kind=kind, min_objects=2, max_objects=5), seed=1)
    n, o1 = s.classes.shape
    for i in range(n):
        order = np.argsort(s.depth[i])  # back to front; absent slots (-1) first, masks empty
        union_front = np.zeros(s.images.shape[1:3], bool)
        img = np.zeros_like(s.images[i])
        for j in order[::-1]:
            if s.classes[i, j] < 0:
                assert not s.amodal[i, j].any() and not s.visible[i, j].any()
                continue
            np.testing.assert_array_equal(s.visible[i, j], s.amodal[i, j] & ~union_front)
            union_front |= s.amodal[i, j]
            img[s.visible[i, j]] = s.colours[i, j]
        # visible masks partition the image and compositing them reproduces it exactly
        np.testing.assert_array_equal(s.visible[i].sum(0), 1)
        np.testing.assert_array_equal(img, s.images[i])


def test_objects_inside_bounds():
    # draw the same objects on a padded canvas: nothing may fall outside the image
    cfg = SceneConfig(min_scale=0.5, max_scale=0.9)
    s = generate_scenes(30, cfg, seed=2)
    rng = np.random.default_rng(0)
    for name in ("circle", "square", "triangle", "ellipse", "heart"):
        m = 200
        side = rng.uniform(4, 30, m)
        cx = side / 2 + rng.random(m) * (32 - side)
        cy = side / 2 + rng.random(m) * (32 - side)
        pad = 8
        big = rasterise(np.full(m, CLASS_IDS[name]), cx + pad, cy + pad, side, 32 + 2 * pad)
        inner = big[:, pad:-pad, pad:-pad]
        assert big.sum() == inner.sum() > 0, name
    assert all(s.amodal[:, 1:].sum(axis=(2, 3)).ravel() > 0)


def test_counts_and_classes_honoured():
    s = generate_scenes(300, SceneConfig(min_objects=4, max_objects=5), seed=0)
    counts = s.present[:, 1:].sum(1)
    assert set(counts) == {4, 5}
    for row in s.classes[:, 1:]:
        obj = row[row >= 0]
        assert set(obj) == {1, 2, 3}  # each class at least once before repeats
    s = generate_scenes(300, SceneConfig(min_objects=2, max_objects=2), seed=0)
    assert all(len(set(r[1:])) == 2 for r in s.classes)  # no repeats by default
    s = generate_scenes(300, SceneConfig(repeat_classes=True), seed=0)
    assert any(len(set(r[1:])) < 3 for r in s.classes)


def test_depth_order_is_random():
    s = generate_scenes(600, SceneConfig(), seed=0)
    front = s.classes[:, 3]
    freq = np.bincount(front, minlength=4)[1:] / 600
    assert np.all(np.abs(freq - 1 / 3) < 0.07)


def test_occlusion_is_frequent_and_substantial():
    st = occlusion_stats(generate_scenes(2000, SceneConfig(), seed=0))
    assert st["occluded_fraction"] > 0.4
    assert st["mean_hidden_area_occluded"] > 0.25


@pytest.mark.parametrize("kw, msg", [
    (dict(kind="nope"), "unknown dataset kind"),
    (dict(image_size=8), "too small"),
    (dict(min_objects=3, max_objects=2), "invalid"),
])
def test_bad_config(kw, msg):
    with pytest.raises(DataError, match=msg):
        SceneConfig(**kw)


def test_bad_count():
    with pytest.raises(DataError, match="positive"):
        generate_scenes(0)
