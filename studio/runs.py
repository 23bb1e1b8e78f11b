"""Putting a run together: a trainer, its data and device, and its session file; new or resumed."""
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from studio import config as cfg
from studio import device as dev
from studio.data.sources import load_source
from studio.errors import SessionError
from studio.run_settings import RunSettings
from studio.session.checkpoint import unpack
from studio.session.paths import new_session_path
from studio.session.reader import SessionReader
from studio.session.writer import SessionWriter, WriterHooks
from studio.sinks import RunInfo
from studio.trainers.registry import trainer_class


@dataclass
class PreparedRun:
    trainer: object
    writer: SessionWriter | None
    info: RunInfo
    settings: RunSettings


def _build(kind: str, config, settings: RunSettings, progress=None):
    cls = trainer_class(kind)
    cfg.validate(config)
    cfg.validate(settings)
    device = dev.resolve(settings.device)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    data = load_source(settings.data, progress=progress) if cls.uses_data else None
    return cls(config, data, device, settings.seed), device


def _run_info(trainer, settings: RunSettings, device, path: str | None = None) -> RunInfo:
    """What the views and the session file are told of a run, from its trainer (new or resumed)."""
    return RunInfo(trainer.kind, trainer.title, trainer.config, settings, dev.describe(device), trainer.series,
                   trainer.panels, trainer.step, path, views=trainer.views(), episodes=trainer.episode_spec(),
                   frames=trainer.frame_stream(), frames_per_step=trainer.frames_per_step)


def new_run(kind: str, config, settings: RunSettings, out: str | Path | None = None, save: bool = True,
            progress=None, writer_hooks: WriterHooks | None = None) -> PreparedRun:
    """Validate everything, then create the trainer and (unless save=False) its session file. `progress`:
    callback(label, done_bytes, total_bytes) while a data set is downloaded (studio/data/download_progress.py).
    `writer_hooks`: only the crash and full-disk tests pass any."""
    trainer, device = _build(kind, config, settings, progress)
    info = _run_info(trainer, settings, device)
    writer = None
    if save:
        path = Path(out) if out else new_session_path(kind)
        writer = SessionWriter.create(path, info, writer_hooks)
        info.session_path = str(path)
    return PreparedRun(trainer, writer, info, settings)


def load_trainer(path: str | Path, device: str = "auto", progress=None, from_start: bool = False):
    """The trainer of a session at its latest usable checkpoint (for `sample` and resume). `from_start`
    (resume): a session that never wrote a checkpoint gives its trainer at step 0."""
    with SessionReader(path) as reader:
        if reader.newer:
            raise SessionError(reader.newer_note())
        kind, settings_dict, first_config = reader.kind, reader.settings, reader.config
        found = reader.latest_checkpoint()
        never_saved = from_start and found is None and not reader.checkpoint_steps()
    cls = trainer_class(kind)
    settings = replace(cfg.from_dict(RunSettings, settings_dict), device=device)
    if never_saved:
        # Killed before its first checkpoint: step 0 is rebuilt from the seed and the config the run started
        # with, which give the same weights and RNG (checked in tests/test_core_checkpoint_cadence.py).
        trainer, device_obj = _build(kind, cfg.from_dict(cls.config_cls, first_config), settings, progress)
        return trainer, settings, device_obj
    if found is None:  # checkpoints were written but none is whole: the file was damaged, not cut short
        raise SessionError(f"{path}: the session has no usable checkpoint to continue from")
    step, blob = found
    state = unpack(blob)
    config = cfg.from_dict(cls.config_cls, state["config"])
    trainer, device_obj = _build(kind, config, settings, progress)
    trainer.load_state_dict(unpack(blob, device_obj))
    return trainer, settings, device_obj


def resume_run(path: str | Path, device: str = "auto", progress=None,
               writer_hooks: WriterHooks | None = None) -> PreparedRun:
    """Continue a session in its own file from its latest usable checkpoint (or from its start, when it was
    killed before its first one)."""
    trainer, settings, device_obj = load_trainer(path, device, progress, from_start=True)
    writer = SessionWriter.reopen(path, trainer.step, trainer.episode_spec(), writer_hooks)
    info = _run_info(trainer, settings, device_obj, str(path))
    return PreparedRun(trainer, writer, info, settings)


def thread_tuner_for(prepared: PreparedRun):
    """A ThreadTuner for a run on the CPU whose settings leave the thread count open (threads = 0)."""
    from studio.threads import ThreadTuner, other_cpu_load, usable_cores
    if prepared.settings.threads or prepared.trainer.device.type != "cpu":
        return None
    return ThreadTuner(usable_cores(), torch.set_num_threads, start=torch.get_num_threads(), load=other_cpu_load())


def make_runner(prepared: PreparedRun, control, sinks=(), *, max_steps: int | None = None,
                preview_seconds: float | None = 0.25, emit_seconds: float = 0.1, budget=None):
    """A Runner reporting to `sinks` and then to the session file (last, so a full disk is reported
    only after the window has shown the points)."""
    from studio.runner import Runner
    from studio.sinks import MultiSink
    chain = list(sinks) + ([prepared.writer] if prepared.writer else [])
    return Runner(prepared.trainer, control, MultiSink(chain), prepared.info, max_steps=max_steps,
                  snapshot_every=prepared.settings.snapshot_every,
                  checkpoint_seconds=prepared.settings.checkpoint_seconds, preview_seconds=preview_seconds,
                  emit_seconds=emit_seconds, tuner=thread_tuner_for(prepared), budget=budget)
