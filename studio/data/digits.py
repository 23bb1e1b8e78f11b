"""28×28 grey-level image sets with labels: the embedded MNIST digits and MNIST-format IDX folders."""
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.data.idx import read_idx
from studio.errors import DataError

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# File stems of the two splits, as LeCun's site and torchvision's MNIST/raw name them.
_SPLIT_STEMS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


@dataclass
class DigitSet:
    """images: uint8 (N, 28, 28), 0 = background; labels: int64 (N,) indexing `classes`. notes: lines a person
    should read about how the set was loaded (files skipped, pictures inverted), for the run's log."""
    name: str
    images: np.ndarray
    labels: np.ndarray
    classes: list[str] = field(default_factory=lambda: list(MNIST_CLASSES))
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def split(self, holdout: int, seed: int = 0) -> tuple["DigitSet", "DigitSet"]:
        """A reproducible (train, held-out) split with `holdout` items in the second part."""
        if not 0 < holdout < len(self):
            raise DataError(f"{self.name}: cannot hold out {holdout} of {len(self)} items")
        order = np.random.default_rng(seed).permutation(len(self))
        parts = order[holdout:], order[:holdout]
        return tuple(DigitSet(self.name, self.images[p], self.labels[p], self.classes, self.notes) for p in parts)


def load_embedded() -> DigitSet:
    """The 5,000 real MNIST training digits shipped in resources/ (no download, no network)."""
    from resources import ROOT
    path = ROOT / "mnist_5k.npz"
    try:
        with np.load(path) as npz:
            images, labels = npz["images"], npz["labels"].astype(np.int64)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path}: the embedded digits cannot be read ({exc}); reinstall the app") from None
    return DigitSet("MNIST (5,000 embedded digits)", images, labels)


def _find(folder: Path, stem: str) -> Path | None:
    for base in (folder, folder / "MNIST" / "raw", folder / "raw"):
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
            if (base / name).is_file():
                return base / name
    return None


def has_idx_files(folder: Path) -> bool:
    """Whether `folder` holds the images of a split in MNIST's IDX format (rather than, say, pictures)."""
    return any(_find(folder, images) is not None for images, _ in _SPLIT_STEMS.values())


def load_idx_folder(folder: str | Path, split: str | None = None, classes: list[str] | None = None) -> DigitSet:
    """Load one split from a folder of MNIST-format IDX files (plain, gzipped, or the MNIST/raw layout).

    With no split named, the training split is used, or the test split when that is all the folder has.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    if split is None:
        split = "test" if _find(folder, _SPLIT_STEMS["train"][0]) is None \
            and _find(folder, _SPLIT_STEMS["test"][0]) is not None else "train"
    img_stem, lab_stem = _SPLIT_STEMS[split]
    img_path, lab_path = _find(folder, img_stem), _find(folder, lab_stem)
    if img_path is None or lab_path is None:
        missing = img_stem if img_path is None else lab_stem
        raise DataError(f"{folder}: no {missing}[.gz] here (nor in MNIST/raw/)")
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{img_path}: expected uint8 images of 28×28, found {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{lab_path}: {labels.shape[0] if labels.ndim else 0} labels for {len(images)} images")
    if labels.size and labels.max() > 9:
        raise DataError(f"{lab_path}: label {int(labels.max())} is outside 0–9")
    return DigitSet(f"{folder.name} ({split})", images, labels.astype(np.int64), classes or list(MNIST_CLASSES))
