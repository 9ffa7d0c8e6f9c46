"""usage: time_to_target.py RUN [RUN ...] -- the first validation evaluation (dashboard) at
which FG-ARI >= 0.9 and purity >= 0.9 with distinct experts (#7's numbers), with its step and
training seconds, and whether every later evaluation kept them."""
import json
import sys

for run in sys.argv[1:]:
    evals = [d for d in map(json.loads, open(f"{run}/metrics.jsonl")) if "dashboard" in d]

    def ok(d):
        b = d["dashboard"]
        return b["fg_ari"] >= 0.9 and b["purity"] >= 0.9 and b["distinct_experts"]
    hits = [i for i, d in enumerate(evals) if ok(d)]
    if not hits:
        print(f"{run}: not reached in {len(evals)} evaluations (last step {evals[-1]['step']})")
        continue
    d = evals[hits[0]]
    kept = all(ok(e) for e in evals[hits[0]:])
    print(f"{run}: first at step {d['step']} ({d['elapsed']:.0f} s); held at every later "
          f"evaluation: {kept} ({sum(map(ok, evals[hits[0]:]))} of {len(evals) - hits[0]})")
