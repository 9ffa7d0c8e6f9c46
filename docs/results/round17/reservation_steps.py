"""When did the guarded runs on record reserve their background expert?  Reads every training
log under docs/results/round*/ in which the guard waited at least once ("background
reservation waits"), and prints the step of the reservation (or "never" with the last step
logged).  A guarded run that reserved at its first check (step 1500) logs no wait and looks
like a fixed-step reservation, so it is not listed.
Usage (from docs/results): python round17/reservation_steps.py"""
import re
from pathlib import Path

rows = []
for log in sorted(Path(".").glob("round*/**/*.log")):
    text = log.read_text(errors="replace")
    waits = len(re.findall(r"background reservation waits", text))
    if not waits and "now explains only the last step" not in text:
        continue
    res = re.search(r"step (\d+): expert \d+ \(object-step wins .*?\) now explains only", text)
    steps = [int(s) for s in re.findall(r"step +(\d+) +validation loss", text)]
    if not waits:  # no guard (fixed-step reservation): not the question here
        continue
    rows.append((str(log), int(res.group(1)) if res else None, waits, max(steps or [0])))
for name, at, waits, last in rows:
    print(f"{name:45s} reserved at {str(at) if at else 'never':>6s}  guard waited {waits:2d} times"
          f"  last step logged {last}")
reserved = [r[1] for r in rows if r[1]]
never = [r for r in rows if not r[1]]
print(f"\n{len(rows)} guarded runs: {len(reserved)} reserved, at steps {min(reserved)}-"
      f"{max(reserved)} (median {sorted(reserved)[len(reserved) // 2]}); {len(never)} never, "
      f"logged to steps {sorted(r[3] for r in never)}")
