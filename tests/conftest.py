import pyro
import pytest
import torch

from econ_pyro import ECON, ECONConfig


@pytest.fixture(autouse=True)
def _seed_and_validate():
    pyro.enable_validation(True)
    pyro.set_rng_seed(0)
    pyro.clear_param_store()
    yield


def tiny_config(**kw) -> ECONConfig:
    base = dict(n_experts=3, n_steps=3, image_size=16, latent_dim=2, attention_channels=(4, 8),
                vae_layers=2, vae_features=4, sigma_x=0.2)
    base.update(kw)
    return ECONConfig(**base)


@pytest.fixture
def tiny_econ():
    return ECON(tiny_config())


@pytest.fixture
def tiny_batch():
    from econ_pyro.data import ProceduralScenes, SceneConfig

    return ProceduralScenes(SceneConfig(image_size=16), batch_size=6, seed=1).batch(0)["image"]


def make_econ(**kw) -> ECON:
    torch.manual_seed(0)
    return ECON(tiny_config(**kw))


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """A few steps of the smoke preset, trained once for the tests that need a run folder."""
    from click.testing import CliRunner

    from econ_pyro.cli.main import cli

    out = tmp_path_factory.mktemp("run") / "r"
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--max-steps", "4",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def scripted_validation(monkeypatch, losses) -> None:
    """Make ``Trainer.validate`` return ``losses`` one per evaluation (schedule tests)."""
    from econ_pyro.training import trainer

    it = iter(losses)
    monkeypatch.setattr(trainer.Trainer, "validate", lambda self: next(it))
