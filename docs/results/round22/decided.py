"""usage: decided.py RUN [RUN ...] -- did train.restart_merged_until (the window after
restart_merged_at) or train.reserve_background_merged_below decide anything in a run?  For
each attempt: the window's restarts (restart checks after the one at restart_merged_at that
asked for a restart) and the reservation checks that failed on the merge share alone (the
other guards passed), with the preset's guards read from the run's config.json."""
import json
import sys
from pathlib import Path

for run in map(Path, sys.argv[1:]):
    tr = json.loads((run / "config.json").read_text())["train"]
    need_last = tr["reserve_background_last_largest"]
    need_spare = tr["reserve_background_spare_below"]
    for metrics in [*sorted(run.glob("attempts/*/metrics.jsonl")), run / "metrics.jsonl"]:
        recs = [json.loads(line) for line in metrics.open()]
        window = [(d["step"], round(d["restart_check"]["merged_share"], 2)) for d in recs
                  if "restart_check" in d and d["step"] != tr["restart_merged_at"]
                  and d["restart_check"].get("restart")]
        guard = [(d["step"], round(c["merged_share"], 2)) for d in recs
                 if (c := d.get("reservation_check")) and not c["passed"]
                 and c["last_largest"] >= need_last and c["spare_share"] < need_spare]
        shares = [d["restart_check"]["merged_share"] for d in recs if "restart_check" in d]
        print(f"{metrics.parent}: window restarts {window or 'none'}; reservation held back by "
              f"the merge share alone {guard or 'none'}; merge share max "
              f"{max(shares, default=float('nan')):.2f} over {len(shares)} checks")
