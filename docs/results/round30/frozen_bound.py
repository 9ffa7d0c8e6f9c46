"""Round 30: `econ-pyro train` with every expert's decoder frozen (round 29's
freeze_decoders.py) *and* the winners' attention logits kept where the sigmoid has a slope
(round 29's one_part.py with LOGIT_BOUND; ONE_PART_WEIGHT=0 for no one-part push).  Same
arguments as `econ-pyro train`; the environment variables of one_part.py.

Round 29 tried each alone on scenes whose classes repeat and neither split a same-class pair:
with the decoders frozen the attention's logits on the objects it takes stayed saturated
(median 13.7: sigmoid slope ~1e-6, so the region term's disagreement with the one-object
shapes never reached the attention net), and with the logits bounded the decoders learnt to
draw the two-object blob.  Question: does the region term, with one-object decoders and an
attention that can hear it, split same-coloured pairs?
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "round29"))
import freeze_decoders  # noqa: E402,F401  (patches Trainer._freeze_attention)
import one_part  # noqa: E402,F401  (patches the winners' attention: push / logit bound)

from econ_pyro.cli.train import train  # noqa: E402

if __name__ == "__main__":
    sys.exit(train.main(sys.argv[1:], standalone_mode=False) or 0)
