"""Round 29: `econ-pyro train` with every expert's decoder frozen from the first step (only the
attention nets and encoders train).  Same arguments as `econ-pyro train`.

Question: with a decoder that (from the one-object-per-class training) draws one object, does
the region term teach the attention to take one of two same-coloured objects?
"""
import sys
import warnings

from econ_pyro.cli.train import train
from econ_pyro.training import trainer as T

_orig = T.Trainer._freeze_attention


def _freeze(self, step):
    if not getattr(self, "_decoders_frozen", False):
        for expert in self.econ.experts.experts:
            expert.decoder.requires_grad_(False)
        warnings.filterwarnings("ignore", message=r".*not registered in the param store "
                                r"because requires_grad=False")
        self._decoders_frozen = True
        self.log(f"step {step}: decoders frozen (round 29's freeze_decoders.py)")
    _orig(self, step)


T.Trainer._freeze_attention = _freeze
if __name__ == "__main__":
    sys.exit(train.main(sys.argv[1:], standalone_mode=False) or 0)
