"""The datasets the app offers: the embedded digits always, Fashion-MNIST when Debian's package is there."""
from pathlib import Path

from studio.data.digits import FASHION_CLASSES, DigitSet, load_embedded, load_idx_folder

EMBEDDED = "mnist-5k"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def available_sources() -> list[tuple[str, str]]:
    """(key, label) pairs for the data picker; a key is also accepted by `load_source`."""
    found = [(EMBEDDED, "MNIST digits (5,000 embedded)")]
    if FASHION_DIR.is_dir():
        found.append((str(FASHION_DIR), "Fashion-MNIST (installed)"))
    return found


def load_source(key: str) -> DigitSet:
    """`mnist-5k` for the embedded digits, otherwise a folder of MNIST-format IDX files."""
    if key == EMBEDDED:
        return load_embedded()
    folder = Path(key).expanduser()
    classes = FASHION_CLASSES if "fashion" in str(folder).lower() else None
    return load_idx_folder(folder, None, classes)
