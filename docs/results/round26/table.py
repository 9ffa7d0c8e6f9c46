"""Round 26: one table row per held-out evaluation (ev/*.json, written by econ-pyro evaluate),
with round 25's metric columns and the class x expert table.
usage: python table.py ev/RUN.json ..."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "round25"))
from best_vs_last import KEYS, fmt, metrics  # noqa: E402

print("| run | " + " | ".join(KEYS) + " | class x expert |")
print("|---" * (len(KEYS) + 2) + "|")
for arg in sys.argv[1:]:
    path = Path(arg)
    m = metrics(path)
    table = json.loads(path.read_text())["specialisation"]["contingency"]
    print(f"| {path.stem} | " + " | ".join(fmt(m[k]) for k in KEYS)
          + f" | `{json.dumps(table).replace(' ', '')}` |")
