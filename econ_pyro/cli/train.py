"""`econ-pyro train`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..config import ConfigError
from ..data import DataError
from ..training import DEFAULT_PRESET, PRESETS, TrainingError, resolve_config
from ..training import train as run_train


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--preset", type=str, default=None,
              help="Named configuration: " + "; ".join(f"{k}: {v['description']}"
                                                       for k, v in PRESETS.items())
              + f". Default: {DEFAULT_PRESET}.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="JSON (or YAML) file with model/train/data sections overriding the preset.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override one value, e.g. --set model.beta=2 --set train.lr=1e-3 "
                   "(bare keys are looked up in model, train, data). Repeatable.")
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="Train on a folder: a generated dataset or any PNG/JPEG folder "
                   "(default: scenes generated on the fly).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run folder (checkpoints, metrics.jsonl, config.json). Default runs/<preset>.")
@click.option("--max-steps", type=int, default=None, help="Stop after this many steps.")
@click.option("--max-time", type=float, default=None, help="Stop after this many seconds.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None)
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), default=None,
              help="Continue the run in this folder exactly where it stopped.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and exit.")
def train(preset, config_file, sets, data_dir, out, max_steps, max_time, device, resume_dir,
          dry_run):
    """Train ECON.  With no options: the CPU default preset on generated scenes.

    Ctrl-C (or SIGTERM) saves a resumable checkpoint and exits cleanly;
    `--resume RUN_DIR` continues with the exact same loss sequence.
    """
    extra = list(sets)
    if data_dir is not None and not resume_dir:
        extra.append(f"data.path={json.dumps(str(data_dir))}")
    for key, value in (("max_steps", max_steps), ("max_time", max_time), ("device", device)):
        if value is not None:
            extra.append(f"train.{key}={value}")
    try:
        if resume_dir:
            cfg_path = Path(resume_dir) / "config.json"
            if not cfg_path.is_file():
                raise ConfigError(f"{resume_dir} is not a run folder (no config.json)")
            cfg = resolve_config(sets=extra, base=json.loads(cfg_path.read_text()))
            out = resume_dir
        else:
            cfg = resolve_config(preset, config_file, extra)
            out = out or str(Path("runs") / cfg["preset"])
        if dry_run:
            click.echo(json.dumps(cfg, indent=2))
            return
        state = run_train(cfg, out, resume=bool(resume_dir), log=click.echo)
    except (ConfigError, DataError, TrainingError) as e:
        raise click.ClickException(str(e)) from None
    code = 130 if state["done"].startswith("interrupted") else 0
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # A torchrun worker: the checkpoint is written and the process group destroyed.
        # Skip the interpreter's teardown, where gloo's threads occasionally abort the
        # process (SIGABRT, "terminate called without an active exception") after a
        # finished run.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if code:
        sys.exit(code)
