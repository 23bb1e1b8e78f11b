"""The headless command line: train, sample, evaluate, info. Runs with no Qt installed.

    python main.py train gan --steps N --seed S --out FILE.h5 [--lr-g 1e-4 ...]
    python main.py train --resume FILE.h5 --steps N
    python main.py sample FILE.h5 --n N --out FILE.npy
    python main.py evaluate FILE.h5 --episodes K --seed S --json    (a DQN session)
    python main.py export FILE.h5 [--metrics OUT.csv] [--gif PANEL OUT.gif] [--png PANEL OUT.png --step S]
                                  [--episode I OUT.mp4] [--weights OUT.safetensors]
    python main.py info FILE.h5
"""
import argparse
import json
import signal
import sys
from pathlib import Path

import numpy as np

from studio import config as cfg
from studio.control import Control
from studio.errors import ConfigError, StudioError, out_of_memory
from studio.progress import DownloadLine, ProgressSink
from studio.run_settings import RunSettings
from studio.trainers.kinds import KINDS, kind_of  # not the trainers: a bad command is refused without torch

COMMANDS = ("train", "sample", "evaluate", "export", "info")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as StudioError (one line, exit 2) rather than exiting itself."""

    def error(self, message):
        raise StudioError(f"{self.prog}: {message}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_fields(parser, cls, group_title: str) -> None:
    group = parser.add_argument_group(group_title)
    for info in cfg.fields_of(cls):
        group.add_argument(_flag(info.name), dest=f"{cls.__name__}.{info.name}", metavar=info.type.__name__.upper(),
                           default=None, help=f"{info.doc} [{info.range_text()}; default {info.default}]")


def _collect(args, cls) -> dict:
    prefix = cls.__name__ + "."
    return {k[len(prefix):]: v for k, v in vars(args).items() if k.startswith(prefix) and v is not None}


def _train_parser(kind: str | None) -> argparse.ArgumentParser:
    p = _Parser(prog="main.py train", description="Train a model headless into a session file.")
    p.add_argument("kind", nargs="?", choices=sorted(KINDS), help="which model")
    p.add_argument("--steps", type=int, required=True, help="how many training steps to run (more, with --resume)")
    p.add_argument("--out", help="session file to create (default: a new file in the sessions folder)")
    p.add_argument("--resume", metavar="FILE.h5", help="continue this session from its latest checkpoint")
    p.add_argument("--preset", help="start from a named preset of the model (see --help)")
    # The crash and full-disk tests run this command as a child process: their hooks (WriterHooks) come
    # as these flags, hidden from --help.
    p.add_argument("--test-flush-log", help=argparse.SUPPRESS)
    p.add_argument("--test-checkpoint-pause", type=float, help=argparse.SUPPRESS)
    p.add_argument("--test-space-margin", type=int, help=argparse.SUPPRESS)
    _add_fields(p, RunSettings, "run settings")
    if kind in KINDS:
        cls = kind_of(kind)
        _add_fields(p, cls.config_cls, f"{kind} hyperparameters")
        p.epilog = "presets: " + "; ".join(cls.presets)
    return p


def _writer_hooks(args):
    """The WriterHooks the hidden --test-* flags ask for; the app's defaults without them."""
    from studio.session.writer import WriterHooks
    given = {"flush_log": args.test_flush_log, "checkpoint_pause": args.test_checkpoint_pause,
             "space_margin": args.test_space_margin}
    return WriterHooks(**{k: v for k, v in given.items() if v is not None})


def _checked(*builds):
    """Each build's result; every ConfigError among them said at once (the hyperparameters' and the run
    settings'), so that a command is not refused once per wrong value."""
    results, problems = [], []
    for build in builds:
        try:
            results.append(build())
        except ConfigError as exc:
            problems.append(exc)
    if problems:
        raise ConfigError("; ".join(map(str, problems)), fields=[f for exc in problems for f in exc.fields])
    return results


def cmd_train(argv: list[str]) -> int:
    kind = next((a for a in argv if a in KINDS), None)
    args = _train_parser(kind).parse_args(argv)
    hooks = _writer_hooks(args)
    if args.steps < 0:
        raise StudioError("--steps must be 0 or more")
    if args.resume:
        if args.kind or args.out or args.preset:
            raise StudioError("--resume continues a session as it was; it takes no model, --out or --preset")
        run_settings = _collect(args, RunSettings)
        from studio.runs import resume_run
        prepared = resume_run(args.resume, run_settings.get("device", "auto"), progress=DownloadLine(),
                              writer_hooks=hooks)
    else:
        if not args.kind:
            raise StudioError(f"name the model to train: {', '.join(KINDS)} (or --resume FILE.h5)")
        cls = kind_of(args.kind)
        base = cls.presets[cls.default_preset]
        if args.preset:
            if args.preset not in cls.presets:
                raise StudioError(f"unknown preset {args.preset!r}; presets: {'; '.join(cls.presets)}")
            base = cls.presets[args.preset]
        config, settings = _checked(lambda: cfg.from_dict(cls.config_cls, _collect(args, cls.config_cls), base=base),
                                    lambda: cfg.from_dict(RunSettings, _collect(args, RunSettings)))
        from studio.runs import new_run  # torch, once the command has passed its checks
        prepared = new_run(args.kind, config, settings, args.out, progress=DownloadLine(), writer_hooks=hooks)
    control = Control()
    stop_requests = []

    def on_sigint(signum, frame):
        # First Ctrl-C: stop after the current step and save; a second one: leave at once.
        if stop_requests:
            raise KeyboardInterrupt
        stop_requests.append(signum)
        print("\nstopping after this step (Ctrl-C again to quit at once)…", file=sys.stderr)
        control.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        from studio.runs import make_runner
        runner = make_runner(prepared, control, [ProgressSink(args.steps)],
                             max_steps=prepared.trainer.step + args.steps, preview_seconds=None)
        reason = runner.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    if prepared.writer:
        print(f"session: {prepared.writer.path}", file=sys.stderr)
    return 0 if reason in ("finished", "stopped") else 1


def cmd_sample(argv: list[str]) -> int:
    from studio.runs import load_trainer

    p = _Parser(prog="main.py sample", description="Draw new samples from a session's latest checkpoint.")
    p.add_argument("session", help="session file (.h5)")
    p.add_argument("--n", type=int, default=64, help="how many samples")
    p.add_argument("--out", required=True, help="output .npy: float32 (N, 28, 28) in [0, 1]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--stages", type=int, choices=(1, 2),
                   help="two-stage VAE: sample through the first stage only (1) or both (2); by default both "
                        "once the second stage has started")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 1_000_000:
        raise StudioError("--n must be between 1 and 1,000,000")
    trainer, _, _ = load_trainer(args.session, args.device)
    if args.stages is not None and not getattr(trainer.config, "two_stage", False):
        raise StudioError(f"{args.session}: --stages is for a two-stage VAE; this session is a one-stage "
                          f"{trainer.kind.upper()}")
    samples = trainer.generate(args.n, args.seed, **({"stages": args.stages} if args.stages else {}))
    out = Path(args.out)
    try:
        np.save(out, samples)
    except OSError as exc:
        raise StudioError(f"{out}: cannot write ({exc})") from None
    print(f"wrote {samples.shape[0]} samples of step {trainer.step} to {out}", file=sys.stderr)
    return 0


def cmd_evaluate(argv: list[str]) -> int:
    p = _Parser(prog="main.py evaluate", description="Play episodes with a DQN session's latest checkpoint, with "
                "its evaluation ε (Atari: whole games, unclipped scores).")
    p.add_argument("session", help="session file (.h5) of a DQN run")
    p.add_argument("--episodes", type=int, default=20, help="how many episodes (default 20)")
    p.add_argument("--seed", type=int, default=0, help="episode i starts from the game's reset seed S+i")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true", help='print {"mean_return": …, "returns": […]} on stdout')
    args = p.parse_args(argv)
    if not 1 <= args.episodes <= 10_000:
        raise StudioError("--episodes must be between 1 and 10,000")
    if not 0 <= args.seed < 2**31:
        raise StudioError("--seed must be between 0 and 2,147,483,647")
    from studio.runs import load_trainer
    trainer, _, _ = load_trainer(args.session, args.device)
    if trainer.episode_spec() is None:
        raise StudioError(f"{args.session}: evaluate plays a game agent (a DQN session); this one is a "
                          f"{trainer.kind.upper()}: use `sample` to draw from it")
    returns = trainer.evaluate(args.episodes, seed=args.seed)
    eps = trainer.config.eval_epsilon
    result = {"mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
              "returns": returns, "episodes": args.episodes, "seed": args.seed, "step": trainer.step,
              "env": trainer.config.env, "epsilon": eps}
    if args.json:
        print(json.dumps(result))
    else:
        how = "greedy episodes" if eps == 0 else f"episodes at ε = {eps:g}"
        what = "score (whole games, unclipped)" if trainer.config.atari else "return"
        print(f"{trainer.config.env}, step {trainer.step}: mean {what} {result['mean_return']:.2f} "
              f"± {result['std_return']:.2f} over {args.episodes} {how} (seeds {args.seed}–"
              f"{args.seed + args.episodes - 1})")
    return 0


def cmd_export(argv: list[str]) -> int:
    from studio.session.export import metrics_csv
    from studio.session.export_images import panel_gif, panel_png
    from studio.session.export_video import episode_video
    from studio.session.reader import SessionReader

    p = _Parser(prog="main.py export", description="Export what a session holds for use elsewhere. Give one "
                "or more of the outputs; `main.py info FILE.h5` lists the panels and episodes.")
    p.add_argument("session", help="session file (.h5)")
    p.add_argument("--metrics", metavar="OUT.csv",
                   help="every metric point as CSV: a step column, then one column per series")
    p.add_argument("--gif", nargs=2, metavar=("PANEL", "OUT.gif"),
                   help="the panel's evolution: every saved snapshot as a frame of an animated GIF")
    p.add_argument("--png", nargs=2, metavar=("PANEL", "OUT.png"),
                   help="one snapshot of the panel (at --step, default the last) as PNG")
    p.add_argument("--step", type=int, help="for --png: the snapshot at or before this step")
    p.add_argument("--from-step", type=int, help="for --gif: start at this step")
    p.add_argument("--to-step", type=int, help="for --gif: end at this step")
    p.add_argument("--scale", type=int, default=2, help="pixels per image pixel in GIF/PNG (default 2)")
    p.add_argument("--frame-ms", type=int, default=200, help="for --gif: milliseconds per frame (default 200)")
    p.add_argument("--episode", nargs=2, metavar=("INDEX", "OUT.mp4|OUT.gif"),
                   help="a recorded episode (0 the first, -1 the newest) as MP4 or GIF, at the game's speed")
    p.add_argument("--weights", metavar="OUT.safetensors|OUT.pt",
                   help="the model's weights alone, from the latest checkpoint")
    args = p.parse_args(argv)
    if not any((args.metrics, args.gif, args.png, args.episode, args.weights)):
        raise StudioError("main.py export: say what to export: --metrics, --gif, --png, --episode or --weights")
    if not 1 <= args.scale <= 32:
        raise StudioError("--scale must be 1 to 32")
    if not 10 <= args.frame_ms <= 60000:
        raise StudioError("--frame-ms must be 10 to 60000")
    episode = None
    if args.episode:
        try:
            episode = int(args.episode[0])
        except ValueError:
            raise StudioError(f"--episode: {args.episode[0]!r} is not an episode number") from None
    with SessionReader(args.session) as reader:
        if args.metrics:
            rows = metrics_csv(reader, args.metrics)
            print(f"wrote {rows} steps of metrics to {args.metrics}", file=sys.stderr)
        if args.gif:
            n = panel_gif(reader, args.gif[0], args.gif[1], args.scale, args.frame_ms, args.from_step, args.to_step)
            print(f"wrote {n} snapshots of {args.gif[0]} to {args.gif[1]}", file=sys.stderr)
        if args.png:
            step = panel_png(reader, args.png[0], args.png[1], args.step, args.scale)
            print(f"wrote {args.png[0]} at step {step} to {args.png[1]}", file=sys.stderr)
        if args.episode:
            n = episode_video(reader, episode, args.episode[1])
            print(f"wrote episode {episode} ({n} frames) to {args.episode[1]}", file=sys.stderr)
        if args.weights:
            from studio.session.export_weights import export_weights  # torch: only for this output
            step = export_weights(reader, args.weights)
            print(f"wrote the weights of step {step} to {args.weights}", file=sys.stderr)
    return 0


def cmd_info(argv: list[str]) -> int:
    from studio.session.reader import SessionReader

    p = _Parser(prog="main.py info", description="Summarise a session file.")
    p.add_argument("session", help="session file (.h5)")
    args = p.parse_args(argv)
    with SessionReader(args.session) as reader:
        print(reader.summary())
        if reader.kind == "dqn":
            from studio.trainers.dqn_config import summary
            print("  " + summary(dict(reader.config)))
    return 0


def main(argv: list[str]) -> int:
    """Run one CLI command; every failure is one line on stderr and a non-zero exit code."""
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: main.py {{{','.join(COMMANDS)}}} …   (or no arguments for the app)", file=sys.stderr)
        return 2
    command = {"train": cmd_train, "sample": cmd_sample, "evaluate": cmd_evaluate, "export": cmd_export,
               "info": cmd_info}[argv[0]]
    from studio.session import h5py_hooks
    h5py_hooks.install()  # a failed write is then said once, not repeated by h5py's destructors
    try:
        return command(argv[1:])
    except StudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and such: not an error worth a message
        sys.stderr.close()
        return 0
    except Exception as exc:  # a bug: keep the traceback for a report, show one line
        if message := out_of_memory(exc):
            print(f"error: {message}", file=sys.stderr)
            return 1
        from studio.app_log import log_exception
        where = log_exception(f"internal error in {argv[0]}")
        print(f"error: internal error ({type(exc).__name__}: {exc}){where}", file=sys.stderr)
        return 1
