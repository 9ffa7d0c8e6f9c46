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
