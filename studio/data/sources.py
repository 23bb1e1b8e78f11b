"""The data a run trains on, named by one string (RunSettings.data): a catalogue key (studio/data/catalogue.py)
or a folder, of MNIST-format IDX files or of one's own pictures."""
from dataclasses import replace
from pathlib import Path

from studio.data import download
from studio.data.catalogue import EMBEDDED, KEYS, REMOTE, RemoteSet, installed_folder
from studio.data.digits import FASHION_CLASSES, DigitSet, has_idx_files, load_embedded, load_idx_folder
from studio.data.download_progress import ProgressCallback
from studio.data.image_folder import load_image_folder
from studio.errors import DataError

FASHION_DIR = REMOTE["fashion-mnist"].installed[0]  # a key of earlier versions' data picker: still a folder


def _where(spec: RemoteSet) -> str:
    if installed_folder(spec):
        return "installed"
    if download.is_cached(spec):
        return "downloaded"
    return f"download, {spec.megabytes} MB"


def available_sources() -> list[tuple[str, str]]:
    """(key, label) pairs for the data picker; a key is also accepted by `load_source`."""
    return [(EMBEDDED, "MNIST digits (5,000 embedded)")] + [
        (s.key, f"{s.title}, 60,000 images ({_where(s)})") for s in REMOTE.values()]


def load_remote(spec: RemoteSet, split: str = "train", *, progress: ProgressCallback | None = None,
                mirror: str | None = None) -> DigitSet:
    """One split of a catalogue set: from a system package's folder, else from the cache, downloaded into it
    first when missing or damaged."""
    folder = installed_folder(spec) or download.fetch(spec, mirror=mirror, progress=progress)
    data = load_idx_folder(folder, split, list(spec.classes))
    return replace(data, name=f"{spec.title} ({split})")


def load_source(key: str, split: str | None = None, *, progress: ProgressCallback | None = None,
                mirror: str | None = None) -> DigitSet:
    """`mnist-5k`, `mnist`, `fashion-mnist`, `kmnist`, or a folder: MNIST-format IDX files (the training
    split, unless `split` says 'test'), or pictures (studio/data/image_folder.py). `progress` hears about
    downloads; `mirror` replaces the sets' web addresses (see studio/data/download.py)."""
    key = key.strip()
    if key == EMBEDDED:
        if split == "test":
            raise DataError(f"{EMBEDDED}: the embedded digits have no test split")
        return load_embedded()
    if key.lower() in REMOTE:
        return load_remote(REMOTE[key.lower()], split or "train", progress=progress, mirror=mirror)
    folder = Path(key).expanduser()
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise DataError(f"{key}: {what}, nor a data set ({', '.join(KEYS)})")
    if has_idx_files(folder):
        classes = FASHION_CLASSES if "fashion" in str(folder).lower() else None
        return load_idx_folder(folder, split, classes)
    if split == "test":
        raise DataError(f"{folder}: a folder of pictures has no test split")
    return load_image_folder(folder)
