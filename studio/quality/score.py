"""Quality of generated 28×28 images against a run's training data: the Fréchet distance between Gaussians
fitted to the shipped digit classifier's features ("FID for MNIST") and how many of its 10 classes the
images cover. Qt-free and safe on a background thread: a scorer is read-only once built."""
import hashlib
import threading
from dataclasses import dataclass

import numpy as np

from studio.quality import classifier
from studio.quality.classifier import N_CLASSES, features_and_logits

MAX_REFERENCE = 5000  # more reference images barely move the 128-dim statistics and cost forward passes
KEPT_REFERENCES = 4  # reference statistics kept per process (each is 130 kB: a mean and a 128×128 covariance)
PRESENT_SHARE = 1 / N_CLASSES / 3  # a class counts as covered at >= 1/3 of its expected share, so a few
# stray predictions do not make a collapsed model look diverse


@dataclass(frozen=True)
class FeatureStats:
    """Mean (D,) and covariance (D, D) of a feature set: all the Fréchet distance needs of it."""
    mean: np.ndarray
    cov: np.ndarray

    @classmethod
    def of(cls, feats: np.ndarray) -> "FeatureStats":
        f = np.asarray(feats, np.float64)
        if f.ndim != 2 or len(f) < 2:
            raise ValueError(f"need at least 2 feature vectors of shape (N, D), got {f.shape}")
        return cls(f.mean(0), np.atleast_2d(np.cov(f, rowvar=False)))  # np.cov gives 0-d for D = 1


_references: dict[tuple, FeatureStats] = {}
_references_lock = threading.Lock()


def reference_stats(images) -> FeatureStats:
    """The classifier-feature statistics of a reference set, computed once per process for the same images
    (and classifier): the window's next run on the same data, or a resumed one, scores its first point without
    5,000 forward passes again (~3 s of CPU beside the training). Safe from any thread."""
    a = np.ascontiguousarray(images)
    key = (str(classifier.WEIGHTS), a.shape, a.dtype.str, hashlib.blake2b(a.data, digest_size=16).digest())
    with _references_lock:
        found = _references.get(key)
    if found is None:
        found = FeatureStats.of(features_and_logits(a)[0])
        for array in (found.mean, found.cov):
            array.setflags(write=False)  # shared by every scorer of this data
        with _references_lock:
            _references[key] = found
            while len(_references) > KEPT_REFERENCES:
                del _references[next(iter(_references))]  # the oldest
    return found


def _sqrtm_psd(m: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix via eigh; round-off negatives -> 0."""
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(a, b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (arrays (N, D) or FeatureStats):
    |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^½ S_b S_a^½)^½).

    The cross term uses the symmetric PSD matrix S_a^½ S_b S_a^½, whose trace-sqrt equals that of the
    non-symmetric S_a S_b, so eigh suffices and no complex round-off appears (unlike scipy's sqrtm).
    """
    a = a if isinstance(a, FeatureStats) else FeatureStats.of(a)
    b = b if isinstance(b, FeatureStats) else FeatureStats.of(b)
    root_a = _sqrtm_psd(a.cov)
    m = root_a @ b.cov @ root_a
    tr_cross = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    d = ((a.mean - b.mean) ** 2).sum() + np.trace(a.cov) + np.trace(b.cov) - 2 * tr_cross
    return float(max(d, 0.0))


def class_shares(predictions: np.ndarray) -> np.ndarray:
    """Fraction of the predictions falling in each of the classifier's classes, float64 (10,)."""
    return np.bincount(predictions, minlength=N_CLASSES)[:N_CLASSES] / max(len(predictions), 1)


@dataclass(frozen=True)
class QualityScore:
    fd: float  # lower is better; real-vs-real data sits near the floor
    coverage: float  # fraction of the classifier's 10 classes present among the images
    shares: np.ndarray  # (10,) fraction of the images predicted as each class


class QualityScorer:
    """Scores images against a fixed reference (the run's training data), whose statistics are computed once.

    digit_classes: whether the data's classes are the classifier's own (MNIST digits). For other data
    (Fashion-MNIST, KMNIST, own pictures) the features still compare distributions, but coverage counts
    the classifier's digit classes, not the data's, and the describe() text says so.
    """

    def __init__(self, reference_images, digit_classes: bool, seed: int = 0):
        ref = np.asarray(reference_images)
        if len(ref) > MAX_REFERENCE:  # a fixed subset, so the same data always gives the same reference
            ref = ref[np.sort(np.random.default_rng(seed).choice(len(ref), MAX_REFERENCE, replace=False))]
        self.digit_classes = bool(digit_classes)
        self.reference = reference_stats(ref)

    def score(self, images) -> QualityScore:
        feats, logits = features_and_logits(images)
        shares = class_shares(logits.argmax(1))
        return QualityScore(frechet_distance(FeatureStats.of(feats), self.reference),
                            float((shares >= PRESENT_SHARE).mean()), shares)

    def describe(self) -> str:
        """A title for the score, honest about whose features they are."""
        if self.digit_classes:
            return "Fréchet distance in a digit classifier's features"
        return "Fréchet distance in a digit classifier's features (not trained on this data)"
