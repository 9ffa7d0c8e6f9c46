"""Expert VAE networks (App. C.2.1): conv encoder g_k and spatial-broadcast decoder f_k.

:class:`ShapeAppearanceEncoder` / :class:`ShapeAppearanceDecoder` factorise them (a deviation,
``model.shape_latent_dim``): the shape latent is read from the region alone and is all the
shape decoder sees, so the region term L_r cannot depend on the object's colour.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .ops import max_pool2


class Encoder(nn.Module):
    """g_k(x, r) -> (mu, log sigma^2) in R^L.

    Blocks of 3x3 conv + ReLU + 2x2 max-pool on RGB + region (on the region alone when
    ``image`` is false), then FC to 4L (or ``hidden``) with ReLU and FC to 2L.
    """

    def __init__(self, image_size: int, latent_dim: int, layers: int = 3, features: int = 32,
                 hidden: int | None = None, image: bool = True):
        super().__init__()
        hidden = 4 * latent_dim if hidden is None else hidden
        self.image = image
        convs, c = [], 4 if image else 1
        for _ in range(layers):
            convs.append(nn.Conv2d(c, features, 3, padding=1))
            c = features
        self.convs = nn.ModuleList(convs)
        side = image_size // 2**layers
        self.fc1 = nn.Linear(features * side * side, hidden)
        self.fc2 = nn.Linear(hidden, 2 * latent_dim)

    def forward(self, x: torch.Tensor, region: torch.Tensor):
        h = torch.cat([x, region], dim=1) if self.image else region
        for conv in self.convs:
            h = max_pool2(F.relu(conv(h), inplace=True))
        mu, logvar = self.fc2(F.relu(self.fc1(h.flatten(1)))).chunk(2, dim=-1)
        return mu, logvar


class BroadcastDecoder(nn.Module):
    """f_k(z) -> (appearance mu in [0,1]^{3xD}, shape m~ in [0,1]^D).

    z is tiled over the image, x/y coordinate grids in [-1, 1] are appended,
    then 3x3 conv + ReLU blocks and a 1x1 conv with sigmoid to 4 channels (``outputs``:
    :meth:`maps` gives them all; ``forward`` splits 4 into appearance and shape).
    """

    def __init__(self, image_size: int, latent_dim: int, layers: int = 3, features: int = 32,
                 outputs: int = 4):
        super().__init__()
        self.image_size = image_size
        lin = torch.linspace(-1, 1, image_size)
        yy, xx = torch.meshgrid(lin, lin, indexing="ij")
        self.register_buffer("coords", torch.stack([xx, yy])[None], persistent=False)
        convs, c = [], latent_dim + 2
        for _ in range(layers):
            convs.append(nn.Conv2d(c, features, 3, padding=1))
            c = features
        self.convs = nn.ModuleList(convs)
        self.head = nn.Conv2d(c, outputs, 1)

    def forward(self, z: torch.Tensor):
        out = self.maps(z)
        return out[:, :3], out[:, 3:]

    def maps(self, z: torch.Tensor) -> torch.Tensor:
        s = self.image_size
        h = torch.cat([z[:, :, None, None].expand(-1, -1, s, s),
                       self.coords.expand(z.shape[0], -1, -1, -1)], dim=1)
        for conv in self.convs:
            h = F.relu(conv(h), inplace=True)
        return torch.sigmoid(self.head(h))


class ShapeAppearanceEncoder(nn.Module):
    """z = (z_shape, z_app): the first ``shape_dim`` dims from the region alone, the others
    from image and region (each an :class:`Encoder`)."""

    def __init__(self, image_size: int, latent_dim: int, shape_dim: int, layers: int = 3,
                 features: int = 32, hidden: int | None = None):
        super().__init__()
        self.shape = Encoder(image_size, shape_dim, layers, features, hidden, image=False)
        self.appearance = Encoder(image_size, latent_dim - shape_dim, layers, features, hidden)

    def forward(self, x: torch.Tensor, region: torch.Tensor):
        (mu_s, logvar_s), (mu_a, logvar_a) = self.shape(x, region), self.appearance(x, region)
        return torch.cat([mu_s, mu_a], dim=-1), torch.cat([logvar_s, logvar_a], dim=-1)


class ShapeAppearanceDecoder(nn.Module):
    """Shape m~ from z_shape (the first ``shape_dim`` dims) alone, appearance mu from all of z
    (each a :class:`BroadcastDecoder`)."""

    def __init__(self, image_size: int, latent_dim: int, shape_dim: int, layers: int = 3,
                 features: int = 32):
        super().__init__()
        self.shape_dim = shape_dim
        self.shape = BroadcastDecoder(image_size, shape_dim, layers, features, outputs=1)
        self.appearance = BroadcastDecoder(image_size, latent_dim, layers, features, outputs=3)

    def forward(self, z: torch.Tensor):
        return self.appearance.maps(z), self.shape.maps(z[:, :self.shape_dim])
