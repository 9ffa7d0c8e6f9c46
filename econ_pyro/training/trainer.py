"""The training loop: schedule (App. C.3), checkpoints, resume, logs, interruption."""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pyro
import torch

from .. import __version__
from ..config import ConfigError, ECONConfig
from ..data import (
    DataError,
    ProceduralScenes,
    SceneConfig,
    SceneDataset,
    collate,
    generate_scenes,
    open_folder,
    read_dataset,
    scenes_to_tensors,
)
from ..econ import ECON
from ..evaluation import dashboard, evaluate
from ..generate import decompose, sample
from ..handlers import without_param_sites
from ..infer import ECONELBO
from ..infer.completion import completion_loss
from ..latent_prior import apply_latent_prior, fit_latent_prior
from ..latents import apply_standardisation, fit_standardisation, winning_posteriors
from ..viz import decomposition_panel, on_grey, save_grid
from .config import validate
from .distributed import Distributed
from .remedies import WinShares, balance_at, merge_check, reservation_check, revive_expert
from .schedule import temperature_at


class TrainingError(RuntimeError):
    """Training stopped for a reason the user must see (e.g. a NaN loss)."""


def _device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but CUDA is not available")
    if name == "cuda":  # one GPU per process under torchrun
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device(name)


class _Data:
    """Training batches by step index and a fixed validation set."""

    def __init__(self, cfg: dict, image_size: int, batch_size: int, seed: int, val_size: int):
        d = cfg["data"]
        self.folder = None
        # random colours starting near the unique ones (data.colour_curriculum; generated
        # scenes only, config.validate checks)
        self.colour = d.get("colour_curriculum")
        if d["path"] is None:
            scene_cfg = SceneConfig(kind=d["kind"], image_size=image_size,
                                    min_objects=d["min_objects"], max_objects=d["max_objects"],
                                    repeat_classes=d.get("repeat_classes", False))
            self.train = ProceduralScenes(scene_cfg, batch_size, seed)
            cur = d.get("curriculum")  # easier scenes (fewer objects) for the first steps
            self.warmup_steps = cur["steps"] if cur else 0
            if cur:
                self.warmup = ProceduralScenes(
                    replace(scene_cfg, min_objects=cur["min_objects"],
                            max_objects=cur["max_objects"]), batch_size, seed + 7919)
            self.val_scenes = generate_scenes(val_size, scene_cfg, seed=(seed, 2**31 - 1))
            self.val = scenes_to_tensors(self.val_scenes)
            return
        path = Path(d["path"])
        if not path.is_dir():
            raise DataError(f"data folder {path} does not exist")
        ds = open_folder(path, image_size)
        n = len(ds)
        n_val = min(val_size, max(n // 10, 1))
        if n - n_val < 1:
            raise DataError(f"data folder {path} has too few images ({n}) to hold out "
                            "a validation split")
        self.folder, self.n_train, self.batch_size, self.seed = ds, n - n_val, batch_size, seed
        self.val = collate([ds[i] for i in range(n - n_val, n)])
        self.val_scenes = read_dataset(path)[0].subset(slice(n - n_val, n)) \
            if isinstance(ds, SceneDataset) else None

    def class_colour(self, step: int) -> float:
        """The weight of the class colours in the training batch of ``step``: from
        ``colour_curriculum["start"]`` (default 1) down to 0 at step ``["steps"]``."""
        if self.colour is None:
            return 0.0
        return self.colour.get("start", 1.0) * max(0.0, 1.0 - step / self.colour["steps"])

    def batch(self, step: int) -> dict:
        if self.folder is None:
            src = self.warmup if step < self.warmup_steps else self.train
            w = self.class_colour(step)
            if w:  # the same batch of scenes, its colours blended
                src = ProceduralScenes(replace(src.cfg, class_colour=w), src.batch_size,
                                       src.seed)
            return src.batch(step)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        idx = torch.randint(0, self.n_train, (self.batch_size,), generator=g).tolist()
        return collate([self.folder[i] for i in idx])

    def fit_batch(self, n: int) -> dict:
        """``n`` training-distribution scenes (``image``, and ``visible`` where known), none
        of them a validation scene (generated with their own seed; from a folder: its
        first ``n`` training images)."""
        if self.folder is None:
            return scenes_to_tensors(generate_scenes(n, self.train.cfg,
                                                     seed=(self.train.seed, 2**31 - 2)))
        return collate([self.folder[i] for i in range(min(n, self.n_train))])

    def val_batches(self, batch_size: int):
        n = len(self.val["image"])
        for i in range(0, n, batch_size):
            yield {k: v[i:i + batch_size] for k, v in self.val.items()}


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def validation_loss(elbo, econ, batches) -> float:
    """The negative ELBO per scene over ``batches`` of ``(x, model_kwargs)``, with the
    competition as ``econ`` has it (``Trainer.validate``'s loop)."""
    total, n = 0.0, 0
    for x, kw in batches:
        with without_param_sites():
            res = elbo.compute(econ.model, econ.guide, x, **kw)
        total += res.loss.item() * len(x)
        n += len(x)
    return total / n


def load_checkpoint(path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / "last.pt"
    if not path.is_file():
        raise ConfigError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # corrupted / foreign file
        raise ConfigError(f"cannot load checkpoint {path}: {str(e).splitlines()[0]}") from None


def find_checkpoint(run_or_ckpt, which: str = "last") -> dict:
    """The checkpoint of a run folder (``which``.pt), a checkpoint file, or a shipped
    pretrained model's name."""
    from .. import pretrained

    p = Path(run_or_ckpt)
    if not p.exists() and pretrained.path(str(run_or_ckpt)) is not None:
        p = pretrained.path(str(run_or_ckpt))
    elif not p.exists() and "/" not in str(run_or_ckpt) and p.suffix != ".pt":
        raise ConfigError(f"{run_or_ckpt!r} is neither a run folder, a checkpoint nor a "
                          f"pretrained model ({', '.join(pretrained.available()) or 'none'})")
    return load_checkpoint(p / f"{which}.pt" if p.is_dir() else p)


def load(run_or_ckpt, which: str = "last", standardised: bool = True,
         fitted_prior: bool = True) -> ECON:
    """A ready (eval-mode) ECON from a run folder, a checkpoint file, or the name of
    a shipped pretrained model (``econ_pyro.pretrained.available()``).

    ``standardised``: apply the latent standardisation stored with the checkpoint
    (``econ_pyro.latents``; none stored: the identity), so that prior samples land
    where the posteriors are; decompositions are the same either way.
    ``fitted_prior`` (with ``standardised``): give the model the mixture prior of z_t
    stored with it (``econ_pyro.latent_prior``; none stored, or False: the paper's
    N(0, I)); it changes prior samples only, not decompositions.  The weights
    are in ``channels_last`` memory format (on the CPU the small convolutions run
    faster so; values are the same).
    """
    ckpt = find_checkpoint(run_or_ckpt, which)
    econ = _econ_from(ckpt)
    if standardised and ckpt.get("latents") is not None:  # else the identity it was built with
        apply_standardisation(econ, ckpt["latents"])
        if fitted_prior and ckpt.get("latent_prior") is not None:
            apply_latent_prior(econ, ckpt["latent_prior"])
    econ.run_config = ckpt["config"]  # the full run config (data kind, training options)
    return econ.to(memory_format=torch.channels_last).eval()


def _econ_from(ckpt: dict) -> ECON:
    econ = ECON(ECONConfig.from_dict(ckpt["config"]["model"]))
    econ.load_state_dict(ckpt["model"])
    return econ


def standardise_run(run_or_ckpt, n: int = 1000, data: str | None = None, log=print) -> dict:
    """Fit and store the latent standardisation of a run's ``last.pt`` and ``best.pt`` (or
    of one checkpoint file) on ``n`` images of its training distribution (generated as
    in training with their own seed, or the first training images of the run's folder;
    ``data``: another folder).  Returns ``{path: fitted}``."""
    p = Path(run_or_ckpt)
    paths = [p] if p.is_file() else _run_checkpoints(p)
    if not paths:
        raise ConfigError(f"no checkpoint at {p} (a run folder or a .pt file)")
    cfg = load_checkpoint(paths[0])["config"]
    if data is not None:
        cfg = {**cfg, "data": {**cfg["data"], "path": str(data)}}
    tr = cfg["train"]
    batch = _Data(cfg, cfg["model"]["image_size"], tr["batch_size"], tr["seed"],
                  tr["val_size"]).fit_batch(n)
    return {str(q): standardise_checkpoint(q, batch, log) for q in paths}


def _run_checkpoints(folder: Path) -> list[Path]:
    """The run folder's ``last.pt`` and ``best.pt``, those that exist."""
    return [folder / f"{w}.pt" for w in ("last", "best") if (folder / f"{w}.pt").exists()]


def standardise_checkpoint(path, batch: dict, log=print) -> dict:
    """Fit the latent standardisation of the checkpoint at ``path`` on the scenes ``batch``
    (from its weights alone, any stored one ignored; with ground-truth regions for a run
    trained with them) and store it there as ``"latents"``; then, in the standardised
    latents, each expert's mixture prior (``econ_pyro.latent_prior``) as
    ``"latent_prior"``."""
    path = Path(path)
    ckpt = load_checkpoint(path)
    gt = None
    if ckpt["config"]["train"].get("supervise_regions"):
        if "visible" not in batch:
            raise DataError("this run was trained with ground-truth regions: fit its latent "
                            "standardisation on scenes with masks (a generated dataset)")
        gt = batch["visible"]
    econ = _econ_from(ckpt).eval()
    with torch.random.fork_rng(devices=[]):  # seeded, the caller's RNG untouched
        torch.manual_seed(0)
        posteriors = winning_posteriors(econ, batch["image"], gt_regions=gt)
    fitted = fit_standardisation(econ, batch["image"], posteriors=posteriors)
    apply_standardisation(econ, fitted)
    prior = fit_latent_prior(econ, posteriors=posteriors)
    ckpt["latents"], ckpt["latent_prior"] = fitted, prior
    _atomic_save(ckpt, path)
    log(f"latent standardisation of {path} fitted on {fitted['n_images']} images (winning "
        f"steps per expert {fitted['wins']}); mixture prior components {prior['components']} "
        f"(fitted on {prior['fitted_on']} wins)")
    return fitted


def training_kind(econ) -> str:
    """The dataset kind a loaded model was trained on ("unique" if unknown)."""
    return getattr(econ, "run_config", {}).get("data", {}).get("kind", "unique")


@contextmanager
def _interruptible():
    """Turn SIGINT/SIGTERM into a flag checked between steps (main thread only: a
    run inside a worker thread, e.g. a Ray Tune trial, is stopped by its owner)."""
    state = {"stop": None}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum, frame):
        state["stop"] = signal.Signals(signum).name

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield state
    finally:
        for s, h in old.items():
            signal.signal(s, h)


class Trainer:
    def __init__(self, cfg: dict, out, resume: bool = False, log=print, on_eval=None):
        self.cfg, self.out, self.on_eval = cfg, Path(out), on_eval
        init = None
        if cfg["train"]["init_from"] is not None and not resume:
            init = find_checkpoint(cfg["train"]["init_from"])
            src = ECONConfig.from_dict(init["config"]["model"])
            own = ECONConfig.from_dict(cfg["model"])
            if src.background_expert is not None and own.background_expert is None \
                    and src.n_experts == own.n_experts:
                cfg["model"]["background_expert"] = src.background_expert  # kept
        self.model_cfg = validate(cfg)
        tr = cfg["train"]
        self.tr = tr
        self.device = _device(tr["device"])
        self.dist = Distributed(self.device)
        self.log = log if self.dist.main else (lambda *a, **k: None)
        for key in ("restart_merged_at", "restart_merged_until", "restart_unreserved_at"):
            if self.dist.world > 1 and tr[key] is not None:  # (cpu-unique sets one)
                self.log(f"warning: train.{key} is not supported with torchrun (a restart "
                         "needs one process per run); off for this run")
                tr[key] = None
        pyro.set_rng_seed(tr["seed"])  # identical initial weights on every rank
        self.econ = ECON(self.model_cfg).to(self.device)
        if init is not None:
            self._init_weights(init)
        if tr["channels_last"] and self.device.type == "cpu":
            self.econ.to(memory_format=torch.channels_last)  # faster CPU convs (PERFORMANCE.md)
        self.econ.run_config = cfg  # as on load(): the dashboard evaluates like `evaluate`
        if tr["compile"]:
            for expert in self.econ.experts.experts:
                for net in (expert.attention, expert.encoder, expert.decoder):
                    net.compile()  # in place: parameter names (checkpoints) unchanged
        self.opt = torch.optim.Adam(self.econ.parameters(), lr=tr["lr"])
        self._attention_frozen = False
        self.data = _Data(cfg, self.model_cfg.image_size, tr["batch_size"], tr["seed"],
                          tr["val_size"])
        self.elbo = ECONELBO()
        self._tb = None
        self._restart = False
        self.state = {"step": 0, "best_val": math.inf, "bad_evals": 0, "lr_decreases": 0,
                      "elapsed": 0.0, "lr": tr["lr"], "done": None,
                      "last_win": [0] * self.model_cfg.n_experts, "anneal_from": 0,
                      "revivals": [], "splits": [], "restorations": []}
        self.shares = WinShares(self.model_cfg.n_experts, tr["balance_decay"])
        if resume:
            self._restore(load_checkpoint(self.out / "last.pt"))
        if self.dist.world > 1:  # each rank its own competition/latent noise
            torch.manual_seed(tr["seed"] * 1_000_003 + self.state["step"] * 101 + self.dist.rank)
        if not resume:
            self.out.mkdir(parents=True, exist_ok=True)
            if (self.out / "last.pt").exists():
                raise ConfigError(f"run folder {self.out} already holds a run; use --resume "
                                  "or another --out")
        if self.dist.main:
            (self.out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")

    def _init_weights(self, ckpt: dict) -> None:
        """Start from another model's weights (``train.init_from``; fresh optimiser)."""
        own = self.econ.state_dict()
        theirs = ckpt["model"]
        bad = sorted(k for k in own.keys() | theirs.keys()
                     if k not in own or k not in theirs or own[k].shape != theirs[k].shape)
        if bad:
            raise ConfigError(f"train.init_from={self.cfg['train']['init_from']!r} has other "
                              f"networks than this model (e.g. {bad[0]}); the model options "
                              "(experts, image size, channels, latent size) must match")
        self.econ.load_state_dict(theirs)
        b = self.model_cfg.background_expert
        self.log(f"initialised from {self.cfg['train']['init_from']}"
                 + (f" (background expert {b})" if b is not None else ""))

    # ---- checkpoints
    def _checkpoint(self) -> dict:
        return {"model": self.econ.state_dict(), "optimizer": self.opt.state_dict(),
                "state": dict(self.state), "config": self.cfg,
                "shares": self.shares.state_dict(),
                "rng": {"torch": torch.get_rng_state(),
                        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available()
                        else []},
                "versions": {"econ_pyro": __version__, "torch": str(torch.__version__),
                             "pyro": pyro.__version__, "python": platform.python_version()}}

    def save(self, name: str = "last") -> None:
        if self.dist.main:
            _atomic_save(self._checkpoint(), self.out / f"{name}.pt")

    def _restore(self, ckpt: dict) -> None:
        if ckpt["config"]["model"] != self.cfg["model"]:
            raise ConfigError("checkpoint was trained with a different model config; "
                              "resume with the run's own config")
        self.econ.load_state_dict(ckpt["model"])
        self.opt.load_state_dict(ckpt["optimizer"])
        self.state.update(ckpt["state"])
        if "shares" in ckpt:
            self.shares.load_state_dict(ckpt["shares"])
        self.state["done"] = None
        torch.set_rng_state(ckpt["rng"]["torch"])
        if ckpt["rng"]["cuda"]:
            torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])

    # ---- evaluation
    def _inputs(self, batch: dict) -> tuple[torch.Tensor, dict]:
        x = batch["image"].to(self.device)
        if x.shape[-1] != self.model_cfg.image_size:
            raise DataError(f"images are {x.shape[-1]}px but the model expects "
                            f"{self.model_cfg.image_size}px")
        kw = {}
        if self.tr["supervise_regions"]:
            if "visible" not in batch:
                raise DataError("supervise_regions needs a dataset with ground-truth masks")
            kw["gt_regions"] = batch["visible"].to(self.device)
        return x, kw

    @torch.no_grad()
    def validate(self) -> float:
        """The validation loss: the negative ELBO per scene on the validation scenes, which
        drives the plateau schedule, ``best.pt`` and ``restore_best_on_decrease``.  With
        ``train.validation_competition = "deterministic"`` the best-scoring expert wins (as
        in ``decompose`` / ``evaluate``) and the remaining noise comes from a fixed seed, the
        same at every evaluation, without touching the training RNG stream; with
        ``"training"`` the training competition draws from that stream."""
        batches = map(self._inputs, self.data.val_batches(self.tr["batch_size"]))
        if self.tr["validation_competition"] != "deterministic":
            return validation_loss(self.elbo, self.econ, batches)
        c = self.econ.competition
        saved, c.mode = c.mode, "deterministic"
        cuda = None if self.device.type == "cuda" else []  # torch.manual_seed seeds both
        try:
            with torch.random.fork_rng(devices=cuda):
                torch.manual_seed(self.tr["seed"])
                return validation_loss(self.elbo, self.econ, batches)
        finally:
            c.mode = saved

    # ---- the loop
    def _log_metrics(self, rec: dict) -> None:
        if not self.dist.main:
            return
        with open(self.out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")

    def run(self) -> dict:
        tr, st = self.tr, self.state
        K, T = self.model_cfg.n_experts, self.model_cfg.n_steps
        wins = torch.zeros(T, K, dtype=torch.long)
        acc = {"loss": 0.0, "L_x": torch.zeros(T), "L_z": torch.zeros(T), "L_r": torch.zeros(T)}
        n_acc, t_log = 0, time.perf_counter()
        t0 = time.perf_counter() - st["elapsed"]
        with _interruptible() as sig, pyro.validation_enabled(False):
            while True:
                st["elapsed"] = time.perf_counter() - t0
                if tr["max_steps"] is not None and st["step"] >= tr["max_steps"]:
                    st["done"] = "max_steps"
                elif tr["max_time"] is not None and st["elapsed"] >= tr["max_time"]:
                    st["done"] = "max_time"
                elif st["lr_decreases"] >= tr["max_lr_decreases"]:
                    st["done"] = "lr_schedule"
                elif sig["stop"]:
                    st["done"] = f"interrupted ({sig['stop']})"
                elif self._restart:
                    st["done"] = RESTART
                if self.dist.any(st["done"] is not None):
                    st["done"] = st["done"] or "stopped by another rank"
                    break
                step = st["step"]
                self.econ.competition.temperature = self._temperature(step)
                self._competition_mode(step)
                every = (tr["exclusive_until"] is not None and step < tr["exclusive_until"]) \
                    or (tr["reserve_background_exclusive"] and self._reserved())
                pair = self._split_pair(step)
                self.econ.competition.exclusive = every or pair is not None
                self.econ.competition.exclusive_experts = None if every else pair
                self._freeze_attention(step)
                if step == tr["lr_schedule_from"]:
                    self._restart_lr_schedule()
                    self.log(f"step {step}: the lr schedule starts (train.lr_schedule_from)")
                for at, lr in tr["lr_at"] or ():
                    if step == at:  # a set lr from this step on (a planned lr drop)
                        self._set_lr(lr)
                        self.log(f"step {step}: lr {lr:.2e} (train.lr_at)")
                alpha = balance_at(tr, step)
                self.econ.competition.bias = \
                    self.shares.bias(alpha).to(self.device) if alpha > 0 else None
                x, kw = self._inputs(self.data.batch(step * self.dist.world + self.dist.rank))
                res, loss, ok = self._step(x, kw)
                if not ok:
                    if tr["nan"] == "stop":
                        raise TrainingError(
                            f"loss or gradients became non-finite (loss {loss}) at step {step}; "
                            "stopped before the update. The last good "
                            f"checkpoint is {self.out / 'last.pt'} (try a lower lr, or "
                            "--set train.nan=skip)")
                    self.log(f"step {step}: non-finite loss, batch skipped")
                else:
                    acc["loss"] += loss
                    for k in ("L_x", "L_z", "L_r"):
                        acc[k] += getattr(res, k).detach().cpu()
                    if res.completion is not None:
                        acc["completion"] = acc.get("completion", 0.0) + res.completion.detach()
                    step_wins = torch.nn.functional.one_hot(res.winners.cpu(), K).sum(1)
                    wins += step_wins
                    self.shares.update(step_wins.sum(0))
                    n_acc += 1
                st["step"] = step + 1
                if tr["revive_window"] and st["step"] % tr["revive_window"] == 0:
                    if (tr["revive"] or tr["temperature_restart"]) and (
                            self._reserved() or not tr["revive_after_reservation"]):
                        self._remedy()  # judges this window's wins, then restarts it
                    else:  # the window restarts anyway, so switching a remedy on at a
                        self.shares.window.zero_()  # resume judges one window, not all
                if self._split_due():
                    self._split_merged()
                if self._restart_due():
                    self._check_restart()
                if self._reservation_due():
                    self._reserve_background()
                if self._unreserved_restart_due():  # after the reservation's last chance
                    self._restart_unreserved()
                if st["step"] % tr["log_every"] == 0 and n_acc:
                    dt = time.perf_counter() - t_log
                    rec = {"step": st["step"], "loss": acc["loss"] / n_acc,
                           **{k: (acc[k] / n_acc).tolist() for k in ("L_x", "L_z", "L_r")},
                           "winners": wins.tolist(), "lr": self.opt.param_groups[0]["lr"],
                           "temperature": self.econ.competition.temperature,
                           "images_per_s": n_acc * tr["batch_size"] * self.dist.world / dt,
                           "elapsed": time.perf_counter() - t0,
                           "idle_experts": self._idle_experts(wins)}
                    if "completion" in acc:  # the completion loss L_c (infer/completion.py)
                        rec["completion"] = acc["completion"].item() / n_acc
                    self._log_metrics(rec)
                    self._tensorboard(rec)
                    self.log(f"step {rec['step']:6d}  loss {rec['loss']:10.2f}  "
                             f"lr {rec['lr']:.2e}  tau {rec['temperature']:8.2f}  "
                             f"{rec['images_per_s']:6.1f} img/s  winners(t=T..1) "
                             + " ".join(f"t{T - i}:" + "/".join(map(str, row.tolist()))
                                        for i, row in enumerate(wins.flip(0))))
                    for k in rec["idle_experts"]:
                        idle = st["step"] - st["last_win"][k]
                        self.log(f"warning: expert {k} has not won any step for {idle} "
                                 "training steps (dead expert?)")
                    wins.zero_()
                    acc = {"loss": 0.0, **{k: torch.zeros(T) for k in ("L_x", "L_z", "L_r")}}
                    n_acc, t_log = 0, time.perf_counter()
                if st["step"] % tr["eval_every"] == 0:
                    self._evaluate(t0)
                elif st["step"] % tr["checkpoint_every"] == 0:
                    self.save("last")
            st["elapsed"] = time.perf_counter() - t0
            self.save("last")
        if self._tb is not None:  # flush the events (the writer buffers up to 2 minutes)
            self._tb.close()
            self._tb = None
        if self.dist.world > 1:
            synced = self.dist.in_sync(list(self.econ.parameters()))
            self.log(f"parameters identical across {self.dist.world} ranks: {synced}")
            self.dist.close()
        self.log(f"stopped: {st['done']} after {st['step']} steps, {st['elapsed']:.0f}s; "
                 f"checkpoint {self.out / 'last.pt'}")
        if self.tr["standardise_latents"] and self.dist.main and st["done"] != RESTART:
            self._standardise()  # (not for a merged attempt about to be abandoned)
        return dict(st)

    def _standardise(self) -> None:
        """Fit the latent standardisation (``econ_pyro.latents``) and the mixture prior
        (``econ_pyro.latent_prior``) of last.pt and best.pt; the checkpoints are already
        saved, so a Ctrl-C here only skips the fit."""
        self.log(f"fitting the latent standardisation on {self.tr['standardise_latents']} "
                 "scenes (Ctrl-C skips it)")
        try:
            batch = self.data.fit_batch(self.tr["standardise_latents"])
            with torch.random.fork_rng(devices=[]):
                for path in _run_checkpoints(self.out):
                    standardise_checkpoint(path, batch, self.log)
        except KeyboardInterrupt:
            self.log(f"latent standardisation skipped; `econ-pyro standardise {self.out}` "
                     "fits it later")

    def _idle_experts(self, wins: torch.Tensor) -> list[int]:
        """Update each expert's last winning step from this interval's win counts [T, K];
        return the experts idle for at least ``train.dead_after`` steps."""
        st = self.state
        for k, n in enumerate(wins.sum(0).tolist()):
            if n > 0:
                st["last_win"][k] = st["step"]
        return [k for k, last in enumerate(st["last_win"])
                if st["step"] - last >= self.tr["dead_after"]]

    def _freeze_attention(self, step: int) -> None:
        """From ``freeze_attention_at`` on the attention nets get no gradient, so Adam
        skips them: only the VAEs train (re-applied on a resume past that step)."""
        at = self.tr["freeze_attention_at"]
        if at is None or step < at or self._attention_frozen:
            return
        for expert in self.econ.experts.experts:
            expert.attention.requires_grad_(False)
        # pyro.module (the dashboard's decompositions) skips parameters without grad, with
        # one warning per parameter
        warnings.filterwarnings("ignore", message=r".*not registered in the param store "
                                r"because requires_grad=False")
        self._attention_frozen = True
        self.log(f"step {step}: attention nets frozen (train.freeze_attention_at); "
                 "only the experts' VAEs train from here")

    def _deterministic_at(self) -> int | None:
        """The first deterministic training step: ``deterministic_from``, or
        ``reserve_background_deterministic_after`` steps after the background reservation
        (the earlier of the two; None: never)."""
        at, res = self.tr["deterministic_from"], self.state.get("reserved_background")
        after = self.tr["reserve_background_deterministic_after"]
        if after is not None and res:
            at = res["step"] + after if at is None else min(at, res["step"] + after)
        return at

    def _deterministic_trained(self) -> bool:
        """Whether the steps since the last evaluation competed deterministically (the
        switch happens at the start of step ``_deterministic_at``, after that step's
        evaluation)."""
        at = self._deterministic_at()
        return at is not None and self.state["step"] > at

    def _competition_mode(self, step: int) -> None:
        """The training competition's mode at ``step``: ``model.competition``, and from
        ``_deterministic_at`` on deterministic (also after a resume past that step).  With
        ``deterministic_patience`` the lr schedule starts afresh at the switch (the
        deterministic competition changes the loss level) and uses that patience."""
        at = self._deterministic_at()
        mode = "deterministic" if at is not None and step >= at else self.model_cfg.competition
        if step == at and self.tr["deterministic_patience"] is not None:
            self._restart_lr_schedule()
        if mode != self.econ.competition.mode:
            self.econ.competition.mode = mode
            self.log(f"step {step}: the training competition is {mode} from here "
                     "(train.deterministic_from / reserve_background_deterministic_after)")

    def _restore_best(self) -> int | None:
        """Weights and Adam moments back to ``best.pt``'s (``train.restore_best_on_decrease``);
        the lr (just decreased), step, time, schedule counters and RNG stream go on.  Returns
        the best checkpoint's step, or None (nothing restored) when there is no best.pt or
        it has another model config (saved before a background reservation)."""
        path = self.out / "best.pt"
        best = load_checkpoint(path) if path.is_file() else None
        if best is None or best["config"]["model"] != self.cfg["model"]:
            self.log(f"step {self.state['step']}: no best checkpoint of this model config to "
                     "restore (train.restore_best_on_decrease); training goes on")
            return None
        lr = self.opt.param_groups[0]["lr"]
        self.econ.load_state_dict(best["model"])
        self.opt.load_state_dict(best["optimizer"])
        self._set_lr(lr)
        step = int(best["state"]["step"])
        self.log(f"step {self.state['step']}: lr {lr:.2e}; weights and Adam moments back to "
                 f"the best validation loss's (step {step}; train.restore_best_on_decrease)")
        return step

    def _lr_schedule_started(self) -> bool:
        """Whether this evaluation counts towards the plateau schedule: with
        ``train.lr_schedule_from`` only those after that step (the schedule starts afresh at
        the start of that step, after the evaluation of the steps before it)."""
        at = self.tr["lr_schedule_from"]
        return at is None or self.state["step"] > at

    def _restart_lr_schedule(self) -> None:
        """The plateau schedule starts afresh: the best validation loss so far is forgotten
        and the count of evaluations without improvement is reset (the lr stays)."""
        self.state["best_val"], self.state["bad_evals"] = math.inf, 0

    def _set_lr(self, lr: float) -> None:
        """Set the lr of every parameter group (recorded in the state as after a decrease)."""
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.state["lr"] = lr

    def _temperature(self, step: int) -> float:
        """The competition temperature of a training step: the schedule's, or
        ``reserve_background_temperature`` once the background expert is reserved."""
        tau = self.tr["reserve_background_temperature"]
        if tau is not None and self._reserved():
            return float(tau)
        return temperature_at(self.tr, self.model_cfg, step, self.state["anneal_from"])

    def _reserved(self) -> bool:
        """Whether this run has reserved its background expert (the ``reserve_background_*``
        options that act "from the reservation on" key off this, not off a background
        expert the model came with)."""
        return bool(self.state.get("reserved_background"))

    def _reservation_guarded(self) -> bool:
        return any(self.tr[f"reserve_background_{key}"] is not None
                   for key in ("last_largest", "spare_below", "merged_below"))

    def _reservation_due(self) -> bool:
        """Try the reservation now?  From ``reserve_background_at`` on, until it happens:
        at every step, or with a guard at evaluation steps only; never in an attempt about
        to start again (a merged run reserves nothing)."""
        tr, step = self.tr, self.state["step"]
        return (tr["reserve_background_at"] is not None and step >= tr["reserve_background_at"]
                and self.model_cfg.background_expert is None and not self._restart
                and (not self._reservation_guarded() or step % tr["eval_every"] == 0))

    def _check_decomposition(self) -> dict:
        """A deterministic decomposition of the validation scenes for a label-free check,
        with its own random numbers: a check that does nothing leaves the run unchanged."""
        cuda = [self.device] if self.device.type == "cuda" else []
        with self._unbiased(), torch.random.fork_rng(devices=cuda):
            return decompose(self.econ, self.data.val["image"])

    def _split_due(self) -> bool:
        """Check for a merged expert now?  At evaluation steps from ``split_merged_from``
        on, before the background reservation, and ``split_merged_every`` steps after the
        last split."""
        tr, st = self.tr, self.state
        step = st["step"]
        return (tr["split_merged_from"] is not None and step >= tr["split_merged_from"]
                and step % tr["eval_every"] == 0 and self.model_cfg.background_expert is None
                and (not st["splits"] or step - st["splits"][-1]["step"]
                     >= tr["split_merged_every"]))

    def _may_restart(self) -> bool:
        """A restart is still possible: no background reserved, none asked for yet, restarts
        left."""
        return (self.model_cfg.background_expert is None and not self._restart
                and len(self.cfg.get("restarts", [])) < self.tr["max_restarts"])

    def _restart_due(self) -> bool:
        """The merge check runs at ``restart_merged_at`` and, up to ``restart_merged_until``,
        at every evaluation step after it, until the background is reserved; also when no
        restart is left (its verdict is then logged and recorded only; the check draws no
        random numbers)."""
        tr, step = self.tr, self.state["step"]
        at, until = tr["restart_merged_at"], tr["restart_merged_until"]
        return (at is not None and self.model_cfg.background_expert is None
                and (step == at or (until is not None and at < step <= until
                                    and step % tr["eval_every"] == 0)))

    def _request_restart(self, reason: str, why: str, **details) -> None:
        """Ask ``train`` for a fresh start with another seed after this step; ``reason`` and
        ``details`` go into the restart history (``_restart_config``)."""
        self._restart = True
        self.state["restart_request"] = {"reason": reason, **details}
        self.log(f"step {self.state['step']}: {why}; starting again with another seed")

    def _check_restart(self) -> None:
        """Ask for a fresh start if one expert wins two or more object steps in at least
        ``restart_merged_above`` of the validation scenes; with no restart left, warn."""
        st = self.state
        check = merge_check(self._check_decomposition()["experts"], self.model_cfg.n_experts)
        merged = check["merged_share"] >= self.tr["restart_merged_above"]
        restart = merged and self._may_restart()
        self._log_metrics({"step": st["step"], "restart_check": {**check, "restart": restart}})
        why = (f"expert {check['merged']} won two or more object steps in "
               f"{check['merged_share']:.0%} of the validation scenes (a merged run)")
        if restart:
            self._request_restart("merged", why, merged_share=check["merged_share"])
        elif merged:
            self.log(f"warning: step {st['step']}: {why}; no restart left "
                     f"(train.max_restarts = {self.tr['max_restarts']})")

    def _unreserved_restart_due(self) -> bool:
        tr, step = self.tr, self.state["step"]
        return (tr["restart_unreserved_at"] is not None and step >= tr["restart_unreserved_at"]
                and step % tr["eval_every"] == 0 and self._may_restart())

    def _restart_unreserved(self) -> None:
        """Ask for a fresh start: the background expert is still not reserved."""
        self._log_metrics({"step": self.state["step"], "restart_check": {"unreserved": True,
                                                                         "restart": True}})
        self._request_restart("unreserved", "the background is still not reserved (a "
                              "background-first run; train.restart_unreserved_at)")

    def _split_pair(self, step: int) -> tuple[int, int] | None:
        """The merged expert and its copy while they must divide the objects
        (``split_merged_exclusive`` steps after the last split), else None."""
        splits, n = self.state["splits"], self.tr["split_merged_exclusive"]
        if not splits or step >= splits[-1]["step"] + n:
            return None
        return splits[-1]["merged"], splits[-1]["expert"]

    def _split_merged(self) -> None:
        """If one expert wins two or more object steps in at least ``split_merged_above``
        of the validation scenes, overwrite ``merge_check``'s target expert with a copy of
        it perturbed by ``revive_noise``; its Adam state restarts, or with
        ``split_merged_exclusive`` becomes a copy of the merged expert's."""
        tr, st, K = self.tr, self.state, self.model_cfg.n_experts
        check = merge_check(self._check_decomposition()["experts"], K)
        split = check["merged_share"] >= tr["split_merged_above"] and check["target"] is not None
        # rank 0 decides, so every rank overwrites the same expert with the same noise
        code = int(self.dist.from_main(check["merged"] * 1000 + check["target"] if split else -1))
        self._log_metrics({"step": st["step"], "split_check": {**check, "split": code >= 0}})
        if code < 0:
            return
        merged, target = divmod(code, 1000)
        revive_expert(self.econ, self.opt, target, merged, tr["revive_noise"],
                      seed=tr["seed"] * 1_000_003 + st["step"],
                      copy_state=tr["split_merged_exclusive"] > 0)
        st["last_win"][target] = st["step"]
        st["splits"].append({"step": st["step"], "merged": merged, "expert": target,
                             "merged_share": check["merged_share"]})
        self.log(f"step {st['step']}: expert {merged} won two or more object steps in "
                 f"{check['merged_share']:.0%} of the validation scenes; expert {target} "
                 f"(object-step wins {check['object_step_wins']}) is now a copy of it")

    def _reserve_background(self) -> None:
        """From now on only the expert that wins the fewest object steps (t > 1) of the
        validation scenes (deterministic competition; ties: the one winning most last
        steps) explains the last step (``model.background_expert``), and the lr becomes
        ``reserve_background_lr``.  With ``reserve_background_copy`` that expert first
        becomes a copy of the expert that won most last steps (its weights; its Adam
        state restarts).  With a guard (``reserve_background_last_largest``,
        ``reserve_background_spare_below``, ``reserve_background_merged_below``) nothing
        happens until the validation scenes pass it: the check needs no labels; from
        ``reserve_background_spare_until`` on the spare's guard no longer counts.  From
        ``reserve_background_taker_from`` on, a check at which the last step's region is the
        largest in under ``reserve_background_taker_below`` of the scenes reserves instead the
        expert that wins the largest region most often (the one taking the background)."""
        tr, st, K = self.tr, self.state, self.model_cfg.n_experts
        dec = self._check_decomposition()
        check = reservation_check(dec["experts"], dec["regions"], K)
        merged = merge_check(dec["experts"], K)
        need_last = tr["reserve_background_last_largest"]
        need_spare = tr["reserve_background_spare_below"]
        if tr["reserve_background_spare_until"] is not None and \
                st["step"] >= tr["reserve_background_spare_until"]:
            need_spare = None  # the spare guard has ended
        need_merged = tr["reserve_background_merged_below"]
        # reserved although the spare's guard would still wait (reserve_background_spare_until)
        late_spare = need_spare is None and tr["reserve_background_spare_below"] is not None \
            and check["spare_share"] >= tr["reserve_background_spare_below"]
        passed = bool(self.dist.from_main(int(
            (need_last is None or check["last_largest"] >= need_last)
            and (need_spare is None or check["spare_share"] < need_spare)
            and (need_merged is None or merged["merged_share"] < need_merged))))
        # a background-first run from reserve_background_taker_from on: reserve the expert
        # that takes the background at an object step (round 23), not the spare
        taker = bool(self.dist.from_main(int(
            tr["reserve_background_taker_from"] is not None
            and st["step"] >= tr["reserve_background_taker_from"]
            and check["last_largest"] < tr["reserve_background_taker_below"])))
        b = int(self.dist.from_main(check["taker" if taker else "spare"]))  # rank 0 decides
        source = int(self.dist.from_main(check["source"]))
        if self._reservation_guarded():
            self._log_metrics({"step": st["step"], "reservation_check": {
                **check, "merged_share": merged["merged_share"], "passed": passed,
                "taker_reserved": taker}})
            if not passed and not taker:
                self.log(f"step {st['step']}: background reservation waits: the last step's "
                         f"region is the largest in {check['last_largest']:.0%} of the "
                         f"validation scenes (needs {need_last}), spare expert {b} won "
                         f"{check['spare_share']:.1%} of the object steps (needs < "
                         f"{need_spare}), expert {merged['merged']} won two or more object "
                         f"steps in {merged['merged_share']:.0%} of them (needs < "
                         f"{need_merged})")
                return
        if merged["merged_share"] >= tr["restart_merged_above"]:  # e.g. round 16's seed 21
            self.log(f"warning: step {st['step']}: the background is reserved in a merged run "
                     f"(expert {merged['merged']} won two or more object steps in "
                     f"{merged['merged_share']:.0%} of the validation scenes); "
                     "train.restart_merged_at starts such runs again")
        copied = tr["reserve_background_copy"] and source != b and not taker
        if copied:  # b starts as an exact copy of the expert that explained the last step
            revive_expert(self.econ, self.opt, dead=b, source=source, noise=0.0)
        mr = tr["reserve_background_min_region"]
        extra = {} if mr is None else {"min_region": float(mr)}
        self.model_cfg = replace(self.model_cfg, background_expert=b, **extra)
        self.econ.config = self.model_cfg
        self.cfg["model"].update(background_expert=b, **extra)
        if mr is not None:  # empty object steps stop winning from here on
            self.econ.competition.min_region = float(mr)
        if tr["reserve_background_lr"] is not None:
            self._set_lr(tr["reserve_background_lr"])
        if tr["reserve_background_fresh_schedule"]:  # judge later losses by later losses
            self._restart_lr_schedule()
        self.shares.window.zero_()  # a revival judges wins after the reservation only
        st["reserved_background"] = {"step": st["step"], "expert": b,
                                     "object_step_wins": check["object_step_wins"],
                                     "last_step_wins": check["last_step_wins"],
                                     "copied_from": source if copied else None,
                                     "taker": taker,
                                     "spare_guard_ended": late_spare and not taker,
                                     "last_largest": check["last_largest"],
                                     "merged_share": merged["merged_share"]}
        if self.dist.main:  # a resume must rebuild the model with the reservation
            (self.out / "config.json").write_text(json.dumps(self.cfg, indent=2) + "\n")
        self.save("last")  # checkpoint and config.json agree from here on
        self.log(f"step {st['step']}: expert {b} (object-step wins on the validation scenes "
                 f"{check['object_step_wins']}) now explains only the last step (background)"
                 + (f", as a copy of expert {source}" if copied else "")
                 + (f", as the expert that takes the largest region in "
                    f"{check['taker_share']:.0%} of the validation scenes (the background is "
                    f"last in {check['last_largest']:.0%}: train.reserve_background_taker_from)"
                    if taker else "")
                 + (f", although it won {check['spare_share']:.1%} of the object steps (train."
                    "reserve_background_spare_until)" if late_spare and not taker else "")
                 + (f"; lr {tr['reserve_background_lr']:.2e}"
                    if tr["reserve_background_lr"] is not None else ""))

    def _remedy(self) -> None:
        """End of a revival window: revive and/or restart the anneal for a starving expert."""
        tr, st = self.tr, self.state
        found = self.shares.starving(tr["revive_below"])
        # rank 0 decides, so every rank revives the same expert with the same noise
        code = self.dist.from_main(-1 if found is None else found[0] * 1000 + found[1])
        if code < 0:
            return
        dead, busiest = divmod(int(code), 1000)
        if tr["revive"] is not None:
            source = busiest if tr["revive"] == "split" else None
            revive_expert(self.econ, self.opt, dead, source, tr["revive_noise"],
                          seed=tr["seed"] * 1_000_003 + st["step"])
            st["last_win"][dead] = st["step"]
            self.shares.share[dead] = 1.0 / len(self.shares.share)
            st["revivals"].append({"step": st["step"], "expert": dead, "source": source})
        if tr["temperature_restart"]:
            st["anneal_from"] = st["step"]
        self.log(f"step {st['step']}: expert {dead} won under {tr['revive_below']:.0%} of the "
                 f"last {tr['revive_window']} steps' competitions; "
                 + (f"re-initialised it ({tr['revive']}"
                    + (f" of expert {busiest})" if tr["revive"] == "split" else ")")
                    if tr["revive"] else "")
                 + ("; temperature anneal restarted" if tr["temperature_restart"] else ""))

    def _completion_on(self) -> bool:
        w = self.tr["completion_loss"]
        return bool(w) and self.state["step"] >= self.tr["completion_from"]

    def _step(self, x, kw):
        """``infer.train_step`` plus gradient clipping and a finiteness check.

        The optimiser steps only if the loss and the gradient norm are finite
        (one host sync per step), so a bad batch never reaches the weights.
        """
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.bfloat16,
                            enabled=self.tr["autocast"] == "bf16"), without_param_sites():
            res = self.elbo.compute(self.econ.model, self.econ.guide, x, **kw)
            total = res.loss
            if self._completion_on():  # a deviation (infer/completion.py)
                res.completion = completion_loss(self.econ, x, res.guide_trace)
                total = total + self.tr["completion_loss"] * res.completion
        res.guide_trace = res.model_trace = None
        total.backward()
        self.dist.average_gradients(self.econ.parameters())
        clip = self.tr["grad_clip"]
        norm = torch.nn.utils.clip_grad_norm_(self.econ.parameters(),
                                              math.inf if clip is None else clip)
        loss, total, norm = torch.stack([res.loss.detach(), total.detach(),
                                         norm.to(total)]).tolist()  # one sync
        ok = not self.dist.any(not (math.isfinite(total) and math.isfinite(norm)))
        if ok:
            self.opt.step()
        return res, loss, ok

    def _tensorboard(self, rec: dict) -> None:
        if not self.tr["tensorboard"] or not self.dist.main:
            return
        if self._tb is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self.log("tensorboard is not installed (pip install 'econ-pyro[tensorboard]'); "
                         "logging to metrics.jsonl only")
                self.tr["tensorboard"] = False
                return
            self._tb = SummaryWriter(str(self.out / "tensorboard"))
        flat = {**rec, **{f"dashboard/{k}": v for k, v in rec.get("dashboard", {}).items()}}
        for k, v in flat.items():
            if k in ("step", "idle_experts") or isinstance(v, bool):
                continue
            if isinstance(v, int | float):
                self._tb.add_scalar(k, v, rec["step"])
            elif k == "winners":  # win share of each expert at each position, t = T..1
                for i, row in enumerate(v):
                    for e, n in enumerate(row):
                        self._tb.add_scalar(f"winners/t{len(v) - i}/expert{e}",
                                            n / max(sum(row), 1), rec["step"])
            elif isinstance(v, list) and v and isinstance(v[0], int | float):
                for i, x in enumerate(v):
                    self._tb.add_scalar(f"{k}/t{len(v) - i}", x, rec["step"])

    def _snapshot(self) -> None:
        """PNG: a decomposition panel of a validation image and one prior row per expert."""
        x = next(iter(self.data.val_batches(1)))["image"].to(self.device)
        d = decompose(self.econ, x)
        rows = decomposition_panel(d, 0, x[0].cpu())
        for k in range(self.model_cfg.n_experts):
            s = sample(self.econ, experts=[k], n=5, seed=k)
            rows.append([on_grey(a, m[None]) for a, m in
                         zip(s["appearances"][:, 0].cpu(), s["shapes"][:, 0].cpu(), strict=True)])
        save_grid(rows, self.out / "snapshots" / f"step_{self.state['step']:07d}.png")

    @contextmanager
    def _unbiased(self):
        """Validation and dashboard compete without the training-only load-balancing
        bias and exclusivity, exactly as ``econ-pyro evaluate`` does on a checkpoint."""
        c = self.econ.competition
        saved, c.bias, c.exclusive = (c.bias, c.exclusive), None, False
        try:
            yield
        finally:
            c.bias, c.exclusive = saved

    def _evaluate(self, t0: float) -> None:
        st, tr = self.state, self.tr
        with self._unbiased():
            val = self.dist.from_main(self.validate() if self.dist.main else 0.0)
        improved, restore = val < st["best_val"], False
        if improved:
            st["best_val"], st["bad_evals"] = val, 0
        elif self._lr_schedule_started():
            st["bad_evals"] += 1
            patience = tr["deterministic_patience"] if self._deterministic_trained() else None
            if st["bad_evals"] >= (patience or tr["patience"]):
                st["lr_decreases"] += 1
                st["bad_evals"] = 0
                for g in self.opt.param_groups:
                    g["lr"] *= tr["lr_factor"]
                restore = tr["restore_best_on_decrease"]
        st["lr"] = self.opt.param_groups[0]["lr"]
        rec = {"step": st["step"], "val_loss": val, "best_val": st["best_val"], "lr": st["lr"],
               "lr_decreases": st["lr_decreases"], "elapsed": time.perf_counter() - t0}
        line = f"step {st['step']:6d}  validation loss {val:.2f} (best {st['best_val']:.2f})"
        if tr["dashboard"] and self.data.val_scenes is not None and self.dist.main:
            # evaluate() seeds its own forked RNG: the training stream stays untouched
            with self._unbiased():
                dash = dashboard(evaluate(self.econ, self.data.val_scenes, baselines=False))
            rec["dashboard"] = dash
            line += (f"  FG-ARI {dash['fg_ari']:.3f}  purity {dash['purity']:.3f}  distinct "
                     f"{dash['distinct_experts']}  depth {dash['depth_order_accuracy']:.3f}  "
                     f"bg-last {dash['background_last']:.2f}  "
                     f"amodal(occl) {dash['amodal_iou_occluded']:.3f}  dead {dash['dead_experts']}")
        self._log_metrics(rec)
        self._tensorboard(rec)
        self.log(line)
        if tr["snapshot_every"] and st["step"] % tr["snapshot_every"] == 0 and self.dist.main:
            with torch.random.fork_rng(devices=[]):
                self._snapshot()
        if restore:  # after the evaluation's records, which describe the weights it judged
            back_to = self._restore_best()
            if back_to is not None:
                st["restorations"].append([st["step"], back_to])
        self.save("last")
        if improved:
            self.save("best")
        if self.on_eval is not None and self.dist.main:
            self.on_eval(rec)


RESTART = "restart with another seed"
RESTART_SEED_STEP = 1000


def _restart_config(cfg: dict, out: Path, state: dict, log) -> dict:
    """Keep the abandoned attempt (merged or unreserved) in ``out/attempts/<n>-seed<s>/``
    and return the config of a fresh start: seed + 1000, ``max_time`` less the time spent,
    the history in ``cfg["restarts"]`` (so a resume and ``config.json`` know it)."""
    tr = cfg["train"]
    history = list(cfg.get("restarts", []))
    keep = out / "attempts" / f"{len(history) + 1}-seed{tr['seed']}"
    keep.mkdir(parents=True)
    for name in ("last.pt", "best.pt", "metrics.jsonl", "snapshots", "tensorboard"):
        if (out / name).exists():
            os.replace(out / name, keep / name)
    history.append({"step": state["step"], "seed": tr["seed"], "elapsed": state["elapsed"],
                    **state["restart_request"], "kept_in": str(keep)})
    new = {**cfg, "train": {**tr, "seed": tr["seed"] + RESTART_SEED_STEP}, "restarts": history}
    if tr["max_time"] is not None:
        new["train"]["max_time"] = max(tr["max_time"] - state["elapsed"], 0.0)
    log(f"restart {len(history)} of at most {tr['max_restarts']}: seed "
        f"{new['train']['seed']}; the abandoned attempt is in {keep}")
    return new


def train(cfg: dict, out, resume: bool = False, log=print, on_eval=None) -> dict:
    """Train ECON with the resolved config ``cfg`` into run folder ``out``.

    ``on_eval(record)`` is called after every evaluation (validation loss and
    dashboard metrics, checkpoint already saved), e.g. to report to a tuner.
    With ``train.restart_merged_at`` a run found merged at that step, with
    ``train.restart_unreserved_at`` a run whose background expert is not reserved by then,
    starts again from scratch with another seed (``_restart_config``); the returned state
    then has ``restarts`` (one entry per abandoned attempt, with its ``reason``).
    """
    while True:
        state = Trainer(cfg, out, resume=resume, log=log, on_eval=on_eval).run()
        if state["done"] != RESTART:
            if cfg.get("restarts"):
                state["restarts"] = cfg["restarts"]
            return state
        cfg, resume = _restart_config(cfg, Path(out), state, log), False
