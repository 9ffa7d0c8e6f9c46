"""Seeded procedural generator of sprite scenes (paper App. C.1) with full ground truth.

A scene is drawn as a dead-leaves process: a uniformly coloured background
(each RGB channel uniform in 0..127), then objects painted back to front.
Objects are stored in *depth order*: slot 0 is the background, slot j >= 1 is
the j-th object from the back (so the depth rank of slot j is j).

Object size: the side of each object's bounding box is uniform in
``[min_scale, max_scale] * image_size`` (default 0.35-0.5); its position is
uniform such that the box lies fully inside the image.  At 32x32 with three
objects this gives frequent, substantial occlusion (see ``occlusion_stats``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .shapes import CLASS_IDS, rasterise

#: kinds of dataset; each names its shape classes and colour rule.
KINDS = {
    "unique": ("circle", "square", "triangle"),  # colour fixed by class
    "random": ("circle", "square", "triangle"),  # object channels uniform 128..255
    "dsprites": ("square", "ellipse", "heart"),  # Multi-dSprites-like shapes, random colours
    "lowcontrast": ("circle", "square", "triangle"),  # object colour close to the background
}
UNIQUE_COLOURS = {"circle": (255, 0, 0), "square": (0, 255, 0), "triangle": (0, 0, 255)}
MIN_IMAGE_SIZE = 16


class DataError(ValueError):
    """Bad dataset options or unreadable data; the message is meant for the user."""


@dataclass(frozen=True)
class SceneConfig:
    kind: str = "unique"
    image_size: int = 32
    min_objects: int = 3
    max_objects: int = 3
    repeat_classes: bool = False  # draw every class i.i.d. (else each class at most once first)
    min_scale: float = 0.35
    max_scale: float = 0.5
    # random colours only: each object's colour is class_colour x its class's unique colour
    # + (1 - class_colour) x its random colour (0: random colours; 1: the unique colours;
    # a colour curriculum moves it from 1 to 0, econ_pyro/training: data.colour_curriculum)
    class_colour: float = 0.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise DataError(f"unknown dataset kind {self.kind!r}; choose one of {sorted(KINDS)}")
        if self.image_size < MIN_IMAGE_SIZE:
            raise DataError(f"image size {self.image_size} is too small for the objects "
                            f"(minimum {MIN_IMAGE_SIZE})")
        if not 1 <= self.min_objects <= self.max_objects:
            raise DataError(f"object count range {self.min_objects}-{self.max_objects} is invalid")
        if not 0 < self.min_scale <= self.max_scale <= 1:
            raise DataError("object scales must satisfy 0 < min_scale <= max_scale <= 1")
        if not 0 <= self.class_colour <= 1:
            raise DataError(f"class_colour must be in [0, 1], got {self.class_colour}")
        if self.class_colour and self.kind != "random":
            raise DataError("class_colour blends random colours with the unique ones: it needs "
                            f"kind 'random', not {self.kind!r}")

    @property
    def classes(self) -> tuple[str, ...]:
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Scenes:
    """A batch of N scenes; slot 0 of the per-object arrays is the background."""

    images: np.ndarray  # [N, S, S, 3] uint8
    visible: np.ndarray  # [N, O+1, S, S] bool, visible masks (background included)
    amodal: np.ndarray  # [N, O+1, S, S] bool, full unoccluded shapes (background: all ones)
    classes: np.ndarray  # [N, O+1] int16, class id (0 background, -1 absent slot)
    colours: np.ndarray  # [N, O+1, 3] uint8
    depth: np.ndarray  # [N, O+1] int16, depth rank (0 background, larger = in front, -1 absent)

    FIELDS = ("images", "visible", "amodal", "classes", "colours", "depth")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def present(self) -> np.ndarray:
        return self.classes >= 0

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.FIELDS}

    def subset(self, idx) -> Scenes:
        return Scenes(**{k: v[idx] for k, v in self.arrays().items()})


def _draw_classes(rng: np.random.Generator, n_obj: np.ndarray, cfg: SceneConfig,
                  o_max: int) -> np.ndarray:
    """Class ids [N, o_max] in back-to-front order (-1 where absent)."""
    n = len(n_obj)
    ids = np.array([CLASS_IDS[c] for c in cfg.classes])
    c = len(ids)
    if cfg.repeat_classes:
        out = ids[rng.integers(0, c, size=(n, o_max))]
    else:  # each class once (random subset when fewer objects), extra objects uniform
        perm = np.argsort(rng.random((n, c)), axis=1)
        base = ids[perm]
        extra = ids[rng.integers(0, c, size=(n, max(o_max - c, 0)))]
        out = np.concatenate([base, extra], axis=1)[:, :o_max]
        # shuffle the chosen objects' depth order (extras must not always be in front)
        keys = rng.random((n, o_max))
        keys[np.arange(o_max)[None, :] >= n_obj[:, None]] = 2.0  # absent slots go last
        out = np.take_along_axis(out, np.argsort(keys, axis=1), axis=1)
    out = out.astype(np.int16)
    out[np.arange(o_max)[None, :] >= n_obj[:, None]] = -1
    return out


def _unique_colours(classes) -> np.ndarray:
    table = np.zeros((max(CLASS_IDS.values()) + 1, 3), dtype=np.uint8)
    for name, rgb in UNIQUE_COLOURS.items():
        table[CLASS_IDS[name]] = rgb
    return table[np.clip(classes, 0, None)]


def _draw_colours(rng, classes, bg, cfg) -> np.ndarray:
    n, o = classes.shape
    if cfg.kind == "unique":
        col = _unique_colours(classes)
    elif cfg.kind == "lowcontrast":
        delta = rng.integers(24, 49, size=(n, o, 3)) * rng.choice([-1, 1], size=(n, o, 3))
        col = np.clip(bg[:, None, :].astype(int) + delta, 0, 255).astype(np.uint8)
    else:
        col = rng.integers(128, 256, size=(n, o, 3)).astype(np.uint8)
        if cfg.class_colour:  # the same draws, blended towards the class colours
            w = cfg.class_colour
            col = np.rint(w * _unique_colours(classes) + (1 - w) * col).astype(np.uint8)
    col[classes < 0] = 0
    return col


def generate_scenes(n: int, cfg: SceneConfig | None = None, seed=0) -> Scenes:
    """Generate ``n`` scenes; identical for identical ``(cfg, seed)``.

    ``seed`` is anything ``numpy.random.default_rng`` accepts (e.g. ``(seed, step)``).
    """
    cfg = cfg or SceneConfig()
    if n <= 0:
        raise DataError(f"number of scenes must be positive, got {n}")
    rng = np.random.default_rng(seed)
    s, o = cfg.image_size, cfg.max_objects
    n_obj = rng.integers(cfg.min_objects, cfg.max_objects + 1, size=n)
    bg = rng.integers(0, 128, size=(n, 3)).astype(np.uint8)
    classes = _draw_classes(rng, n_obj, cfg, o)
    colours = _draw_colours(rng, classes, bg, cfg)
    side = rng.uniform(cfg.min_scale, cfg.max_scale, size=(n, o)) * s
    cx = side / 2 + rng.random((n, o)) * (s - side)
    cy = side / 2 + rng.random((n, o)) * (s - side)

    amodal_obj = rasterise(classes.reshape(-1), cx.reshape(-1), cy.reshape(-1),
                           side.reshape(-1), s).reshape(n, o, s, s)
    amodal_obj &= (classes >= 0)[:, :, None, None]

    # visible = amodal minus the union of everything in front (front to back sweep)
    visible_obj = np.zeros_like(amodal_obj)
    covered = np.zeros((n, s, s), dtype=bool)
    for j in range(o - 1, -1, -1):
        visible_obj[:, j] = amodal_obj[:, j] & ~covered
        covered |= amodal_obj[:, j]

    images = np.broadcast_to(bg[:, None, None, :], (n, s, s, 3)).copy()
    for j in range(o):  # paint back to front (dead leaves)
        m = amodal_obj[:, j]
        images[m] = np.broadcast_to(colours[:, j, None, None, :], (n, s, s, 3))[m]

    full = np.ones((n, 1, s, s), dtype=bool)
    depth = np.where(classes >= 0, np.arange(1, o + 1)[None, :], -1).astype(np.int16)
    return Scenes(
        images=images,
        visible=np.concatenate([~covered[:, None], visible_obj], axis=1),
        amodal=np.concatenate([full, amodal_obj], axis=1),
        classes=np.concatenate([np.zeros((n, 1), np.int16), classes], axis=1),
        colours=np.concatenate([bg[:, None, :], colours], axis=1),
        depth=np.concatenate([np.zeros((n, 1), np.int16), depth], axis=1),
    )


def occlusion_stats(scenes: Scenes) -> dict[str, float]:
    """Fraction of objects that are occluded, and mean occluded fraction of their area."""
    am = scenes.amodal[:, 1:].sum(axis=(2, 3)).astype(np.float64)
    vis = scenes.visible[:, 1:].sum(axis=(2, 3)).astype(np.float64)
    present = scenes.present[:, 1:]
    hidden = np.where(present, (am - vis) / np.maximum(am, 1), 0.0)
    occluded = present & (hidden > 0)
    return {
        "objects": int(present.sum()),
        "occluded_fraction": float(occluded.sum() / max(present.sum(), 1)),
        "mean_hidden_area_all": float(hidden[present].mean()) if present.any() else 0.0,
        "mean_hidden_area_occluded": float(hidden[occluded].mean()) if occluded.any() else 0.0,
        "fully_hidden_objects": int((present & (vis == 0)).sum()),
    }
