"""A small CNN digit classifier, trained only on the app's 5,000 embedded digits, whose penultimate
layer serves as the feature space of a Fréchet distance ("FID for MNIST") and whose predictions give
class coverage. Weights are cached in benchmarks/.cache/ and retrained when the recipe changes.

    python benchmarks/digit_features.py      # train (or load), report test accuracy and sanity FDs
"""
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so the script runs as `python benchmarks/digit_features.py` too
    sys.path.insert(0, str(ROOT))

from studio.data.digits import load_embedded, load_idx_folder  # noqa: E402

MNIST_DIR = Path("/work/shared/data/mnist")
CACHE = Path(__file__).resolve().parent / ".cache"
# Bump when the network or the training recipe changes, so a stale cache is never used.
RECIPE = "cnn32-64-128_shift2_ep20_seed0_v1"
SEED, EPOCHS, BATCH, REF_N = 0, 20, 64, 5000
FEATURE_DIM = 128
PRESENT_SHARE = 0.1 / 3  # a class is "present" at >= 1/3 of its expected 10 % share


class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, FEATURE_DIM), nn.ReLU())
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(FEATURE_DIM, 10)

    def forward(self, x):
        return self.head(self.drop(self.conv(x)))


def _as_float01(images) -> np.ndarray:
    """Accept uint8 0–255 or float in [0, 1], (N,28,28) or (N,1,28,28); return float32 (N,28,28)."""
    a = np.asarray(images)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    return a.reshape(-1, 28, 28)


def _shift(x: torch.Tensor, gen: torch.Generator, pad: int = 2) -> torch.Tensor:
    """Random translation by up to ±pad pixels: the cheap augmentation that makes 5,000 digits enough."""
    padded = F.pad(x, (pad,) * 4)
    dx, dy = torch.randint(0, 2 * pad + 1, (2,), generator=gen).tolist()
    return padded[:, :, dy:dy + 28, dx:dx + 28]


def _train() -> DigitCNN:
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    data = load_embedded()
    x = torch.from_numpy(_as_float01(data.images)).unsqueeze(1)
    y = torch.from_numpy(data.labels)
    net = DigitCNN()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    for _ in range(EPOCHS):
        net.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            loss = F.cross_entropy(net(_shift(x[idx], gen)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net.eval()


_NET: DigitCNN | None = None


def model() -> DigitCNN:
    """The trained classifier, loaded from the cache or trained once (about a minute on 2 cores)."""
    global _NET
    if _NET is None:
        path = CACHE / f"digit_cnn_{RECIPE}.pt"
        net = DigitCNN()
        if path.is_file():
            net.load_state_dict(torch.load(path, weights_only=True))
        else:
            net = _train()
            CACHE.mkdir(exist_ok=True)
            torch.save(net.state_dict(), path)
        _NET = net.eval()
    return _NET


def _run(images, part: str) -> np.ndarray:
    net, x = model(), torch.from_numpy(_as_float01(images)).unsqueeze(1)
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            f = net.conv(x[i:i + 1000])
            outs.append(f if part == "features" else net.head(f))
    return torch.cat(outs).numpy().astype(np.float64)


def features(images) -> np.ndarray:
    """Penultimate-layer activations, float64 (N, 128)."""
    return _run(images, "features")


def predict(images) -> np.ndarray:
    """Predicted digit labels, int64 (N,)."""
    return _run(images, "logits").argmax(1)


def _sqrtm_psd(m: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix via eigh; round-off negatives -> 0."""
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets:
    |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^½ S_b S_a^½)^½).

    The cross term is computed from the symmetric PSD matrix S_a^½ S_b S_a^½ (same trace-sqrt as
    (S_a S_b)^½, which is not symmetric), so only eigh is needed and no complex round-off appears.
    """
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrtm_psd(s_a)
    m = root_a @ s_b @ root_a
    cross = np.linalg.eigvalsh((m + m.T) / 2)
    tr_cross = np.sqrt(np.clip(cross, 0, None)).sum()
    d = ((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * tr_cross
    return float(max(d, 0.0))


def class_shares(labels: np.ndarray) -> np.ndarray:
    return np.bincount(labels, minlength=10)[:10] / max(len(labels), 1)


def class_coverage(images) -> float:
    """Fraction of the 10 digit classes present among the images, by the classifier's predictions.
    A class is present when it gets at least 1/3 of its expected 10 % share, i.e. >= 3.33 % of the
    images, so a few stray misclassifications do not count as covering a class."""
    return float((class_shares(predict(images)) >= PRESENT_SHARE).mean())


def reference_split() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test digits split by a fixed permutation into the 5,000 used as the FD reference and
    the other 5,000 (kept for the real-vs-real sanity check)."""
    test = load_idx_folder(MNIST_DIR, "test")
    order = np.random.default_rng(0).permutation(len(test))
    return _as_float01(test.images[order[:REF_N]]), _as_float01(test.images[order[REF_N:]])


_REF_FEATS: np.ndarray | None = None


def score(images) -> dict:
    """FD against the fixed 5,000 reference test digits, class coverage, and per-class shares."""
    global _REF_FEATS
    if _REF_FEATS is None:
        _REF_FEATS = features(reference_split()[0])
    images = _as_float01(images)
    shares = class_shares(predict(images))
    return {"fd": frechet_distance(features(images), _REF_FEATS),
            "coverage": float((shares >= PRESENT_SHARE).mean()),
            "per_class": [round(float(s), 4) for s in shares]}


def _check() -> None:
    test = load_idx_folder(MNIST_DIR, "test")
    acc = (predict(test.images) == test.labels).mean()
    print(f"test accuracy on {len(test)} MNIST test digits: {acc:.4f}")
    _, other = reference_split()
    print(f"FD real vs real (5,000 / other 5,000): {score(other)['fd']:.3f}")
    train = load_embedded().images
    print(f"FD embedded training digits vs reference: {score(train)['fd']:.3f}")
    rng = np.random.default_rng(0)
    print(f"FD uniform noise: {score(rng.random((5000, 28, 28), dtype=np.float32))['fd']:.3f}")
    # Mode collapse check: a single class covers 1/10 of the classes.
    ones = other[predict(other) == 1]
    s = score(ones)
    print(f"only 1s: FD {s['fd']:.3f}, coverage {s['coverage']:.1f}")
    print(f"blurred real (3x3 mean): FD {score(_blur(other))['fd']:.3f}")


def _blur(x: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(x).unsqueeze(1)
    return F.avg_pool2d(t, 3, stride=1, padding=1).squeeze(1).numpy()


if __name__ == "__main__":
    _check()
