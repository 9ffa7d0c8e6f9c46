"""Rasterisation of the sprite shapes used by the scene generator.

Every shape is drawn inside its axis-aligned bounding box of side ``size``
centred at ``(cx, cy)`` (pixel units, pixel centres at ``i + 0.5``), so an
object whose box lies inside the image lies inside the image.
"""

from __future__ import annotations

import numpy as np

#: class ids; 0 is reserved for the background.
CLASS_IDS = {"background": 0, "circle": 1, "square": 2, "triangle": 3, "ellipse": 4, "heart": 5}
CLASS_NAMES = {v: k for k, v in CLASS_IDS.items()}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.arange(size, dtype=np.float32) + 0.5
    return c[None, None, :], c[None, :, None]  # x varies along width, y along height


def rasterise(classes: np.ndarray, cx: np.ndarray, cy: np.ndarray, size: np.ndarray,
              image_size: int) -> np.ndarray:
    """Boolean masks ``[M, image_size, image_size]`` for M objects (vectorised)."""
    x, y = _grid(image_size)
    cx = cx.astype(np.float32)[:, None, None]
    cy = cy.astype(np.float32)[:, None, None]
    h = (size.astype(np.float32) / 2)[:, None, None]  # half side of the bounding box
    dx, dy = x - cx, y - cy
    masks = np.zeros((len(classes), image_size, image_size), dtype=bool)
    for name, cid in CLASS_IDS.items():
        sel = classes == cid
        if cid == 0 or not sel.any():
            continue
        ddx, ddy, hh = dx[sel], dy[sel], h[sel]
        if name == "circle":
            m = ddx**2 + ddy**2 <= hh**2
        elif name == "square":
            m = (np.abs(ddx) <= hh) & (np.abs(ddy) <= hh)
        elif name == "triangle":  # apex up, base at the bottom of the box
            m = (ddy <= hh) & (np.abs(ddx) <= (ddy + hh) / 2)
        elif name == "ellipse":  # horizontal, aspect 0.6
            m = (ddx / hh) ** 2 + (ddy / (0.6 * hh)) ** 2 <= 1
        else:  # heart: (u^2 + v^2 - 1)^3 - u^2 v^3 <= 0, scaled into the box
            u = ddx / hh * 1.2
            v = -ddy / hh * 1.2 + 0.1
            m = (u**2 + v**2 - 1) ** 3 - u**2 * v**3 <= 0
        masks[sel] = m
    return masks
