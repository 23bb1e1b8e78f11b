"""A folder of one's own pictures (PNG, JPEG, or anything else Pillow reads) as a 28×28 grey image set.

Classes: one sub-folder per class (the sub-folder's name; pictures deeper inside count for it), or, with no
sub-folders, the pictures in the folder itself as one class. Each picture is turned grey (a transparent
background counts as white), shrunk to fit 28×28 keeping its shape, and centred on the background.

Polarity: the models learn MNIST's convention, a light figure on a dark background. When most pictures
have a light border (dark ink on paper, a product on white), every picture of the folder is inverted; one
decision for the whole folder, so that photos or a mixed set stay consistent with each other.

Files that are not pictures, or that are corrupt or cut short, are skipped and counted in the set's notes.
"""
import os
from pathlib import Path

import numpy as np

from studio.data.digits import DigitSet
from studio.errors import DataError

SIZE = 28
_NAMES_SHOWN = 3  # skipped files named in the note; the rest are counted


def _files(folder: Path) -> list[Path]:
    """Every visible file under `folder`, in a stable order (hidden ones like .DS_Store are no one's data;
    symbolic links to folders are not followed, so a loop cannot trap the walk)."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / n for n in sorted(names) if not n.startswith(".")]
    return found


def _grey(img):
    """A Pillow image as mode L: alpha composited on white, 16-bit and float pictures scaled to 0–255."""
    from PIL import Image
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img.convert("RGBA"))
    elif img.mode.startswith(("I", "F")):  # convert("L") would clip 16-bit values instead of scaling them
        a = np.asarray(img, dtype=np.float32)
        top = float(a.max())
        return Image.fromarray(np.clip(a * (255.0 / top if top > 255 else 1.0), 0, 255).astype(np.uint8))
    return img.convert("L")


def _small(path: Path) -> np.ndarray | str:
    """The picture grey and fitted inside SIZE×SIZE (uint8, not padded), or why it was skipped."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            img.draft("L", (2 * SIZE, 2 * SIZE))  # a JPEG decodes straight at 1/2…1/8 scale: big photos load fast
            grey = _grey(ImageOps.exif_transpose(img))  # phone pictures are stored sideways with an EXIF turn
            w, h = grey.size
            scale = SIZE / max(w, h)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BICUBIC  # BOX: area average
            return np.asarray(grey.resize(size, resample), dtype=np.uint8)
    except UnidentifiedImageError:
        return "not an image"
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return "unreadable"


def _light_border(a: np.ndarray) -> bool:
    ring = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return float(np.median(ring)) > 127


def _centred(a: np.ndarray, invert: bool) -> np.ndarray:
    out = np.zeros((SIZE, SIZE), np.uint8)
    h, w = a.shape
    y, x = (SIZE - h) // 2, (SIZE - w) // 2
    out[y:y + h, x:x + w] = 255 - a if invert else a
    return out


def _skip_note(skipped: dict[str, list[Path]], folder: Path) -> str:
    parts = []
    for why, paths in skipped.items():
        names = ", ".join(str(p.relative_to(folder)) for p in paths[:_NAMES_SHOWN])
        more = f", … ({len(paths) - _NAMES_SHOWN} more)" if len(paths) > _NAMES_SHOWN else ""
        parts.append(f"{len(paths)} {why} ({names}{more})")
    return f"skipped {sum(map(len, skipped.values()))} files: " + "; ".join(parts)


def load_image_folder(folder: str | Path) -> DigitSet:
    folder = Path(folder).expanduser()
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise DataError(f"{folder}: cannot be read ({exc.strerror or exc})") from None
    subdirs = [p for p in entries if p.is_dir()]
    skipped: dict[str, list[Path]] = {}
    if subdirs:
        groups = [(d.name, _files(d)) for d in subdirs]
        loose = [p for p in entries if p.is_file()]
        if loose:
            skipped["outside the class folders"] = loose
    else:
        groups = [(folder.name, [p for p in entries if p.is_file()])]

    classes, pictures, labels = [], [], []
    for name, paths in groups:
        got = []
        for path in paths:
            small = _small(path)
            if isinstance(small, str):
                skipped.setdefault({"not an image": "not images", "unreadable": "unreadable (corrupt or cut short)"}
                                   [small], []).append(path)
            else:
                got.append(small)
        if got:  # a sub-folder with no picture in it is no class
            labels += [len(classes)] * len(got)
            classes.append(name)
            pictures += got
    skip_note = _skip_note(skipped, folder) if skipped else ""
    if not pictures:
        raise DataError(f"{folder}: no images (PNG or JPEG, in the folder or one sub-folder per class)"
                        + (f"; {skip_note}" if skip_note else ""))

    invert = 2 * sum(map(_light_border, pictures)) > len(pictures)
    images = np.stack([_centred(a, invert) for a in pictures])
    summary = (f"{folder}: {len(images)} images in {len(classes)} class{'es' if len(classes) != 1 else ''}, "
               f"grey 28×28{', inverted to light on dark' if invert else ''}")
    return DigitSet(f"{folder.name} (own images)", images, np.asarray(labels, np.int64), classes,
                    notes=[summary] + ([skip_note] if skip_note else []))
