"""Where would the late reservation options have acted in the guarded runs on record?  For
every training log under docs/results/round*/ in which the background reservation's guard
waited ("background reservation waits: the last step's region is the largest in X% ...,
spare expert k won Y% of the object steps (needs < S)[, expert j won two or more object
steps in M% of them (needs < G)]"), the checks at step FROM or later before any
reservation, and at the first of them
  * taker: the last step's region the largest in under BELOW of the scenes
    (train.reserve_background_taker_from = FROM reserves the expert taking the largest
    region there), or
  * spare: every guard passed but the spare's (train.reserve_background_spare_until = FROM
    reserves the spare there).
Reads logs only: what the options would then have done is not known from them.
Usage (from docs/results): python round24/late_reservations.py [FROM] [BELOW]"""
import re
import sys
from pathlib import Path

FROM = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
BELOW = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
WAIT = re.compile(r"step (\d+): background reservation waits: the last step's region is the "
                  r"largest in (\d+)% of the validation scenes \(needs ([\d.]+|None)\), spare "
                  r"expert \d+ won ([\d.]+)% of the object steps \(needs < ([\d.]+|None)\)"
                  r"(?:, expert \d+ won two or more object steps in (\d+)% of them \(needs < "
                  r"([\d.]+|None)\))?")
RESERVED = re.compile(r"step (\d+): expert \d+ \(object-step wins .*?\) now explains only")


def need(v):
    return None if v in (None, "", "None") else float(v)


counts = {"taker": 0, "spare": 0, "neither": 0}
for log in sorted(Path(".").glob("round*/**/*.log")):
    text = log.read_text(errors="replace")
    res = RESERVED.search(text)
    at = int(res.group(1)) if res else None
    late = []
    for step, last, n_last, _spare, _n_spare, merged, n_merged in WAIT.findall(text):
        if int(step) >= FROM and (at is None or int(step) < at):
            last, n_last, n_merged = int(last) / 100, need(n_last), need(n_merged)
            others = (n_last is None or last >= n_last) and \
                (n_merged is None or int(merged or 0) / 100 < n_merged)
            late.append((int(step), last, others))
    if not late:  # reserved before FROM, no guard, or no check logged from FROM on
        continue
    what = "neither"
    for step, last, others in late:
        if last < BELOW:
            what = f"taker at {step} (last-largest {last:.2f})"
            counts["taker"] += 1
            break
        if others:
            what = f"spare at {step} (last-largest {last:.2f}; only the spare guard failed)"
            counts["spare"] += 1
            break
    else:
        counts["neither"] += 1
        lasts = [last for _, last, _ in late]
        what = f"neither: last-largest {min(lasts):.2f}-{max(lasts):.2f}, another guard failed"
    print(f"{str(log):40s} reserved at {str(at) if at else 'never':>5s}  checks from {FROM}: "
          f"{len(late):2d}  {what}")
print(f"\nruns with a waiting check from step {FROM} on: {sum(counts.values())}; first to act: "
      f"taker (last-largest < {BELOW}) {counts['taker']}, spare {counts['spare']}, "
      f"neither {counts['neither']}")
