"""Neural networks of an expert (App. C.2); no probabilistic code here."""

from .attention import AttentionUNet
from .experts import Expert, ExpertEnsemble
from .vae import BroadcastDecoder, Encoder, ShapeAppearanceDecoder, ShapeAppearanceEncoder

__all__ = ["AttentionUNet", "BroadcastDecoder", "Encoder", "Expert", "ExpertEnsemble",
           "ShapeAppearanceDecoder", "ShapeAppearanceEncoder"]
