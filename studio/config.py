"""Documented hyperparameter fields: one declaration feeds validation, the CLI flags and the GUI form.

A config is a frozen dataclass whose fields are declared with `param(...)`; the metadata carries the
help text, the valid range or choices, and whether the value may change while a run is paused.
"""
import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from studio.errors import ConfigError


def param(default, doc: str, *, low=None, high=None, choices=None, live: bool = False, label: str = ""):
    """Declare a config field. `live`: may be changed while paused (optimizer settings, not shapes)."""
    return field(default=default, metadata={"doc": doc, "low": low, "high": high,
                                            "choices": tuple(choices) if choices else None,
                                            "live": live, "label": label})


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: type
    default: Any
    doc: str
    low: Any
    high: Any
    choices: tuple | None
    live: bool
    label: str

    def range_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.type is bool:
            return "true or false"
        if self.type is str:
            return "text"
        lo = "−∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        return f"{lo} … {hi}"


def fields_of(config_or_cls) -> list[FieldInfo]:
    cls = config_or_cls if isinstance(config_or_cls, type) else type(config_or_cls)
    out = []
    for f in dataclasses.fields(cls):
        m = f.metadata
        typ = type(f.default)
        out.append(FieldInfo(f.name, typ, f.default, m.get("doc", ""), m.get("low"), m.get("high"),
                             m.get("choices"), m.get("live", False), m.get("label") or f.name.replace("_", " ")))
    return out


def field_problem(info: FieldInfo, value) -> str | None:
    """Why `value` is not valid for the field, or None when it is. Named by its label, as the form shows it."""
    name = info.label
    if info.type is bool:
        return None if isinstance(value, bool) else f"{name} must be true or false, not {value!r}"
    if info.choices:
        return None if value in info.choices else f"{name} must be {info.range_text()}, not {value!r}"
    if info.type in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{name} must be a number, not {value!r}"
        if info.type is int and int(value) != value:
            return f"{name} must be a whole number, not {value!r}"
        if not math.isfinite(value):
            return f"{name} must be a finite number, not {value!r}"
        if (info.low is not None and value < info.low) or (info.high is not None and value > info.high):
            return f"{name} = {value:g} is out of range (valid: {info.range_text()})"
    return None


def validate(config) -> None:
    """Raise ConfigError naming every field that is out of range, plus the config's own cross-checks
    (each a message, or a (field name, message) pair so that the field can be marked)."""
    problems = [(info.name, p) for info in fields_of(config) if (p := field_problem(info, getattr(config, info.name)))]
    check = getattr(config, "cross_check", None)
    if not problems and check is not None:
        problems.extend(p if isinstance(p, tuple) else (None, p) for p in check())
    if problems:
        raise ConfigError("; ".join(p for _, p in problems), fields=[n for n, _ in problems if n])


def parse_value(info: FieldInfo, text: str):
    """Turn the text typed in a form or on the command line into the field's type (no range check)."""
    text = str(text).strip()
    if info.type is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{info.label} must be true or false, not {text!r}", fields=[info.name])
    if info.type in (int, float):
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{info.label} must be a number, not {text!r}", fields=[info.name]) from None
        if info.type is int:
            if not value.is_integer():
                raise ConfigError(f"{info.label} must be a whole number, not {text!r}", fields=[info.name])
            return int(value)
        return value
    return text


def from_dict(cls, values: dict, base=None):
    """Build a validated config from a (possibly partial) dict; unknown keys are an error."""
    known = {f.name: f for f in fields_of(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"unknown setting(s) for {cls.__name__}: {', '.join(unknown)}")
    clean = {}
    for name, value in values.items():
        info = known[name]
        if info.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, str) and info.type is not str:
            value = parse_value(info, value)
        clean[name] = value
    config = dataclasses.replace(base if base is not None else cls(), **clean)
    validate(config)
    return config


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def to_json(config) -> str:
    return json.dumps(to_dict(config), sort_keys=True)


def live_changes(old, new) -> dict:
    """Fields that differ between two configs; ConfigError if any of them cannot change mid-run."""
    infos = {f.name: f for f in fields_of(old)}
    changed = {n: getattr(new, n) for n in infos if getattr(old, n) != getattr(new, n)}
    frozen = [n for n in changed if not infos[n].live]
    if frozen:
        raise ConfigError(f"{', '.join(infos[n].label for n in frozen)} cannot change during a run (start a new "
                          "run instead)", fields=frozen)
    return changed


def label_of(config_or_cls, name: str) -> str:
    """The label a person reads for a field (its name, spaced, for a field this config does not have)."""
    return next((f.label for f in fields_of(config_or_cls) if f.name == name), name.replace("_", " "))


def describe(config_or_cls, values: dict) -> str:
    """'G learning rate = 0.0001, batch size = 16': settings as the form names them."""
    return ", ".join(f"{label_of(config_or_cls, k)} = {v:g}" if isinstance(v, float) else
                     f"{label_of(config_or_cls, k)} = {v}" for k, v in values.items())
