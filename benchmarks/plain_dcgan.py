"""Baseline for the GAN benchmark: a plain DCGAN as a beginner writes it from the TensorFlow DCGAN
tutorial, ported to torch and trained on the same 5,000 embedded digits. At each wall-clock
checkpoint it saves 5,000 samples (float32 (N,28,28) in [0,1]) to OUT_DIR/plain_t{t}.npy; the time
spent sampling is kept off the training clock. OUT_DIR/plain_meta.json records steps and seconds.

    python benchmarks/plain_dcgan.py --seconds 480 --seed 0 --out-dir /tmp/q --checkpoints 60,120,240,480
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.data.digits import load_embedded  # noqa: E402

NOISE_DIM, BATCH, LR, N_SAMPLES = 100, 256, 1e-4, 5000
SLOPE = 0.3  # Keras' LeakyReLU default, which the tutorial relies on


def make_generator() -> nn.Module:
    # 'same' padding of Keras with kernel 5: padding 2, plus output_padding 1 when the stride is 2.
    return nn.Sequential(
        nn.Linear(NOISE_DIM, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(SLOPE),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False), nn.BatchNorm2d(128),
        nn.LeakyReLU(SLOPE),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(64), nn.LeakyReLU(SLOPE),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False), nn.Tanh())


def make_discriminator() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(SLOPE), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(SLOPE), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


@torch.no_grad()
def sample(gen: nn.Module, noise: torch.Tensor) -> np.ndarray:
    gen.eval()  # the tutorial samples with training=False, i.e. BatchNorm running statistics
    out = torch.cat([gen(z) for z in noise.split(1000)])
    gen.train()
    return ((out.squeeze(1) + 1) / 2).clamp(0, 1).numpy().astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, required=True, help="training wall-clock budget")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--checkpoints", default="", help="comma-separated training seconds, e.g. 60,120")
    args = ap.parse_args()
    checkpoints = sorted({float(t) for t in args.checkpoints.split(",") if t} | {args.seconds})
    args.out_dir.mkdir(parents=True, exist_ok=True)

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    images = torch.from_numpy(load_embedded().images).float().div(127.5).sub(1).unsqueeze(1)
    loader = DataLoader(TensorDataset(images), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(args.seed))
    gen, disc = make_generator(), make_discriminator()
    opt_g = torch.optim.Adam(gen.parameters(), lr=LR)
    opt_d = torch.optim.Adam(disc.parameters(), lr=LR)
    bce = nn.BCEWithLogitsLoss()
    # Fixed sampling noise from its own generator, so saving samples does not change training.
    sample_noise = torch.randn(N_SAMPLES, NOISE_DIM, generator=torch.Generator().manual_seed(args.seed + 1))

    # The training clock is wall time since the loop began (batch loading included) minus sampling.
    meta, steps, pending = [], 0, list(checkpoints)
    began, sampling = time.perf_counter(), 0.0
    while pending:
        for (real,) in loader:
            noise = torch.randn(len(real), NOISE_DIM)
            fake = gen(noise)
            real_out, fake_out = disc(real), disc(fake.detach())
            d_loss = bce(real_out, torch.ones_like(real_out)) + bce(fake_out, torch.zeros_like(fake_out))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            fake_out = disc(fake)
            g_loss = bce(fake_out, torch.ones_like(fake_out))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            steps += 1
            trained = time.perf_counter() - began - sampling
            while pending and trained >= pending[0]:
                t = pending.pop(0)
                path = args.out_dir / f"plain_t{t:g}.npy"
                pause = time.perf_counter()
                np.save(path, sample(gen, sample_noise))
                sampling += time.perf_counter() - pause
                meta.append({"checkpoint": t, "train_seconds": round(trained, 2), "steps": steps,
                             "file": path.name})
                print(f"t={t:g}s trained {trained:.1f}s, {steps} steps, "
                      f"d_loss {d_loss.item():.3f} g_loss {g_loss.item():.3f} -> {path}", flush=True)
            if not pending:
                break
    (args.out_dir / "plain_meta.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
