"""Resolving a run's configuration: preset <- config file <- ``--set key=value``."""

from __future__ import annotations

import json
from pathlib import Path

from ..config import ConfigError, ECONConfig
from .presets import DATA_DEFAULTS, DEFAULT_PRESET, TRAIN_DEFAULTS, preset_config
from .remedies import REVIVE
from .schedule import SCHEDULES

SECTIONS = ("model", "train", "data")


def parse_value(text: str):
    """A --set value: JSON if it parses, null/none, true/false, else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        low = text.lower()
        if low in ("none", "null"):
            return None
        if low in ("true", "false"):
            return low == "true"
        return text


def parse_sets(items) -> dict:
    """``["model.beta=2", ...]`` (``--set`` options) -> ``{"model.beta": 2, ...}``."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_value(v.strip())
    return out


def _model_keys() -> set[str]:
    return set(ECONConfig().to_dict())


def apply_override(cfg: dict, key: str, value) -> None:
    """Set ``section.key`` (or a bare key found in exactly one section)."""
    if "." in key:
        section, name = key.split(".", 1)
        if section not in SECTIONS:
            raise ConfigError(f"unknown config section {section!r} in {key!r}")
    else:
        owners = [s for s in SECTIONS if key in _known(cfg, s)]
        if not owners:
            raise ConfigError(f"unknown config key {key!r}")
        section, name = owners[0], key
    if name not in _known(cfg, section):
        raise ConfigError(f"unknown config key {section}.{name}")
    cfg[section][name] = value


def _known(cfg: dict, section: str) -> set[str]:
    return _model_keys() if section == "model" else set(cfg[section])


def load_config_file(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise ConfigError("YAML config files need PyYAML (pip install pyyaml); "
                                  "or use JSON") from None
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (ValueError, ImportError) as e:
        raise ConfigError(f"cannot parse config file {path}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping")
    return data


def resolve_config(preset: str | None = None, config_file=None, sets=(), base=None) -> dict:
    """The full nested run config; validated (bad keys/values raise ConfigError).

    ``base`` (a run's saved config, for resume) replaces the preset; keys added
    to the trainer since that run started get their defaults.
    """
    file_cfg = load_config_file(config_file) if config_file else {}
    if base is not None:
        cfg = complete_config(base)
    else:
        cfg = preset_config(preset or file_cfg.get("preset") or DEFAULT_PRESET)
    for section in SECTIONS:
        for k, v in (file_cfg.get(section) or {}).items():
            apply_override(cfg, f"{section}.{k}", v)
    for k, v in parse_sets(sets).items():
        apply_override(cfg, k, v)
    validate(cfg)
    return cfg


def _share(tr: dict, key: str, nullable: bool = False) -> None:
    """``train[key]`` must be a share in (0, 1] (or null if ``nullable``)."""
    v = tr[key]
    if v is None and nullable:
        return
    if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v <= 1:
        raise ConfigError(f"train.{key} must be a share in (0, 1]"
                          + (" or null" if nullable else "") + f", got {v!r}")


def _count(tr: dict, key: str, minimum: int, what: str, nullable: bool = False) -> None:
    """``train[key]`` must be an int >= ``minimum`` (or null if ``nullable``)."""
    v = tr[key]
    if v is None and nullable:
        return
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise ConfigError(f"train.{key} must be {what}" + (" or null" if nullable else "")
                          + f", got {v!r}")


def _number(tr: dict, key: str, minimum: float, strict: bool, what: str) -> None:
    """``train[key]`` must be null or a number > ``minimum`` (``strict``) or >= it."""
    v = tr[key]
    if v is None:
        return
    if not isinstance(v, int | float) or isinstance(v, bool) or v < minimum or \
            (strict and v == minimum):
        raise ConfigError(f"train.{key} must be {what} or null, got {v!r}")


def _check_colour_curriculum(data: dict) -> None:
    cur = data.get("colour_curriculum")
    if cur is None:
        return
    steps = cur.get("steps") if isinstance(cur, dict) else None
    start = cur.get("start", 1.0) if isinstance(cur, dict) else None
    if (not isinstance(cur, dict) or not set(cur) <= {"steps", "start"}
            or isinstance(steps, bool) or not isinstance(steps, int) or steps < 1
            or isinstance(start, bool) or not isinstance(start, (int, float))
            or not 0 < start <= 1):
        raise ConfigError("data.colour_curriculum must be null or {steps, start} with an "
                          f"integer steps >= 1 and 0 < start <= 1 (optional), got {cur!r}")
    if data["kind"] != "random" or data["path"] is not None:
        raise ConfigError("data.colour_curriculum blends generated random colours with the "
                          "unique ones: it needs data.kind random and no data.path")


def validate(cfg: dict) -> ECONConfig:
    model = ECONConfig.from_dict(cfg["model"])
    tr = cfg["train"]
    for key in ("lr", "batch_size", "eval_every", "val_size", "log_every", "checkpoint_every"):
        if not isinstance(tr[key], int | float) or tr[key] <= 0:
            raise ConfigError(f"train.{key} must be a positive number, got {tr[key]!r}")
    if tr["nan"] not in ("stop", "skip"):
        raise ConfigError(f"train.nan must be 'stop' or 'skip', got {tr['nan']!r}")
    if tr["autocast"] not in (None, "bf16"):
        raise ConfigError(f"train.autocast must be null or 'bf16', got {tr['autocast']!r}")
    if tr["temperature_schedule"] not in SCHEDULES:
        raise ConfigError(f"train.temperature_schedule must be one of {', '.join(SCHEDULES)}, "
                          f"got {tr['temperature_schedule']!r}")
    for key in ("temperature_start", "temperature_end", "temperature_floor"):
        if tr[key] is not None and (not isinstance(tr[key], int | float) or tr[key] <= 0):
            raise ConfigError(f"train.{key} must be a positive number or null, got {tr[key]!r}")
    n = tr["balance_anneal_steps"]
    if n is not None and (not isinstance(n, int) or n <= 0):
        raise ConfigError(f"train.balance_anneal_steps must be a positive int or null, got {n!r}")
    if not isinstance(tr["balance_start"], int) or tr["balance_start"] < 0:
        raise ConfigError(f"train.balance_start must be an int >= 0, got {tr['balance_start']!r}")
    for key in ("reserve_background_copy", "revive_after_reservation",
                "reserve_background_exclusive", "reserve_background_fresh_schedule",
                "restore_best_on_decrease"):
        if not isinstance(tr[key], bool):
            raise ConfigError(f"train.{key} must be true or false, got {tr[key]!r}")
    if tr["validation_competition"] not in ("training", "deterministic"):
        raise ConfigError("train.validation_competition must be \"training\" or "
                          f"\"deterministic\", got {tr['validation_competition']!r}")
    _number(tr, "reserve_background_min_region", 0, False, "a number >= 0")
    for key in ("revive_after_reservation", "reserve_background_exclusive",
                "reserve_background_min_region"):
        if tr[key] not in (False, None) and tr["reserve_background_at"] is None:
            raise ConfigError(f"train.{key} needs train.reserve_background_at")
    if tr["init_from"] is not None and not isinstance(tr["init_from"], str):
        raise ConfigError(f"train.init_from must be a run folder, checkpoint or pretrained "
                          f"name, got {tr['init_from']!r}")
    _count(tr, "lr_schedule_from", 1, "a step >= 1", nullable=True)
    sched = tr["lr_at"]
    if sched is not None and not (isinstance(sched, list) and all(
            isinstance(e, list | tuple) and len(e) == 2 and isinstance(e[0], int)
            and not isinstance(e[0], bool) and e[0] >= 0
            and isinstance(e[1], int | float) and e[1] > 0 for e in sched)):
        raise ConfigError(f"train.lr_at must be a list of [step, lr] pairs (step >= 0, lr > 0), "
                          f"got {sched!r}")
    _count(tr, "exclusive_until", 0, "a step >= 0", nullable=True)
    _count(tr, "freeze_attention_at", 1, "a step >= 1", nullable=True)
    _count(tr, "deterministic_from", 0, "a step >= 0", nullable=True)
    _count(tr, "reserve_background_deterministic_after", 0, "a number of steps >= 0",
           nullable=True)
    _count(tr, "deterministic_patience", 1, "a number of evaluations >= 1", nullable=True)
    if tr["reserve_background_deterministic_after"] is not None \
            and tr["reserve_background_at"] is None:
        raise ConfigError("train.reserve_background_deterministic_after needs "
                          "train.reserve_background_at")
    if tr["deterministic_patience"] is not None and tr["deterministic_from"] is None \
            and tr["reserve_background_deterministic_after"] is None:
        raise ConfigError("train.deterministic_patience needs train.deterministic_from or "
                          "train.reserve_background_deterministic_after (it applies from "
                          "the deterministic switch on)")
    _number(tr, "completion_loss", 0, False, "a weight >= 0")
    _count(tr, "completion_from", 0, "a step >= 0")
    at, lr = tr["reserve_background_at"], tr["reserve_background_lr"]
    if at is not None and (not isinstance(at, int) or at < 1):
        raise ConfigError(f"train.reserve_background_at must be a step >= 1 or null, got {at!r}")
    if at is not None and model.n_experts < 2:
        raise ConfigError("train.reserve_background_at needs at least 2 experts")
    if lr is not None and (not isinstance(lr, int | float) or lr <= 0):
        raise ConfigError(f"train.reserve_background_lr must be a positive number or null, "
                          f"got {lr!r}")
    for key in ("reserve_background_last_largest", "reserve_background_spare_below",
                "reserve_background_merged_below"):
        _share(tr, key, nullable=True)
    for key in ("split_merged_above", "restart_merged_above", "reserve_background_taker_below"):
        _share(tr, key)
    for key in ("split_merged_from", "split_merged_every", "restart_merged_at",
                "restart_unreserved_at", "reserve_background_taker_from",
                "reserve_background_spare_until"):
        _count(tr, key, 1, "a step >= 1", nullable=True)
    _count(tr, "max_restarts", 0, "an int >= 0")
    _count(tr, "standardise_latents", 0, "a number of scenes >= 0 (0: off)")
    _count(tr, "split_merged_exclusive", 0, "a number of steps >= 0")
    if tr["restart_merged_at"] is not None and model.n_experts < 2:
        raise ConfigError("train.restart_merged_at needs at least 2 experts")
    until = tr["restart_merged_until"]
    _count(tr, "restart_merged_until", 1, "a step >= 1", nullable=True)
    if until is not None and (tr["restart_merged_at"] is None
                              or until <= tr["restart_merged_at"]):
        raise ConfigError("train.restart_merged_until needs train.restart_merged_at before it, "
                          f"got restart_merged_at {tr['restart_merged_at']!r}, until {until!r}")
    for key in ("restart_unreserved_at", "reserve_background_taker_from"):
        if tr[key] is not None and tr["reserve_background_at"] is None:
            raise ConfigError(f"train.{key} needs train.reserve_background_at")
    if tr["reserve_background_spare_until"] is not None and \
            tr["reserve_background_spare_below"] is None:
        raise ConfigError("train.reserve_background_spare_until needs "
                          "train.reserve_background_spare_below (the guard it ends)")
    if tr["split_merged_from"] is not None and model.n_experts < 3:
        raise ConfigError("train.split_merged_from needs at least 3 experts")
    _number(tr, "reserve_background_temperature", 0, True, "a positive number")
    if tr["revive"] not in REVIVE:
        raise ConfigError(f"train.revive must be null, 'noise' or 'split', got {tr['revive']!r}")
    if not 0 <= tr["revive_below"] < 1 or tr["balance"] < 0 or not 0 <= tr["balance_decay"] < 1:
        raise ConfigError("train.revive_below and train.balance_decay must be in [0, 1) and "
                          "train.balance >= 0")
    cur = cfg["data"]["curriculum"]
    if cur is not None and (not isinstance(cur, dict) or set(cur) != {"steps", "min_objects",
                                                                      "max_objects"}
                            or not 1 <= cur["min_objects"] <= cur["max_objects"]
                            or cur["max_objects"] > model.n_steps - 1):
        raise ConfigError("data.curriculum must be null or {steps, min_objects, max_objects} "
                          "with 1 <= min_objects <= max_objects <= n_steps - 1")
    if cur is not None and cfg["data"]["path"] is not None:
        raise ConfigError("data.curriculum works on generated scenes only, not with data.path")
    _check_colour_curriculum(cfg["data"])
    if not isinstance(cfg["data"]["repeat_classes"], bool):
        raise ConfigError("data.repeat_classes must be true or false, got "
                          f"{cfg['data']['repeat_classes']!r}")
    if cfg["data"]["repeat_classes"] and cfg["data"]["path"] is not None:
        raise ConfigError("data.repeat_classes draws generated scenes: it cannot be used with "
                          "data.path")
    if not isinstance(tr["channels_last"], bool):
        raise ConfigError(f"train.channels_last must be true or false, got {tr['channels_last']!r}")
    if tr["device"] not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"train.device must be auto, cpu or cuda, got {tr['device']!r}")
    if tr["supervise_regions"] and cfg["data"]["path"] is None and \
            cfg["data"]["max_objects"] + 1 != model.n_steps:
        raise ConfigError("supervise_regions needs n_steps = number of objects + 1")
    return model


# the training of a run started before these keys existed
_BEFORE_KEY_EXISTED = {"reserve_background_fresh_schedule": False}


def complete_config(cfg: dict) -> dict:
    """Fill train/data keys added since a run was started (for resume): with their
    defaults, or where a new default changed the training, with the old behaviour."""
    cfg = dict(cfg)
    cfg["train"] = {**TRAIN_DEFAULTS, "supervise_regions": False, **_BEFORE_KEY_EXISTED,
                    **cfg.get("train", {})}
    cfg["data"] = {**DATA_DEFAULTS, **cfg.get("data", {})}
    return cfg
