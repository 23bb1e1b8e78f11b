"""The models by their short names, with their hyperparameters and presets, without importing the trainers
(and so torch, ~1.5 s): what the command line needs to parse and check a `train` command, or to refuse a bad
one, before anything is built. studio/trainers/registry.py has the trainers themselves; tests/test_core_cli.py
checks that the two agree."""
import importlib
from typing import NamedTuple


class Kind(NamedTuple):
    config_cls: type
    presets: dict
    default_preset: str


_CONFIGS = {"gan": ("studio.trainers.gan_config", "GANConfig"),
            "vae": ("studio.trainers.vae_config", "VAEConfig"),
            "dqn": ("studio.trainers.dqn_config", "DQNConfig")}
KINDS = tuple(_CONFIGS)  # in the registry's order


def kind_of(name: str) -> Kind:
    """The config class and presets of the model `name` (one of KINDS). KeyError for another name."""
    module_name, class_name = _CONFIGS[name]
    module = importlib.import_module(module_name)
    return Kind(getattr(module, class_name), module.PRESETS, module.DEFAULT_PRESET)
