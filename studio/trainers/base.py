"""What every trainer offers the runner, the CLI and the GUI.

A trainer is a plain object: `train_step()` does one iteration and returns its metrics as scalar
tensors left on the training device (the runner brings them to the host in batches, so a GPU is
not synchronised every step). Everything needed to continue exactly is in `state_dict()`.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch

from studio import config as cfg
from studio.data.digits import DigitSet


@dataclass(frozen=True)
class Series:
    """One metric curve: its key in the session file, the label people read, and the plot it goes on.
    `smooth`: draw a moving average over it (not for sparse series such as periodic evaluations,
    where an average over few, far-apart points would misrepresent them, nor for a schedule).
    `sparse`: few, far-apart points (periodic evaluations): each is marked, never averaged."""
    key: str
    label: str
    plot: str
    smooth: bool = True
    sparse: bool = False

    def __post_init__(self):
        if self.sparse:
            object.__setattr__(self, "smooth", False)


@dataclass(frozen=True)
class ImagePanel:
    """An image stack shown as a grid: `shape` is (n, H, W) uint8, drawn `cols` images per row.
    `pick`: the panel shows a path between two of `pick` items (held-out digits) the viewer chooses
    (see Trainer.set_view); 0 for a panel with nothing to choose.
    `saved`: snapshots go into the session file; False for a view that changes every step (an agent's
    input frames), shown live only."""
    key: str
    label: str
    shape: tuple
    cols: int
    pick: int = 0
    saved: bool = True
    kind = "images"
    dtype = np.uint8


@dataclass(frozen=True)
class PointsPanel:
    """A scatter of n labelled points, float32 (n, 3): x, y and the class index (a digit's label).
    Point i is item i of the `pick_for` panel's choices, so clicking a point can choose it there."""
    key: str
    label: str
    n: int
    x_label: str
    y_label: str
    classes: tuple = tuple(str(d) for d in range(10))
    pick_for: str = ""
    kind = "points"
    dtype = np.float32
    saved = True

    @property
    def shape(self) -> tuple:
        return (self.n, 3)


@dataclass(frozen=True)
class FramePanel:
    """One RGB picture, uint8 `shape` (H, W, 3), such as the game as the agent plays it. Shown live only:
    it changes every step, so snapshots of it would say little (recorded episodes keep the game)."""
    key: str
    label: str
    shape: tuple
    kind = "frame"
    dtype = np.uint8
    saved = False


@dataclass(frozen=True)
class ValuesPanel:
    """One number per named item, float32 (n,), drawn as labelled bars: the Q-value of each action of a game
    agent, with the action's name. Live only: it changes every step."""
    key: str
    label: str
    names: tuple
    kind = "values"
    dtype = np.float32
    saved = False

    @property
    def shape(self) -> tuple:
        return (len(self.names),)


class Trainer(ABC):
    """Every model's trainer. A concrete subclass declares, as class attributes, what the CLI, the window
    and session files know it by before one exists (checked when the subclass is defined):"""
    kind: str                     # short name on the command line and in session files ("gan")
    title: str                    # the name people read ("GAN — handwritten digits")
    config_cls: type              # its hyperparameters, a dataclass of studio.config fields
    presets: dict                 # {preset name: config_cls instance}, in the order offered
    default_preset: str           # a key of `presets`: what a new run starts from
    uses_data: bool = True        # False for a trainer that makes its own data (a game agent)
    frames_per_step = 0  # emulator frames per step, for a frames/s readout (an Atari agent step is 4)

    _DECLARED = ("kind", "title", "config_cls", "presets", "default_preset")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if _still_abstract(cls):
            return  # a base for other trainers: its subclasses are checked
        missing = [name for name in cls._DECLARED if not hasattr(cls, name)]
        if missing:
            raise TypeError(f"{cls.__name__} does not declare {', '.join(missing)} (see Trainer)")
        if cls.default_preset not in cls.presets:
            raise TypeError(f"{cls.__name__}.default_preset {cls.default_preset!r} is not one of its presets")

    def __init__(self, config, data: DigitSet, device: torch.device, seed: int):
        cfg.validate(config)
        self.config, self.data, self.device, self.seed = config, data, device, seed
        self.step = 0
        self._unsaid_notes = list(getattr(data, "notes", None) or [])  # how the data was loaded: for the event log
        # Set by the runner: a long step (a DQN's evaluation episodes) checks it and gives up early, so
        # stopping, or closing the window, never waits for it.
        self.stop_requested = lambda: False
        # One generator for everything random in training, so a checkpoint can restore it exactly.
        self.rng = torch.Generator(device=device)
        self.rng.manual_seed(seed)

    @property
    @abstractmethod
    def series(self) -> list[Series]: ...

    @property
    @abstractmethod
    def panels(self) -> list[ImagePanel]: ...

    @abstractmethod
    def train_step(self) -> dict[str, torch.Tensor]:
        """One training iteration; increments `self.step`; returns {series key: scalar tensor}."""

    @abstractmethod
    def images(self) -> dict[str, np.ndarray]:
        """Current content of every panel (its `shape` and `dtype`), computed without touching training
        state."""

    def preview_images(self) -> dict[str, np.ndarray]:
        """What a live preview shows while the run trains: by default `images()`; a trainer may leave out a
        costly panel from some (its view keeps the last picture). Snapshots and pauses use `images()`."""
        return self.images()

    def set_view(self, key: str, value) -> None:
        """A viewer's choice for a panel, such as the two digits to interpolate between; changes what
        `images()` shows, never training. Raises ValueError for a choice the panel cannot show."""
        raise ValueError("this panel has no choices")

    def views(self) -> dict:
        """The viewer's current choices, {panel key: value} (what `set_view` last accepted)."""
        return {}

    def episode_spec(self):
        """An EpisodeSpec (studio.rl.episode) for a trainer that records episodes of a game, else None."""
        return None

    def take_episodes(self) -> list:
        """Episodes recorded since the last call (the runner passes them to the sinks)."""
        return []

    def frame_stream(self):
        """A studio.rl.frame_stream.FrameStream of the game being played, for a live view at its own pace;
        None for a trainer without a game."""
        return None

    def take_scores(self, wait: float = 0.0) -> list[tuple[int, dict[str, float]]]:
        """Points measured off the training thread since the last call, each at the step it measured (a
        sample-quality score): [(step, {series key: value})], in step order; `wait`: seconds to wait for
        those still being measured."""
        return []

    def note(self, text: str) -> None:
        """Say `text` in the run's event log (at the runner's next look)."""
        self._unsaid_notes.append(text)

    def take_notes(self) -> list[str]:
        """Things a person should know that happened since the last call, such as a resume that could not
        restore everything, or files skipped in a folder of pictures (the runner puts them in the event log)."""
        notes, self._unsaid_notes = self._unsaid_notes, []
        return notes

    @abstractmethod
    def modules(self) -> dict[str, torch.nn.Module]: ...

    @abstractmethod
    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    @abstractmethod
    def generate(self, n: int, seed: int) -> np.ndarray:
        """n new samples, float32 (n, 28, 28) in [0, 1]."""

    def change_config(self, new_config) -> dict:
        """Apply a config whose differences are all live fields; returns what changed."""
        cfg.validate(new_config)
        changed = cfg.live_changes(self.config, new_config)
        self.config = new_config
        self.on_config_changed(changed)
        return changed

    def on_config_changed(self, changed: dict) -> None:
        """Hook for trainers whose optimizers must learn of a new learning rate and such."""

    def parameters_finite(self) -> bool:
        """Weights and floating buffers (BatchNorm statistics) all finite."""
        return all(bool(torch.isfinite(t).all()) for m in self.modules().values()
                   for t in m.state_dict().values() if t.is_floating_point())

    def state_dict(self) -> dict:
        return {
            "step": self.step,
            "config": cfg.to_dict(self.config),
            "modules": {k: m.state_dict() for k, m in self.modules().items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers().items()},
            "rng": self.rng.get_state(),
            "extra": self.extra_state(),
        }

    def checkpoint_state(self, final: bool = True) -> dict:
        """The state a checkpoint keeps. A timed checkpoint (final=False, every few seconds, against a crash)
        may leave out what is too big to save that often — then `timed_state_is_whole()` is False; the run's
        last checkpoint (final) is always whole."""
        return self.state_dict()

    def timed_state_is_whole(self) -> bool:
        return True

    def load_state_dict(self, state: dict) -> None:
        self.config = cfg.from_dict(type(self.config), state["config"])
        for key, module in self.modules().items():
            module.load_state_dict(state["modules"][key])
        for key, opt in self.optimizers().items():
            opt.load_state_dict(state["optimizers"][key])
        self.on_config_changed(cfg.to_dict(self.config))
        try:  # generator states live on the CPU whatever the device; a CUDA state fits no CPU generator
            self.rng.set_state(state["rng"].cpu())
        except (RuntimeError, TypeError):
            self.rng.manual_seed(self.seed + int(state["step"]))  # the run goes on, though not bit-exact
        self.load_extra_state(state["extra"])
        self.step = int(state["step"])

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, extra: dict) -> None:
        pass


def _still_abstract(cls) -> bool:
    # ABCMeta sets the new class's __abstractmethods__ only after __init_subclass__ has run: the bases'
    # are looked up again on the new class, as ABCMeta will.
    names = set(vars(cls)).union(*(getattr(base, "__abstractmethods__", ()) for base in cls.__mro__[1:]))
    return any(getattr(getattr(cls, name, None), "__isabstractmethod__", False) for name in names)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(n, 1, H, W) in [-1, 1] -> uint8 (n, H, W) host copy."""
    scaled = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round()
    return scaled.to(torch.uint8).squeeze(1).cpu().numpy()
