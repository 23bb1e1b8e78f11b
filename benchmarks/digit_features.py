"""The benchmarks' sample-quality measures, on the digit classifier the app ships (studio/quality/,
weights in resources/digit_classifier.safetensors, trained by scripts/train_digit_classifier.py on the
5,000 embedded digits only): the Fréchet distance in its 128-wide penultimate layer ("FID for MNIST")
against 5,000 fixed MNIST test digits, and class coverage from its predictions.

    python benchmarks/digit_features.py      # report test accuracy and sanity FDs
"""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so the script runs as `python benchmarks/digit_features.py` too
    sys.path.insert(0, str(ROOT))

from studio.data.digits import load_embedded, load_idx_folder  # noqa: E402
from studio.quality.classifier import WEIGHTS, as_float01, features_and_logits  # noqa: E402
from studio.quality.score import (PRESENT_SHARE, QualityScorer, class_shares,  # noqa: E402,F401
                                  frechet_distance)

MNIST_DIR = Path("/work/shared/data/mnist")
REF_N = 5000


def _recipe() -> str:
    """The shipped file's training recipe, so result tables say which classifier scored them."""
    from safetensors import safe_open
    try:
        with safe_open(str(WEIGHTS), "pt") as f:
            return (f.metadata() or {}).get("recipe", "unknown")
    except Exception:  # noqa: BLE001 - scoring then raises the one-line DataError that says what to do
        return "missing"


RECIPE = _recipe()


def features(images) -> np.ndarray:
    """Penultimate-layer activations, float64 (N, 128)."""
    return features_and_logits(images)[0]


def predict(images) -> np.ndarray:
    """Predicted digit labels, int64 (N,)."""
    return features_and_logits(images)[1].argmax(1)


def class_coverage(images) -> float:
    """Fraction of the 10 digit classes present among the images, by the classifier's predictions
    (a class is present at >= 1/3 of its expected 10 % share)."""
    return float((class_shares(predict(images)) >= PRESENT_SHARE).mean())


def reference_split() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test digits split by a fixed permutation into the 5,000 used as the FD reference and
    the other 5,000 (kept for the real-vs-real sanity check), float32 in [0, 1]."""
    test = load_idx_folder(MNIST_DIR, "test")
    order = np.random.default_rng(0).permutation(len(test))
    return as_float01(test.images[order[:REF_N]]), as_float01(test.images[order[REF_N:]])


_SCORER: QualityScorer | None = None


def score(images) -> dict:
    """FD against the fixed 5,000 reference test digits, class coverage, and per-class shares."""
    global _SCORER
    if _SCORER is None:
        _SCORER = QualityScorer(reference_split()[0], digit_classes=True)
    s = _SCORER.score(images)
    return {"fd": s.fd, "coverage": s.coverage, "per_class": [round(float(x), 4) for x in s.shares]}


def _blur(x: np.ndarray) -> np.ndarray:
    """3×3 mean blur of float (N, 28, 28), zeros outside."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    return sum(p[:, i:i + 28, j:j + 28] for i in range(3) for j in range(3)) / 9


def _check() -> None:
    test = load_idx_folder(MNIST_DIR, "test")
    print(f"classifier: {RECIPE}")
    print(f"test accuracy on {len(test)} MNIST test digits: {(predict(test.images) == test.labels).mean():.4f}")
    _, other = reference_split()
    print(f"FD real vs real (5,000 / other 5,000): {score(other)['fd']:.3f}")
    print(f"FD embedded training digits vs reference: {score(load_embedded().images)['fd']:.3f}")
    rng = np.random.default_rng(0)
    print(f"FD uniform noise: {score(rng.random((5000, 28, 28), dtype=np.float32))['fd']:.3f}")
    ones = other[predict(other) == 1]  # mode collapse: a single class covers 1/10 of the classes
    s = score(ones)
    print(f"only 1s: FD {s['fd']:.3f}, coverage {s['coverage']:.1f}")
    print(f"blurred real (3x3 mean): FD {score(_blur(other))['fd']:.3f}")


if __name__ == "__main__":
    _check()
