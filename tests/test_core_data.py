"""IDX reading, MNIST-style folders, the embedded digits and (when present) the real MNIST test set."""
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from studio.data.digits import FASHION_CLASSES, load_embedded, load_idx_folder
from studio.data.idx import read_idx
from studio.data.sources import EMBEDDED, load_source
from studio.errors import DataError, StudioError

MNIST_DIR = Path("/work/shared/data/mnist")


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """The IDX encoding of `array`, written from the format's spec (magic 0 0 type ndim, big-endian dims)."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def some_images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


# --- read_idx -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_uint8_plain_and_gzip(tmp_path, name):
    images = some_images(7)
    out = read_idx(write(tmp_path / name, idx_bytes(images)))
    assert out.dtype == np.uint8 and out.shape == (7, 28, 28)
    np.testing.assert_array_equal(out, images)


def test_read_idx_one_dimensional_labels(tmp_path):
    labels = np.array([7, 2, 1, 0, 4], np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "l-idx1-ubyte", idx_bytes(labels))), labels)


@pytest.mark.parametrize("code,values", [(0x0C, [-5, 70000, 0, 2**31 - 1]), (0x0B, [-2, 300, 1, -32768]),
                                         (0x0D, [1.5, -0.25, 3e5, 0.0]), (0x0E, [1e-300, -2.0, 7.0, 1.0])])
def test_read_idx_big_endian_types(tmp_path, code, values):
    array = np.array(values).reshape(2, 2)
    out = read_idx(write(tmp_path / "x.idx", idx_bytes(array, code)))
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out.astype(np.float64), array.astype(np.float64))


def _expect_data_error(path: Path, *fragments: str) -> str:
    with pytest.raises(DataError) as err:
        read_idx(path)
    message = str(err.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_wrong_magic(tmp_path):
    good = idx_bytes(some_images(2))
    _expect_data_error(write(tmp_path / "a-idx3-ubyte", b"\x01\x02" + good[2:]), "not an IDX file")
    _expect_data_error(write(tmp_path / "b-idx3-ubyte", good[:2] + b"\x42" + good[3:]), "not an IDX file")
    _expect_data_error(write(tmp_path / "c-idx3-ubyte", good[:3] + b"\x00" + good[4:]), "not an IDX file")
    _expect_data_error(write(tmp_path / "d.png", b"\x89PNG\r\n\x1a\n" + bytes(100)), "not an IDX file")


def test_too_short_and_empty(tmp_path):
    _expect_data_error(write(tmp_path / "empty-idx1-ubyte", b""), "too short")
    _expect_data_error(write(tmp_path / "two-idx1-ubyte", b"\x00\x00"), "too short")


def test_truncated_header(tmp_path):
    good = idx_bytes(some_images(2))
    _expect_data_error(write(tmp_path / "h-idx3-ubyte", good[:10]), "truncated header")


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_body(tmp_path, suffix):
    good = idx_bytes(some_images(3))
    _expect_data_error(write(tmp_path / f"t-idx3-ubyte{suffix}", good[:-1]), "truncated", str(len(good) - 1))


def test_trailing_bytes(tmp_path):
    good = idx_bytes(some_images(3))
    _expect_data_error(write(tmp_path / "x-idx3-ubyte", good + b"\x00\x00"), "trailing bytes")


def test_bad_gzip(tmp_path):
    path = tmp_path / "bad-idx3-ubyte.gz"
    path.write_bytes(idx_bytes(some_images(2)))   # not compressed although named .gz
    _expect_data_error(path, "cannot be read")


def test_cut_gzip_stream(tmp_path):
    path = tmp_path / "cut-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(some_images(20)))[:-40])
    _expect_data_error(path)


def test_missing_file(tmp_path):
    _expect_data_error(tmp_path / "nope-idx3-ubyte.gz", "not found")
    _expect_data_error(tmp_path / "nope-idx1-ubyte", "not found")


def test_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "dir-idx3-ubyte"
    folder.mkdir()
    _expect_data_error(folder)


def test_data_error_is_a_studio_error():
    assert issubclass(DataError, StudioError)


# --- load_idx_folder ------------------------------------------------------------------------

def write_split(folder: Path, split: str, n: int, gz: bool = True, seed: int = 0, dotted: bool = False):
    stems = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}[split]
    if dotted:
        stems = tuple(s.replace("-idx", ".idx") for s in stems)
    ext = ".gz" if gz else ""
    images = some_images(n, seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    write(folder / (stems[0] + ext), idx_bytes(images))
    write(folder / (stems[1] + ext), idx_bytes(labels))
    return images, labels


def test_flat_folder_with_both_splits(tmp_path):
    train_images, train_labels = write_split(tmp_path, "train", 30, gz=False, seed=1)
    test_images, _ = write_split(tmp_path, "test", 12, gz=True, seed=2)
    ds = load_idx_folder(tmp_path)                      # the training split by default
    assert len(ds) == 30 and ds.labels.dtype == np.int64
    np.testing.assert_array_equal(ds.images, train_images)
    np.testing.assert_array_equal(ds.labels, train_labels)
    test = load_idx_folder(tmp_path, "test")
    np.testing.assert_array_equal(test.images, test_images)
    assert "test" in test.name


def test_torchvision_mnist_raw_layout(tmp_path):
    images, labels = write_split(tmp_path / "MNIST" / "raw", "train", 20, gz=True)
    ds = load_idx_folder(tmp_path)
    np.testing.assert_array_equal(ds.images, images)
    np.testing.assert_array_equal(ds.labels, labels)


def test_raw_subfolder_and_dotted_names(tmp_path):
    images, _ = write_split(tmp_path / "raw", "train", 10, gz=False, dotted=True)
    np.testing.assert_array_equal(load_idx_folder(tmp_path).images, images)


def test_test_only_folder_uses_the_test_split(tmp_path):
    images, labels = write_split(tmp_path, "test", 25)
    ds = load_idx_folder(tmp_path)
    assert len(ds) == 25 and "test" in ds.name
    np.testing.assert_array_equal(ds.labels, labels)
    with pytest.raises(DataError, match="train-images"):
        load_idx_folder(tmp_path, "train")


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_idx_folder(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError) as err:
        load_idx_folder(empty)
    assert str(empty) in str(err.value) and "train-images" in str(err.value)


def test_missing_labels_file(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(some_images(4)))
    with pytest.raises(DataError, match="train-labels"):
        load_idx_folder(tmp_path)


def test_label_count_mismatch(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(some_images(4)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(DataError) as err:
        load_idx_folder(tmp_path)
    assert "train-labels" in str(err.value) and "3" in str(err.value) and "4" in str(err.value)


def test_label_out_of_range(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(some_images(2)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.array([3, 12], np.uint8)))
    with pytest.raises(DataError, match="12"):
        load_idx_folder(tmp_path)


def test_wrong_image_size(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((2, 32, 32), np.uint8)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(2, np.uint8)))
    with pytest.raises(DataError, match="28"):
        load_idx_folder(tmp_path)


def test_load_source_names_fashion_classes(tmp_path):
    folder = tmp_path / "fashion-mnist"
    write_split(folder, "test", 10)
    ds = load_source(str(folder))
    assert ds.classes == FASHION_CLASSES and len(ds.classes) == 10


# --- the embedded digits --------------------------------------------------------------------

def test_embedded_digits():
    ds = load_source(EMBEDDED)
    assert ds.images.shape == (5000, 28, 28) and ds.images.dtype == np.uint8
    assert ds.labels.shape == (5000,)
    assert np.bincount(ds.labels, minlength=10).tolist() == [500] * 10
    # real MNIST digits: mostly background with bright strokes (MNIST's mean intensity is about 0.13)
    assert ds.images.max() == 255 and ds.images.min() == 0
    assert 0.10 < ds.images.mean() / 255 < 0.16
    assert len({ds.images[i].tobytes() for i in range(0, 5000, 50)}) == 100   # not one repeated image


def test_embedded_split_is_reproducible_and_disjoint():
    ds = load_embedded()
    train, held = ds.split(1000, seed=3)
    assert (len(train), len(held)) == (4000, 1000)
    _, held2 = ds.split(1000, seed=3)
    np.testing.assert_array_equal(held.images, held2.images)
    _, held3 = ds.split(1000, seed=4)
    assert not np.array_equal(held.images, held3.images)
    counts = np.bincount(train.labels, minlength=10) + np.bincount(held.labels, minlength=10)
    assert counts.tolist() == [500] * 10
    with pytest.raises(DataError):
        ds.split(0)
    with pytest.raises(DataError):
        ds.split(5000)


# --- the real MNIST test set ----------------------------------------------------------------

@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"{MNIST_DIR} is not here")
def test_real_mnist_test_set():
    ds = load_idx_folder(MNIST_DIR)
    assert len(ds) == 10_000 and ds.images.shape == (10_000, 28, 28) and ds.images.dtype == np.uint8
    assert "test" in ds.name
    # Well-known facts about MNIST's t10k set: its first labels and its class counts.
    assert ds.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(ds.labels, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_random_shift_moves_each_image_whole_within_the_limit():
    import torch
    from studio.data.augment import random_shift
    x = torch.zeros(64, 1, 28, 28)
    x[:, 0, 10:18, 12:15] = torch.rand(64, 8, 3) + 0.1   # a blob away from the borders
    g = torch.Generator().manual_seed(0)
    out = random_shift(x, 2, g)
    seen = set()
    for a, b in zip(x, out):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(torch.roll(a, (dy, dx), dims=(1, 2)), b)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 10                     # offsets differ from image to image
    assert random_shift(x, 0, g) is x
