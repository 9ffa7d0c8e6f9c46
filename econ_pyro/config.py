"""Configuration of the ECON model (networks, objective, competition)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

SCORE_FORMS = ("paper", "area", "region")
COMPETITION_MODES = ("stochastic", "deterministic")
EXPERT_STRATEGIES = ("loop", "vmap")


class ConfigError(ValueError):
    """An invalid configuration value; the message is meant for the user."""


@dataclass
class ECONConfig:
    # layers and experts (K - 1 object classes + background; T layers, t = 1 is background)
    n_experts: int = 4
    n_steps: int = 4
    image_size: int = 32
    latent_dim: int = 3
    # attention U-Net a_k (App. C.2.2): output channels of the down blocks
    attention_channels: tuple[int, ...] = (32, 64, 64, 64)
    # encoder g_k / decoder f_k (App. C.2.1): number of blocks and features per block
    vae_layers: int = 3
    vae_features: int = 32
    # width of the encoder's first fully connected layer (None: 4 * latent_dim, App. C.2.1);
    # a deviation when set (docs/SPECIALISATION.md, round 15)
    encoder_hidden: int | None = None
    # a factorised expert VAE (a deviation; 0: the paper's one encoder and decoder): the first
    # shape_latent_dim dims of z are encoded from the region alone and are all the decoder's
    # shape m~ sees; the others are encoded from image and region and, with them, give the
    # appearance.  The region term L_r then cannot read the object's colour, which is where a
    # unique-colour model's class signal sits (docs/SPECIALISATION.md, rounds 26-27)
    shape_latent_dim: int = 0
    # objective, eq. 13: L_x + beta * L_z + gamma * L_r, with pixel noise sigma_x (eq. 5)
    beta: float = 1.0
    gamma: float = 1.0
    sigma_x: float = 0.1
    # competition (sec. 5.2): P(k) ∝ exp(-score / temperature)
    competition: str = "stochastic"  # or "deterministic" (argmax)
    score: str = "paper"  # "paper": lam*L_x + L_r; "area": L_x per attended pixel; "region": L_r
    lam: float = 1.0
    area_power: float = 1.0  # score "area": L_x * (|s| / |r~|) ** area_power
    temperature: float = 1.0
    # deviation (docs/SPECIALISATION.md, round 8): a proposal attending fewer pixels than
    # this loses to every proposal attending more, unless all attend fewer (0: off)
    min_region: float = 0.0
    # deviation (docs/SPECIALISATION.md, round 10): a proposal attending more pixels than
    # this loses to every proposal attending fewer, unless all attend more -- an object is
    # never larger than this, so the background cannot win an object step (0: off)
    max_region: float = 0.0
    # whether later steps' losses send gradients through the scope into earlier winners
    detach_scope: bool = False
    # prior p(k_t) over experts (None = uniform)
    expert_prior: tuple[float, ...] | None = None
    # deviation from the paper (issue #7, docs/SPECIALISATION.md): an expert reserved for
    # the background -- it alone explains the last step t = 1 and never competes for
    # objects (None: every expert competes at every step, as in the paper)
    background_expert: int | None = None
    # how the K experts are evaluated in the competition: python loop or torch.func.vmap
    expert_strategy: str = "loop"

    def __post_init__(self):
        self.attention_channels = tuple(int(c) for c in self.attention_channels)
        if self.expert_prior is not None:
            self.expert_prior = tuple(float(p) for p in self.expert_prior)
        self.validate()

    def validate(self) -> None:
        def need(ok, msg):
            if not ok:
                raise ConfigError(msg)

        need(self.n_experts >= 1, f"n_experts must be >= 1, got {self.n_experts}")
        need(self.n_steps >= 1, f"n_steps must be >= 1, got {self.n_steps}")
        need(self.latent_dim >= 1, f"latent_dim must be >= 1, got {self.latent_dim}")
        need(self.vae_layers >= 1 and self.vae_features >= 1,
             "vae_layers and vae_features must be >= 1")
        need(0 <= self.shape_latent_dim < self.latent_dim,
             f"shape_latent_dim must be in [0, latent_dim - 1] = [0, {self.latent_dim - 1}] "
             f"(the appearance needs a latent dim too), got {self.shape_latent_dim}")
        need(self.encoder_hidden is None or self.encoder_hidden >= 1,
             f"encoder_hidden must be None or >= 1, got {self.encoder_hidden}")
        depth = len(self.attention_channels)
        need(depth >= 1 and all(c >= 1 for c in self.attention_channels),
             "attention_channels must be a non-empty list of positive ints")
        need(self.image_size % (2**depth) == 0 and self.image_size >= 2 ** (depth + 1),
             f"image_size {self.image_size} must be a multiple of 2**{depth} (U-Net depth) "
             f"and at least {2 ** (depth + 1)}")
        need(self.image_size % (2**self.vae_layers) == 0,
             f"image_size {self.image_size} must be divisible by 2**vae_layers")
        need(self.sigma_x > 0, "sigma_x must be positive")
        need(self.beta >= 0 and self.gamma >= 0 and self.lam >= 0, "beta, gamma, lam must be >= 0")
        need(self.temperature > 0, "temperature must be positive")
        need(0 <= self.area_power <= 1, f"area_power must be in [0, 1], got {self.area_power}")
        need(self.min_region >= 0, f"min_region must be >= 0, got {self.min_region}")
        need(self.max_region >= 0, f"max_region must be >= 0, got {self.max_region}")
        need(not self.max_region or self.max_region > self.min_region,
             f"max_region ({self.max_region}) must exceed min_region ({self.min_region})")
        need(self.competition in COMPETITION_MODES,
             f"competition must be one of {COMPETITION_MODES}, got {self.competition!r}")
        need(self.score in SCORE_FORMS, f"score must be one of {SCORE_FORMS}, got {self.score!r}")
        need(self.expert_strategy in EXPERT_STRATEGIES,
             f"expert_strategy must be one of {EXPERT_STRATEGIES}, got {self.expert_strategy!r}")
        if self.background_expert is not None:
            need(self.n_experts >= 2 and 0 <= self.background_expert < self.n_experts,
                 f"background_expert must be an expert index 0..{self.n_experts - 1} and "
                 "n_experts >= 2")
        if self.expert_prior is not None:
            need(len(self.expert_prior) == self.n_experts and all(p >= 0 for p in self.expert_prior)
                 and sum(self.expert_prior) > 0,
                 "expert_prior must have n_experts non-negative entries with a positive sum")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["attention_channels"] = list(self.attention_channels)
        if self.expert_prior is not None:
            d["expert_prior"] = list(self.expert_prior)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ECONConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown model config key(s): {', '.join(unknown)}")
        return cls(**d)
