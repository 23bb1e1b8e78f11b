"""Config fields: ranges, choices, types, cross-checks, parsing, and which fields may change mid-run."""
import dataclasses
import math

import pytest

from studio import config as cfg
from studio.errors import ConfigError, StudioError
from studio.run_settings import RunSettings
from studio.trainers.gan_config import GANConfig
from studio.trainers.registry import TRAINERS, trainer_class


def info(cls, name):
    return next(f for f in cfg.fields_of(cls) if f.name == name)


def refused(config, **changes) -> ConfigError:
    """The ConfigError for `config` with `changes` (fails the test if it validates)."""
    with pytest.raises(ConfigError) as err:
        cfg.validate(dataclasses.replace(config, **changes))
    return err.value


def bad(config, **changes) -> str:
    return str(refused(config, **changes))


def names(config, message_or_error, *fields) -> bool:
    """Whether a message names each field by its label (as the form does), never by its name; and an
    error also lists the fields themselves, for the form to outline them."""
    text = str(message_or_error)
    labels_in = all(cfg.label_of(config, f) in text for f in fields)
    listed = not isinstance(message_or_error, ConfigError) or set(fields) <= set(message_or_error.fields)
    return labels_in and listed and not any(f in text for f in fields if "_" in f)


# --- presets and defaults -------------------------------------------------------------------

def test_registry_has_the_gan():
    assert "gan" in TRAINERS
    assert trainer_class("gan").kind == "gan"
    with pytest.raises(ConfigError, match="nosuch"):
        trainer_class("nosuch")


@pytest.mark.parametrize("kind,preset", [(k, p) for k, cls in TRAINERS.items() for p in cls.presets])
def test_every_preset_validates_and_round_trips(kind, preset):
    cls = TRAINERS[kind]
    config = cls.presets[preset]
    assert isinstance(config, cls.config_cls)
    cfg.validate(config)
    assert cfg.from_dict(cls.config_cls, cfg.to_dict(config)) == config


def test_default_preset_exists_and_defaults_validate():
    for cls in TRAINERS.values():
        assert cls.default_preset in cls.presets
        cfg.validate(cls.config_cls())
    cfg.validate(RunSettings())


def test_presets_are_distinct():
    for cls in TRAINERS.values():
        configs = list(cls.presets.values())
        assert len(set(configs)) == len(configs)


# --- ranges, choices, types -----------------------------------------------------------------

@pytest.mark.parametrize("changes,fields", [
    ({"lr_g": 5.0}, ["lr_g"]),
    ({"lr_d": 0.0}, ["lr_d"]),
    ({"batch_size": 0}, ["batch_size"]),
    ({"z_dim": 1}, ["z_dim"]),
    ({"beta1": 1.0}, ["beta1"]),         # Adam needs beta1 < 1
    ({"n_critic": 0}, ["n_critic"]),
    ({"label_smoothing": 0.9}, ["label_smoothing"]),
    ({"g_width": 2, "d_width": 100000}, ["g_width", "d_width"]),   # every problem is named
])
def test_out_of_range_values_are_refused(tiny_gan_config, changes, fields):
    err = refused(tiny_gan_config, **changes)
    assert names(tiny_gan_config, err, *fields)
    assert err.fields == tuple(fields)
    assert "out of range" in str(err)


def test_range_bounds_are_inclusive_for_every_numeric_field():
    base = GANConfig()
    for f in cfg.fields_of(GANConfig):
        if f.type not in (int, float) or f.choices:
            continue
        for edge in (f.low, f.high):
            if edge is not None:
                cfg.validate(dataclasses.replace(base, **{f.name: f.type(edge)}))
        if f.low is not None:
            below = f.low - 1 if f.type is int else f.low - abs(f.low) * 0.5 - 1e-9
            assert names(base, refused(base, **{f.name: f.type(below)}), f.name)
        if f.high is not None:
            above = f.high + 1 if f.type is int else f.high * 2 + 1
            assert names(base, refused(base, **{f.name: f.type(above)}), f.name)


def test_choices_are_enforced(tiny_gan_config):
    assert names(tiny_gan_config, refused(tiny_gan_config, loss="foo"), "loss")
    assert names(tiny_gan_config, refused(tiny_gan_config, optimizer="sgd"), "optimizer")
    assert names(tiny_gan_config, refused(tiny_gan_config, d_norm="instance"), "d_norm")
    for loss in ("non-saturating", "wgan"):
        cfg.validate(dataclasses.replace(tiny_gan_config, loss=loss))


@pytest.mark.parametrize("changes,fragment", [
    ({"z_dim": 8.5}, "whole number"),
    ({"z_dim": "8"}, "number"),
    ({"batch_size": True}, "number"),          # a bool is not a number here
    ({"lr_g": math.nan}, "finite"),
    ({"lr_g": math.inf}, "finite"),
    ({"conditional": 1}, "true or false"),
    ({"conditional": "yes"}, "true or false"),
    ({"loss": None}, "loss"),
])
def test_wrong_types_are_refused(tiny_gan_config, changes, fragment):
    err = refused(tiny_gan_config, **changes)
    assert fragment in str(err)
    assert names(tiny_gan_config, err, next(iter(changes)))


def test_config_error_is_a_studio_error():
    assert issubclass(ConfigError, StudioError)


# --- cross-checks ---------------------------------------------------------------------------

def test_wgan_gp_with_batch_norm_is_refused(tiny_gan_config):
    message = bad(tiny_gan_config, loss="wgan-gp", d_norm="batch")
    assert "wgan-gp" in message.lower() and ("d_norm" in message or "D normalisation" in message)


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_wgan_gp_without_batch_norm_is_accepted(tiny_gan_config, norm):
    cfg.validate(dataclasses.replace(tiny_gan_config, loss="wgan-gp", d_norm=norm))


def test_batch_norm_is_fine_for_other_losses(tiny_gan_config):
    for loss in ("non-saturating", "wgan"):
        cfg.validate(dataclasses.replace(tiny_gan_config, loss=loss, d_norm="batch"))


# --- from_dict ------------------------------------------------------------------------------

def test_from_dict_refuses_unknown_keys():
    with pytest.raises(ConfigError) as err:
        cfg.from_dict(GANConfig, {"lr_g": 1e-3, "learning_rate": 1e-3, "zdim": 4})
    assert "learning_rate" in str(err.value) and "zdim" in str(err.value)
    assert "lr_g" not in str(err.value)


def test_from_dict_parses_text_converts_ints_and_keeps_the_base():
    base = GANConfig(loss="wgan", optimizer="rmsprop")
    config = cfg.from_dict(GANConfig, {"lr_g": "1e-3", "z_dim": "16", "lr_d": 1, "conditional": "yes"}, base=base)
    assert config.lr_g == pytest.approx(1e-3) and type(config.lr_g) is float
    assert config.z_dim == 16 and type(config.z_dim) is int
    assert config.lr_d == 1.0 and type(config.lr_d) is float
    assert config.conditional is True
    assert (config.loss, config.optimizer) == ("wgan", "rmsprop")


def test_from_dict_validates_the_result():
    with pytest.raises(ConfigError, match="G learning rate") as err:
        cfg.from_dict(GANConfig, {"lr_g": "5"})
    assert err.value.fields == ("lr_g",)
    with pytest.raises(ConfigError, match="(?i)wgan-gp"):
        cfg.from_dict(GANConfig, {"loss": "wgan-gp"})   # the default d_norm is batch
    with pytest.raises(ConfigError, match="noise size") as err:
        cfg.from_dict(GANConfig, {"z_dim": "abc"})
    assert err.value.fields == ("z_dim",)


# --- parse_value ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [("1", True), ("true", True), (" Yes ", True), ("on", True),
                                           ("0", False), ("FALSE", False), ("no", False), ("off", False)])
def test_parse_bool(text, expected):
    assert cfg.parse_value(info(GANConfig, "conditional"), text) is expected


def test_parse_numbers_and_text():
    z, lr, loss = info(GANConfig, "z_dim"), info(GANConfig, "lr_g"), info(GANConfig, "loss")
    assert cfg.parse_value(z, "12") == 12 and type(cfg.parse_value(z, "12")) is int
    assert cfg.parse_value(z, "1e2") == 100 and type(cfg.parse_value(z, "1e2")) is int
    assert cfg.parse_value(lr, " 2.5e-4 ") == pytest.approx(2.5e-4)
    assert type(cfg.parse_value(lr, "1")) is float
    assert cfg.parse_value(loss, " wgan ") == "wgan"
    # no range check at parse time: that is validate's job
    assert cfg.parse_value(lr, "99") == 99.0


@pytest.mark.parametrize("name,text", [("z_dim", "2.5"), ("z_dim", "eight"), ("lr_g", ""), ("lr_g", "1e-3x"),
                                       ("conditional", "maybe"), ("conditional", "2")])
def test_parse_refuses_bad_text(name, text):
    with pytest.raises(ConfigError) as err:
        cfg.parse_value(info(GANConfig, name), text)
    assert names(GANConfig, err.value, name) and err.value.fields == (name,)


# --- live changes ---------------------------------------------------------------------------

def test_live_changes_returns_what_changed(tiny_gan_config):
    new = dataclasses.replace(tiny_gan_config, lr_g=3e-3, batch_size=16)
    assert cfg.live_changes(tiny_gan_config, new) == {"lr_g": 3e-3, "batch_size": 16}
    assert cfg.live_changes(tiny_gan_config, tiny_gan_config) == {}


@pytest.mark.parametrize("changes", [{"z_dim": 16}, {"loss": "wgan"}, {"optimizer": "rmsprop"},
                                     {"conditional": True}, {"d_norm": "layer"}, {"g_width": 8}])
def test_live_changes_refuses_shape_and_structure_fields(tiny_gan_config, changes):
    new = dataclasses.replace(tiny_gan_config, lr_g=3e-3, **changes)
    with pytest.raises(ConfigError) as err:
        cfg.live_changes(tiny_gan_config, new)
    (name,) = changes
    assert names(tiny_gan_config, err.value, name) and err.value.fields == (name,)
    assert "G learning rate" not in str(err.value)   # only the frozen fields are blamed


def test_only_optimizer_settings_are_live():
    live = {f.name for f in cfg.fields_of(GANConfig) if f.live}
    assert {"lr_g", "lr_d", "beta1", "beta2", "batch_size"} <= live
    assert not live & {"z_dim", "g_width", "d_width", "loss", "optimizer", "conditional", "d_norm"}


def test_field_info_describes_ranges():
    assert info(GANConfig, "loss").range_text() == "one of non-saturating, wgan, wgan-gp"
    assert info(GANConfig, "conditional").range_text() == "true or false"
    assert info(GANConfig, "z_dim").range_text() == "2 … 512"
