"""Quality per minute of training: the default GAN's samples, of G and of the average of its weights (EMA),
scored with the app's shipped score (studio/quality: Fréchet distance in the shipped digit classifier's
features against the training data, and classes covered) after 60, 120, 300 and 600 s of training, for
several seeds. The run is the app's own trainer with its default settings, the background quality meter
included (its CPU use is part of the wall time, as in the app). Scoring the 5,000 samples at each budget is
not counted.

    .venv/bin/python benchmarks/quality_per_minute.py --data mnist-5k --seeds 0 1 2
    .venv/bin/python benchmarks/quality_per_minute.py --data fashion-mnist --seeds 0 1 2

Each seed's rows are printed as they come (JSON lines) and a table at the end."""
import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

N_SAMPLES = 5000


def one_seed(data: str, seed: int, budgets: list[float], model: str, quality_every: int | None,
             overrides: dict | None = None) -> list[dict]:
    from studio import config as cfg
    from studio.quality.score import QualityScorer
    from studio.run_settings import RunSettings
    from studio.runs import new_run
    from studio.trainers.quality_series import on_digits
    from studio.trainers.registry import trainer_class

    cls = trainer_class(model)
    settings = cfg.from_dict(RunSettings, {"data": data, "seed": seed})
    config = cls.presets[cls.default_preset]
    changes = dict(overrides or {})  # other settings against the default (e.g. --set lr_g=4e-4 batch_size=32)
    if quality_every is not None:  # 0: the trainer as it was before the in-run score (the baseline's speed)
        changes["quality_every"] = quality_every
    if changes:
        config = cfg.from_dict(type(config), changes, base=config)
    trainer = new_run(model, config, settings, save=False).trainer
    scorer = QualityScorer(trainer.data.images, on_digits(trainer.data))
    rows, spent, seen = [], 0.0, 0
    for budget in budgets:
        while spent < budget:
            start = time.perf_counter()
            trainer.train_step()
            seen += len(trainer.take_scores())  # as the runner does: the meter's work overlaps training
            spent += time.perf_counter() - start
        row = {"seed": seed, "seconds": budget, "step": trainer.step, "in_run_scores": seen}
        variants = {"G": False, "EMA": True} if model == "gan" else {"prior": None}
        for name, average in variants.items():
            images = (trainer.generate(N_SAMPLES, seed=1000 + seed, average=average) if average is not None
                      else trainer.generate(N_SAMPLES, seed=1000 + seed))
            q = scorer.score(images)
            row[f"fd_{name}"] = round(q.fd, 3)
            row[f"cover_{name}"] = int(round(q.coverage * len(q.shares)))
        print(json.dumps(row), flush=True)
        rows.append(row)
    trainer.quality.close()
    return rows


def table(rows: list[dict], model: str) -> str:
    names = ["G", "EMA"] if model == "gan" else ["prior"]
    head = "| seconds | steps (mean) | " + " | ".join(f"FD {n} (per seed) | FD {n} mean | classes {n}" for n in names) + " |"
    out = [head, "|" + "---|" * (2 + 3 * len(names))]
    for budget in sorted({r["seconds"] for r in rows}):
        at = [r for r in rows if r["seconds"] == budget]
        cells = [f"{budget:.0f}", f"{np.mean([r['step'] for r in at]):.0f}"]
        for n in names:
            fds = [r[f"fd_{n}"] for r in at]
            cells += [", ".join(f"{v:.1f}" for v in fds), f"{np.mean(fds):.1f}",
                      ", ".join(str(r[f"cover_{n}"]) for r in at)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="mnist-5k")
    p.add_argument("--model", default="gan", choices=("gan", "vae"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--budgets", type=float, nargs="+", default=[60, 120, 300, 600])
    p.add_argument("--quality-every", type=int, help="override the preset's in-run scoring cadence (0: off)")
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="change the preset's settings")
    args = p.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} load {os.getloadavg()[0]:.2f} {args}", flush=True)
    rows = []
    for seed in args.seeds:
        rows += one_seed(args.data, seed, args.budgets, args.model, args.quality_every, overrides)
    print(table(rows, args.model))


if __name__ == "__main__":
    main()
