"""Competition temperature schedules (issue #7).

``temperature_at`` returns tau for a training step.  Schedules, all from
``train.temperature_start`` to ``train.temperature_end`` over ``train.anneal_steps``:

* ``"geometric"``: tau = start * (end / start) ** (s / n)  (log-linear);
* ``"linear"``:    tau = start + (end - start) * s / n;
* ``"constant"``:  tau = start throughout.

``train.temperature_floor`` bounds tau from below (e.g. to keep the competition
stochastic so experts cannot die once it is annealed).  ``anneal_from`` restarts
the anneal at a given step (the temperature bump of a dead-expert remedy).
Without ``temperature_start`` the model's own ``temperature`` is used unchanged.
"""

from __future__ import annotations

SCHEDULES = ("geometric", "linear", "constant")


def temperature_at(train_cfg: dict, model_cfg, step: int, anneal_from: int = 0) -> float:
    start = train_cfg.get("temperature_start")
    if start is None:
        return float(model_cfg.temperature)
    end = train_cfg.get("temperature_end", 1.0)
    n = max(int(train_cfg.get("anneal_steps", 1)), 1)
    kind = train_cfg.get("temperature_schedule", "geometric")
    frac = min(max(step - anneal_from, 0) / n, 1.0)
    if kind == "geometric":
        tau = start * (end / start) ** frac
    elif kind == "linear":
        tau = start + (end - start) * frac
    elif kind == "constant":
        tau = start
    else:
        raise ValueError(f"unknown temperature schedule {kind!r}; use one of {SCHEDULES}")
    floor = train_cfg.get("temperature_floor")
    return float(max(tau, floor) if floor is not None else tau)
