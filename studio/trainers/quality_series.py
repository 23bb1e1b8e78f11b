"""The quality score's curves for the image generators (GAN, VAE): which series, on which plots, titled
for the data (the shipped classifier knows digits; on other data its features still measure distance, and
the title says so), and the samplers handed to the scoring thread (studio/quality/meter.py)."""
import copy

import numpy as np
import torch

from studio.data.digits import MNIST_CLASSES
from studio.quality.meter import QualityMeter
from studio.trainers.base import Series

N_SCORED = 1000  # samples per score: the same fixed noise every time, so points differ by training only
# Drawn this many at a time: a DCGAN's activations for all 1,000 at once took ~200 MB for a moment, every
# scoring (seen as memory spikes in benchmarks/soak.py); 250 at a time take a quarter, at the same speed.
SAMPLE_CHUNK = 250
# The plots' names are their titles: on data other than digits they say whose features measure the distance.
FD_PLOT, COVER_PLOT = "quality: Fréchet distance (lower is better)", "quality: digits covered (of 10)"
FD_PLOT_OTHER = "quality: Fréchet distance in a digit classifier's features (lower is better)"
COVER_PLOT_OTHER = "quality: digit classes a digit classifier sees (of 10)"


def on_digits(data) -> bool:
    return data is not None and list(data.classes) == list(MNIST_CLASSES)


def meter(data) -> QualityMeter:
    return QualityMeter(data.images, on_digits(data))


def series(data, config, variants: dict[str, str]) -> list[Series]:
    """Fréchet distance and classes covered of each variant ({series suffix: what is sampled}); none when
    the config's `quality_every` is 0."""
    if not config.quality_every:
        return []
    fd_plot, cover_plot = (FD_PLOT, COVER_PLOT) if on_digits(data) else (FD_PLOT_OTHER, COVER_PLOT_OTHER)
    return ([Series(f"fd{s}", f"FD: {name}", fd_plot, sparse=True) for s, name in variants.items()]
            + [Series(f"coverage{s}", f"covered: {name}", cover_plot, sparse=True) for s, name in variants.items()])


def take(trainer, wait: float = 0.0) -> list[tuple[int, dict[str, float]]]:
    """The trainer's finished scores (see QualityMeter.take); a scorer that failed is said once in the log."""
    scores = trainer.quality.take(wait)
    failure = trainer.quality.take_failure()
    if failure:
        trainer.note(f"the quality score is off for this run: {failure}")
    return scores


def sampler(net: torch.nn.Module, z: torch.Tensor, labels=None, tanh_output: bool = True):
    """A function the scoring thread calls: images in [0, 1] from a copy of `net` as it is now (training
    goes on changing `net` meanwhile)."""
    frozen = copy.deepcopy(net).eval()

    @torch.no_grad()
    def sample():
        parts = []
        for i in range(0, len(z), SAMPLE_CHUNK):
            zi = z[i:i + SAMPLE_CHUNK]
            out = frozen(zi, labels[i:i + SAMPLE_CHUNK]) if labels is not None else frozen(zi)
            out = (out + 1) / 2 if tanh_output else out
            parts.append(out.clamp(0, 1).squeeze(1).float().cpu().numpy())
        return np.concatenate(parts)
    return sample
