"""Baseline for the VAE benchmark: the PyTorch-examples style MLP VAE (784-400-20, Adam 1e-3, batch 128,
summed binary cross-entropy plus KL), written plainly, trained on the same training digits as the
studio's default VAE (the embedded 5,000 less the 500 held-out ones). At each wall-clock checkpoint it
saves its weights to OUT_DIR/plain_vae_t{t}.pt, off the training clock; OUT_DIR/plain_vae_meta.json
records steps and seconds. benchmarks/vae_quality.py evaluates the weights.

    python benchmarks/plain_mlp_vae.py --seconds 240 --seed 0 --out-dir /tmp/q --checkpoints 60,120,240
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.data.digits import load_embedded  # noqa: E402

HIDDEN, LATENT, BATCH, LR = 400, 20, 128, 1e-3
HOLDOUT = 500  # the studio default's held-out split, so both train on exactly the same digits


class MLPVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, HIDDEN)
        self.fc21 = nn.Linear(HIDDEN, LATENT)   # mean
        self.fc22 = nn.Linear(HIDDEN, LATENT)   # log-variance
        self.fc3 = nn.Linear(LATENT, HIDDEN)
        self.fc4 = nn.Linear(HIDDEN, 784)

    def encode(self, x):                        # (B, 784) -> 2 × (B, 20)
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):                        # (B, 20) -> (B, 784) pixel probabilities
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def loss_function(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


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
    train, _ = load_embedded().split(HOLDOUT, 0)
    images = torch.from_numpy(train.images).float().div(255)
    loader = DataLoader(TensorDataset(images), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(args.seed))
    model = MLPVAE()
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    # The training clock is wall time since the loop began (batch loading included) minus saving.
    meta, steps, pending = [], 0, list(checkpoints)
    began, saving = time.perf_counter(), 0.0
    while pending:
        for (x,) in loader:
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
            trained = time.perf_counter() - began - saving
            while pending and trained >= pending[0]:
                t = pending.pop(0)
                path = args.out_dir / f"plain_vae_t{t:g}.pt"
                pause = time.perf_counter()
                torch.save(model.state_dict(), path)
                saving += time.perf_counter() - pause
                meta.append({"checkpoint": t, "train_seconds": round(trained, 2), "steps": steps,
                             "file": path.name})
                print(f"t={t:g}s trained {trained:.1f}s, {steps} steps, "
                      f"loss {loss.item() / len(x):.1f} nats/image -> {path}", flush=True)
            if not pending:
                break
    (args.out_dir / "plain_vae_meta.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
