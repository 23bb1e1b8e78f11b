"""Generated settings typed into the form (tests/fuzz_configs.py draws them, as for the command line): the
form gives the config the text says, or refuses naming the field and outlines it in red. A spin box or a
list cannot hold an out-of-range value at all; what it shows must then still be in range."""
import math

import pytest
from hypothesis import given, settings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from studio import config as cfg
from studio.errors import ConfigError
from studio.run_settings import RunSettings
from studio.trainers.kinds import KINDS, kind_of
from widgets.config_form import ConfigForm

from fuzz_configs import Draw, draws, kinds
from test_core_config_fuzz import expected

CADENCE_HIDDEN = ("seed", "device", "data", "threads")  # as the setup panel's run-settings form


@pytest.fixture(scope="module")
def forms(qapp):
    made = {k: (ConfigForm(kind_of(k).config_cls), ConfigForm(RunSettings, hidden=CADENCE_HIDDEN)) for k in KINDS}
    yield made
    for pair in made.values():
        for form in pair:
            form.deleteLater()


def type_into(editor, text: str) -> None:
    if isinstance(editor, QLineEdit):
        editor.setText(text)
    elif isinstance(editor, QSpinBox):
        editor.lineEdit().setText(text.removesuffix(".0"))  # a person types 5, not 5.0, into a spin box
        editor.interpretText()  # as when the box loses focus: text it cannot read leaves the value
    elif isinstance(editor, QComboBox):
        editor.setCurrentText(text)  # a text that is not in the list leaves the choice
    elif isinstance(editor, QCheckBox):
        editor.setChecked(text.strip().lower() in ("1", "true", "yes", "on"))


@given(kinds().flatmap(lambda k: draws(k)))
@settings(max_examples=300)
def test_the_form_gives_what_was_typed_or_names_the_field(forms, draw: Draw):
    model_form, run_form = forms[draw.kind]
    typed = []
    for form, values in ((model_form, draw.config), (run_form, draw.run)):
        form.set_values(form.config_cls())
        for name, text in values.items():
            if name in form.editors:
                type_into(form.editors[name], text)
                typed.append((form, name, text))
    free_bad = {name for form, name, _ in typed if name in draw.bad and isinstance(form.editors[name], QLineEdit)}
    results = {}
    for form in (model_form, run_form):
        try:
            results[form] = form.config()
        except ConfigError as exc:
            results[form] = exc
    refusals = [r for r in results.values() if isinstance(r, ConfigError)]
    if free_bad:
        assert refusals, f"{sorted(free_bad)} accepted"
        named = set().union(*(r.fields for r in refusals))
        assert named & free_bad
        for form, name, _ in typed:
            if name in named:
                assert "#d33" in form.editors[name].styleSheet()  # outlined
        return
    for r in refusals:  # in range but clashing (a batch larger than the replay memory): named
        assert r.fields and all(cfg.label_of(kind_of(draw.kind).config_cls, f) in str(r) for f in r.fields)
    for form, name, text in typed:
        config = results[form]
        if isinstance(config, ConfigError):
            continue
        value, info = getattr(config, name), next(i for i in form.infos if i.name == name)
        if name in draw.bad:  # a spin box, list or check box: it kept a valid value
            assert cfg.field_problem(info, value) is None
        else:
            assert value == expected(text, info.type), (name, text, value)
        assert not isinstance(value, float) or math.isfinite(value)
