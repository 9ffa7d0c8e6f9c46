"""`econ-pyro tune`: random hyperparameter search (App. C.4) on Ray Tune."""

from __future__ import annotations

import click

from ..config import ConfigError
from ..data import DataError


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--space", required=True,
              help="paper-unique, paper-random (the App. C.4 ranges) or a JSON/YAML space "
                   "file: {\"base\": PRESET, \"space\": {\"model.gamma\": {\"loguniform\": "
                   "[0.1, 10]}, ...}, \"fixed\": {...}}; distributions uniform, loguniform, "
                   "randint (inclusive), choice.")
@click.option("--trials", type=int, default=16, show_default=True,
              help="Number of sampled configurations (the paper used 512).")
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Search folder: results.csv/json, best_config.json, summary.png, "
                   "runs/<trial>/ (ordinary run folders). Re-run the same command to resume.")
@click.option("--address", default=None,
              help="Ray cluster to join (ray://HOST:10001 or auto). Default: start Ray "
                   "in-process on this machine's cores.")
@click.option("--cpus-per-trial", type=float, default=1, show_default=True)
@click.option("--gpus-per-trial", type=float, default=0, show_default=True)
@click.option("--max-time-per-trial", type=float, default=None,
              help="Seconds of training per trial (train.max_time).")
@click.option("--no-asha", is_flag=True,
              help="Plain random search: no ASHA early stopping of bad trials.")
@click.option("--grace-evals", type=int, default=2, show_default=True,
              help="ASHA: evaluations every trial gets before it can be stopped.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random search (which configurations are drawn).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Fixed override for every trial, e.g. --set train.max_steps=2000.")
def tune(space, trials, out, address, cpus_per_trial, gpus_per_trial, max_time_per_trial,
         no_asha, grace_evals, seed, sets):
    """Search ECON hyperparameters with Ray Tune (random search + ASHA).

    The objective is the validation loss, as in the paper; FG-ARI, purity and
    the other dashboard metrics are reported alongside.  The best configuration
    is written as a config file that `econ-pyro train --config` accepts.
    Needs the optional extra: pip install 'econ-pyro[tune]'.
    """
    from .. import tuning

    if trials < 1:
        raise click.ClickException("--trials must be at least 1")
    try:
        tuning.search(space, out, trials=trials, address=address, cpus_per_trial=cpus_per_trial,
                      gpus_per_trial=gpus_per_trial, max_time_per_trial=max_time_per_trial,
                      asha=not no_asha, grace_evals=grace_evals, seed=seed, sets=sets,
                      log=click.echo)
    except (ConfigError, DataError) as e:
        raise click.ClickException(str(e)) from None
