"""Generated settings through the command line (`main.py train KIND --field value …`): every draw gives
either a run that takes a step, or one line naming a field that is out of range; never a traceback, a
hang or a NaN weight in a checkpoint. tests/fuzz_configs.py draws them; tests/test_gui_config_fuzz.py
puts the same draws through the form."""
import math

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from studio import cli
from studio.session.reader import SessionReader

from fuzz_configs import FULL, Draw, draws, kinds, labels
from helpers_core import all_finite, blob_tensors


class Accepted(BaseException):
    """Raised in place of building the run: the command passed every check (not caught by cli.main)."""

    def __init__(self, kind, config, settings):
        super().__init__(kind)
        self.kind, self.config, self.settings = kind, config, settings


def expected(text: str, value_type: type):
    text = text.strip()
    if value_type is bool:
        return text.lower() in ("1", "true", "yes", "on")
    if value_type in (int, float):
        return value_type(float(text))
    return text


def one_line_naming(err: str, kind: str, fields) -> None:
    """The command's whole output on stderr is one line that names (by label) one of `fields`."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "internal error" not in err, err
    names = labels(kind)
    assert any(names[f] in lines[0] or "--" + f.replace("_", "-") in lines[0] for f in fields), (lines[0], sorted(fields))


def train(argv, capsys) -> tuple[int, str]:
    capsys.readouterr()
    rc = cli.main(["train", *argv])
    return rc, capsys.readouterr().err


@given(kinds().flatmap(lambda k: draws(k)))
@settings(max_examples=700)
def test_the_command_line_accepts_in_range_values_and_names_the_field_otherwise(monkeypatch, capsys, draw: Draw):
    """700 draws over the whole range of every field, stopped just before the run is built."""
    def accept(kind, config, settings, *args, **kwargs):
        raise Accepted(kind, config, settings)
    monkeypatch.setattr("studio.runs.new_run", accept)
    try:
        rc, err = train([draw.kind, "--steps", "1", *draw.flags()], capsys)
    except Accepted as ok:
        assert not draw.bad, f"accepted although {sorted(draw.bad)} are out of range"
        for part, config in (("config", ok.config), ("run", ok.settings)):
            for name, text in getattr(draw, part).items():
                value = getattr(config, name)
                assert value == expected(text, type(value)), (name, text, value)
                assert not isinstance(value, float) or math.isfinite(value)
        return
    assert rc == 2
    # Out-of-range values are named; in-range ones may still clash with another setting (a batch larger than the
    # replay memory), and then a setting is named.
    one_line_naming(err, draw.kind, draw.bad or labels(draw.kind))


@given(kinds().flatmap(lambda k: draws(k, cheap=True, bad_rate=20)), st.integers(0, 2**31 - 1))
@settings(max_examples=1000 if FULL else 150)
def test_a_generated_config_trains_a_step_or_names_its_field(tmp_path_factory, capsys, draw: Draw, seed: int):
    """The whole command, run: a session with a step and a finite checkpoint, or one line naming a field.
    Sizes are drawn from the cheap end of their range so that a thousand runs fit in minutes."""
    out = tmp_path_factory.mktemp("fuzz") / "run.h5"
    argv = [draw.kind, "--steps", "1", "--seed", str(seed), "--out", str(out), *draw.flags()]
    rc, err = train(argv, capsys)
    event("refused: out of range" if draw.bad else "refused: a clash" if rc == 2 else f"trained ({draw.kind})")
    if draw.bad:
        assert rc == 2 and not out.exists()
        one_line_naming(err, draw.kind, draw.bad)
        return
    if rc == 2:  # in range, but clashing with another setting
        one_line_naming(err, draw.kind, labels(draw.kind))
        return
    assert "Traceback" not in err and "internal error" not in err, err
    with SessionReader(out) as r:
        step, blob = r.latest_checkpoint()
    assert step >= 1 and all_finite(blob_tensors(blob)), (step, err)
    # A step that blew up (a learning rate of 1.0) halts the run with the last good weights: said, not hidden.
    assert rc == 0 or "not finite" in err or "NaN" in err, (rc, err)
