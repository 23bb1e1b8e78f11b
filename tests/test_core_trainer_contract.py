"""The trainer contract: what a Trainer subclass declares is checked when it is defined, not when the CLI
or the window first looks it up."""
import dataclasses

import pytest

from studio.trainers.base import Trainer
from studio.trainers.registry import TRAINERS


@dataclasses.dataclass
class _Config:
    lr: float = 1e-3


# Every abstract method, so that only the declarations vary.
METHODS = {"series": (), "panels": (), "train_step": lambda self: {}, "images": lambda self: {},
           "modules": lambda self: {}, "optimizers": lambda self: {}, "generate": lambda self, n, seed: None}
DECLARED = {"kind": "toy", "title": "Toy", "config_cls": _Config, "presets": {"base": _Config()},
            "default_preset": "base"}


def _define(**declared):
    return type("ToyTrainer", (Trainer,), {**METHODS, **declared})


def test_every_registered_trainer_declares_the_contract():
    for kind, cls in TRAINERS.items():
        assert cls.kind == kind and cls.title
        assert cls.default_preset in cls.presets
        assert all(isinstance(c, cls.config_cls) for c in cls.presets.values())
        assert isinstance(cls.uses_data, bool)


def test_a_complete_trainer_is_accepted_and_uses_data_by_default():
    assert _define(**DECLARED).uses_data is True


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_a_trainer_that_forgets_a_declaration_fails_when_defined(name):
    with pytest.raises(TypeError, match=f"ToyTrainer does not declare {name}"):
        _define(**{k: v for k, v in DECLARED.items() if k != name})


def test_a_default_preset_that_is_not_a_preset_fails():
    with pytest.raises(TypeError, match="default_preset 'other' is not one of its presets"):
        _define(**{**DECLARED, "default_preset": "other"})


def test_an_abstract_base_for_trainers_declares_nothing_yet():
    class Base(Trainer):  # still abstract: its concrete subclasses are the ones checked
        def extra(self): ...
    assert Base.__abstractmethods__
