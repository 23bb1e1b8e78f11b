"""Generated settings for the config fuzz tests: for every field of a model's config and of RunSettings,
the text a person could type (on the command line or in the form), in range or not, with a record of
which values were out of range, so the tests know what the answer must be without asking the code
under test.

HYPOTHESIS_PROFILE=full runs the step-taking test on 1,000 configs (about ten minutes); CI runs fewer.
"""
import math
import os
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from studio import config as cfg
from studio.run_settings import RunSettings
from studio.trainers.kinds import KINDS, kind_of

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], derandomize=False)
settings.register_profile("full", parent=settings.get_profile("ci"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
FULL = os.environ.get("HYPOTHESIS_PROFILE") == "full"

# Fields whose size drives the cost of a step: in the step-taking test their in-range values are drawn
# from the cheap end of the range (the whole range is still fuzzed by the test that stops before training).
CHEAP = {"z_dim": 16, "g_width": 8, "d_width": 8, "batch_size": 16, "n_critic": 3, "latent_dim": 8, "width": 8,
         "holdout": 200, "hidden": 32, "layers": 3, "buffer_size": 5000, "gradient_steps": 4, "train_freq": 8,
         "eval_episodes": 2, "learning_starts": 50, "threads": 2}
# Atari games are fuzzed by their own tests (a game's first step loads its ROM and fills a replay memory).
CHEAP_ENVS = ("CartPole-v1", "Acrobot-v1", "MountainCar-v0")


@dataclass(frozen=True)
class Draw:
    kind: str
    config: dict     # field name -> text, for the model's config
    run: dict        # field name -> text, for RunSettings
    bad: frozenset   # the fields given a value out of range or of the wrong type

    def flags(self) -> list[str]:
        out = []
        for name, text in {**self.config, **self.run}.items():
            out += ["--" + name.replace("_", "-"), text]
        return out


def _number(x) -> str:
    return repr(x) if isinstance(x, float) else str(x)


def good_text(info: cfg.FieldInfo, cheap: bool):
    if info.choices:
        choices = info.choices
        if cheap and info.name == "env":
            choices = CHEAP_ENVS
        return st.sampled_from([str(c) for c in choices])
    if info.type is bool:
        return st.sampled_from(["true", "false", "1", "0", "yes", "no", "on", "off", " True "])
    if info.type is int:
        high = min(info.high, CHEAP[info.name]) if cheap and info.name in CHEAP else info.high
        return st.integers(info.low, high).map(_number) | st.integers(info.low, high).map(lambda i: f"{i}.0")
    if info.type is float:
        return st.floats(info.low, info.high, allow_nan=False).map(_number)
    return st.just(str(info.default))


def bad_text(info: cfg.FieldInfo):
    junk = st.sampled_from(["", "abc", "nan", "inf", "-inf", "1e400", "0x10", "½", "None", "1,5"])
    if info.choices:
        return st.text(min_size=1, max_size=8).filter(lambda t: t.strip() not in map(str, info.choices)) | junk
    if info.type is bool:
        return st.sampled_from(["maybe", "2", "", "y", "t", "enabled"])
    lows = st.nothing() if info.low is None else st.integers(max_value=math.ceil(info.low) - 1).map(str)
    highs = st.nothing() if info.high is None else st.integers(min_value=math.floor(info.high) + 1).map(str)
    out = lows | highs | junk
    if info.type is int:
        out = out | st.integers(info.low, info.high - 1).map(lambda i: f"{i}.5")
    return out


@st.composite
def draws(draw, kind: str, cheap: bool = False, bad_rate: int = 8):
    """A subset of the fields, each given a value; about one value in `bad_rate` is out of range."""
    infos = {"config": [i for i in cfg.fields_of(kind_of(kind).config_cls) if i.type is not str or i.choices],
             "run": [i for i in cfg.fields_of(RunSettings) if i.type is not str]}
    chosen, bad = {"config": {}, "run": {}}, set()
    for part, fields in infos.items():
        for info in draw(st.lists(st.sampled_from(fields), max_size=5, unique_by=lambda i: i.name)):
            if draw(st.integers(0, bad_rate - 1)) == 0:
                chosen[part][info.name] = draw(bad_text(info))
                bad.add(info.name)
            else:
                chosen[part][info.name] = draw(good_text(info, cheap))
    return Draw(kind, chosen["config"], chosen["run"], frozenset(bad))


def kinds():
    return st.sampled_from(sorted(KINDS))


def labels(kind: str) -> dict[str, str]:
    """Field name -> the label a message names it by."""
    out = {i.name: i.label for i in cfg.fields_of(RunSettings)}
    out.update({i.name: i.label for i in cfg.fields_of(kind_of(kind).config_cls)})
    return out
