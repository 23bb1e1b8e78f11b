"""The data sets a run can name by key: the embedded digits, and three MNIST-format sets that are
downloaded once (or found installed). Any other key is a folder: MNIST-format IDX files, or images."""
from dataclasses import dataclass
from pathlib import Path

from studio.data.digits import FASHION_CLASSES, MNIST_CLASSES

EMBEDDED = "mnist-5k"

# The four files of every MNIST-format set, in the order they are fetched (the big training images first,
# so a failing connection shows up before the small files are in).
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@dataclass(frozen=True)
class RemoteSet:
    """An MNIST-format data set published on the web. `md5`: the checksum of each gzipped file as
    torchvision's dataset code publishes it (torchvision/datasets/mnist.py)."""
    key: str
    title: str
    url: str                       # the folder the files are published in, ending in '/'
    md5: tuple[str, str, str, str]  # of IDX_FILES, in that order
    classes: tuple[str, ...]
    megabytes: int                  # the four files together, for the picker's label
    installed: tuple[Path, ...] = ()  # folders a system package fills with the same data (used as they are)

    def hashes(self) -> dict[str, str]:
        return dict(zip(IDX_FILES, self.md5))


REMOTE: dict[str, RemoteSet] = {s.key: s for s in (
    RemoteSet("mnist", "MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/",
              ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
               "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
              tuple(MNIST_CLASSES), 12),
    RemoteSet("fashion-mnist", "Fashion-MNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
              ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
               "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
              tuple(FASHION_CLASSES), 31, (Path("/usr/share/datasets/fashion-mnist"),)),  # Debian: dataset-fashion-mnist
    RemoteSet("kmnist", "KMNIST", "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
              ("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
               "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"),
              ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"), 21),
)}

KEYS = (EMBEDDED, *REMOTE)


def installed_folder(spec: RemoteSet) -> Path | None:
    """A system folder holding all four files of `spec`, or None. Its files are not checked against the
    published md5s, since Debian's gzip files differ byte for byte from the published ones; the package manager
    vouches for them, and the IDX reader still checks every file's header and length."""
    return next((f for f in spec.installed if all((f / name).is_file() for name in IDX_FILES)), None)
