"""The shipped digit classifier and the quality score built on its features (studio/quality/)."""
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.data.digits import load_embedded, load_idx_folder
from studio.errors import DataError
from studio.quality import classifier
from studio.quality.classifier import features_and_logits, load_classifier
from studio.quality.score import FeatureStats, QualityScorer, frechet_distance

# In CI the data sits beside the repository (../shared/data/mnist); on the dev machine at /work/shared.
_CANDIDATES = [Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist", Path("/work/shared/data/mnist")]


@pytest.fixture(scope="module")
def mnist_test():
    folder = next((p for p in _CANDIDATES if p.is_dir()), None)
    if folder is None:
        pytest.skip(f"the MNIST test set is not at {' or '.join(map(str, _CANDIDATES))}")
    return load_idx_folder(folder, "test")


@pytest.fixture(scope="module")
def test_outputs(mnist_test):
    """Features and logits of all 10,000 test digits: one forward pass shared by the tests below."""
    return features_and_logits(mnist_test.images)


@pytest.fixture(scope="module")
def scorer():
    """As the app builds it: the run's training data (here the embedded digits) as the reference."""
    return QualityScorer(load_embedded().images, digit_classes=True)


def blur(images: np.ndarray) -> np.ndarray:
    """3×3 box blur of uint8 (N, 28, 28), zeros outside."""
    p = np.pad(images.astype(np.float32), ((0, 0), (1, 1), (1, 1)))
    return sum(p[:, i:i + 28, j:j + 28] for i in range(3) for j in range(3)) / 9 / 255


# --- the Fréchet distance itself -----------------------------------------------------------------

def test_frechet_distance_matches_the_closed_form_of_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (4000, 3))
    # Same samples shifted: the covariances are equal, so the distance is |Δμ|² exactly.
    assert frechet_distance(a, a + [1, 2, 0]) == pytest.approx(5.0, rel=1e-9)
    # 1-D: (μa - μb)² + (σa - σb)².
    x, y = rng.normal(0, 1, (4000, 1)), rng.normal(0, 3, (4000, 1))
    expected = (x.mean() - y.mean()) ** 2 + (x.std(ddof=1) - y.std(ddof=1)) ** 2
    assert frechet_distance(x, y) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(FeatureStats.of(x), FeatureStats.of(y)) == frechet_distance(x, y)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


# --- the shipped classifier ------------------------------------------------------------------------

def test_shipped_classifier_reaches_98_percent_on_the_real_mnist_test_set(mnist_test, test_outputs):
    accuracy = (test_outputs[1].argmax(1) == mnist_test.labels).mean()
    assert accuracy >= 0.98, f"{accuracy:.4f}"


def test_real_against_real_is_small_and_noise_far_larger(mnist_test, test_outputs, scorer):
    feats = test_outputs[0]
    order = np.random.default_rng(0).permutation(len(feats))
    real = frechet_distance(feats[order[:5000]], feats[order[5000:]])
    noise = np.random.default_rng(1).integers(0, 256, (2000, 28, 28), dtype=np.uint8)
    sharp = mnist_test.images[order[:2000]]
    assert frechet_distance(feats[order[:2000]], features_and_logits(noise)[0]) > 50 * real
    # Through the scorer (reference: the embedded training digits), noise is also far off.
    assert scorer.score(noise).fd > 50 * scorer.score(sharp).fd


def test_blurred_digits_score_worse_than_sharp_ones(mnist_test, scorer):
    sharp = mnist_test.images[:2000]
    assert scorer.score(blur(sharp)).fd > 2 * scorer.score(sharp).fd


def test_coverage_sees_a_collapsed_batch_and_a_full_one(mnist_test, scorer):
    ones = scorer.score(mnist_test.images[mnist_test.labels == 1])
    assert ones.coverage == pytest.approx(0.1) and ones.shares.argmax() == 1
    every = scorer.score(mnist_test.images[:2000])
    assert every.coverage == 1.0 and every.shares.shape == (10,) and every.shares.sum() == pytest.approx(1.0)


def test_uint8_and_float_inputs_give_the_same_score(mnist_test, scorer):
    u8 = mnist_test.images[:500]
    as_uint8 = scorer.score(u8)
    for other in (u8.astype(np.float32) / 255, (u8.astype(np.float64) / 255)[:, None]):
        s = scorer.score(other)
        assert s.fd == pytest.approx(as_uint8.fd, rel=1e-9) and np.array_equal(s.shares, as_uint8.shares)
    with pytest.raises(ValueError):
        scorer.score(u8[:, :27])


def test_scores_from_threads_agree_with_a_serial_score(mnist_test, scorer):
    batch = mnist_test.images[:300]
    expected, results = scorer.score(batch).fd, []
    threads = [threading.Thread(target=lambda: results.append(scorer.score(batch).fd)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == pytest.approx([expected] * 3, rel=1e-9)


def test_describe_says_when_the_classifier_never_saw_the_data(monkeypatch):
    monkeypatch.setattr("studio.quality.score.MAX_REFERENCE", 50)  # a small reference keeps this quick
    digits = load_embedded().images
    assert "not trained" not in QualityScorer(digits, digit_classes=True).describe()
    assert "not trained on this data" in QualityScorer(digits, digit_classes=False).describe()


def test_first_loads_from_several_threads_load_the_file_once(tmp_path):
    copy = tmp_path / "weights.safetensors"
    copy.write_bytes(classifier.WEIGHTS.read_bytes())
    nets = []
    threads = [threading.Thread(target=lambda: nets.append(load_classifier(copy))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(n) for n in nets}) == 1 and not nets[0].training


@pytest.mark.parametrize("content", [None, b"not a safetensors file", "wrong tensors"])
def test_missing_or_corrupt_weights_raise_a_one_line_data_error(tmp_path, monkeypatch, content):
    path = tmp_path / "digit_classifier.safetensors"
    if content == "wrong tensors":
        from safetensors.torch import save_file
        save_file({"conv.0.weight": torch.zeros(3)}, str(path))
    elif content is not None:
        path.write_bytes(content)
    monkeypatch.setattr(classifier, "WEIGHTS", path)
    with pytest.raises(DataError) as err:
        load_classifier()
    assert str(path) in str(err.value) and "\n" not in str(err.value)
