"""Screen GAN settings by sample quality per training step (not per second), so that two runs can share the
machine, each on one torch thread: the app's trainer with the in-run score off, and at the given steps 5,000
samples of G and of averages of its weights (decay 0.99, 0.995 and the setting's) scored with the shipped score.
Per-second figures then come from the steps/s of each setting, measured alone, and quality_per_minute.py.

    .venv/bin/python benchmarks/gan_settings_screen.py A 0 900,1800,4500
    .venv/bin/python benchmarks/gan_settings_screen.py B 0 900,1800,4500 lr_g=5e-4 lr_d=5e-4

Prints one JSON line per scoring: name, seed, step, training seconds, and (FD, classes) per variant."""
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from studio import config as cfg
    from studio.models.weight_average import WeightAverage
    from studio.quality.score import QualityScorer
    from studio.run_settings import RunSettings
    from studio.runs import new_run
    from studio.trainers.quality_series import on_digits
    from studio.trainers.registry import trainer_class

    name, seed, at = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")]
    overrides = {**dict(a.split("=", 1) for a in sys.argv[4:]), "quality_every": "0"}
    torch.set_num_threads(1)
    cls = trainer_class("gan")
    base = cls.presets[cls.default_preset]
    config = cfg.from_dict(type(base), overrides, base=base)
    t = new_run("gan", config, cfg.from_dict(RunSettings, {"data": "mnist-5k", "seed": seed}), save=False).trainer
    torch.set_num_threads(1)
    scorer = QualityScorer(t.data.images, on_digits(t.data))
    averages = {d: WeightAverage(t.G) for d in (0.99, 0.995)}
    spent = 0.0
    for target in at:
        while t.step < target:
            start = time.perf_counter()
            t.train_step()
            for decay, average in averages.items():
                average.update(t.G, decay, t.step)
            spent += time.perf_counter() - start
        row = {"name": name, "seed": seed, "step": t.step, "train_s": round(spent, 1)}
        nets = {"G": t.G, f"ema{config.ema}": t.G_ema.module, **{f"ema{d}": a.module for d, a in averages.items()}}
        for key, net in nets.items():
            g = torch.Generator().manual_seed(1000 + seed)
            was = net.training
            net.eval()
            with torch.no_grad():
                images = [((net(torch.randn(1000, config.z_dim, generator=g)).squeeze(1) + 1) / 2).clamp(0, 1)
                          for _ in range(5)]
            net.train(was)
            q = scorer.score(torch.cat(images).numpy())
            row[key] = [round(q.fd, 1), int(round(q.coverage * len(q.shares)))]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
