"""A panel's saved snapshots as pictures: its whole evolution as an animated GIF, one snapshot as PNG.
Image panels are tiled as the window shows them; a scatter of points is drawn on fixed axes, coloured
by class, so that frames of an animation line up."""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from studio.errors import StudioError
from studio.images import tile, upscale
from studio.session.export import written_atomically
from studio.session.reader import SessionReader

# Ten distinct colours for the classes of a scatter (digits 0-9).
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]
SCATTER_SIZE = 400  # pixels per side of a drawn scatter


def _panel(reader: SessionReader, panel: str) -> dict:
    if panel not in reader.panel_keys():
        names = ", ".join(reader.panel_keys()) or "none"
        raise StudioError(f"{reader.path}: no panel {panel!r}; its panels: {names}")
    return reader.panel_attrs(panel)


def _picture(attrs: dict, content: np.ndarray, scale: int, bounds=None) -> Image.Image:
    if attrs["kind"] == "points":
        return _scatter(content, bounds or _bounds([content]))
    return Image.fromarray(upscale(tile(content, int(attrs.get("cols", 8))), scale), mode="L")


def _captioned(img: Image.Image, text: str) -> Image.Image:
    """The picture with a band beneath it saying which step it shows (frames of an animation)."""
    band = 18
    out = Image.new(img.mode, (img.width, img.height + band), "white" if img.mode == "RGB" else 255)
    out.paste(img, (0, 0))
    ImageDraw.Draw(out).text((4, img.height + 3), text, fill="black" if img.mode == "RGB" else 0)
    return out


def _bounds(stacks) -> tuple[float, float, float, float]:
    xy = np.concatenate([s[:, :2] for s in stacks])
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return -1.0, 1.0, -1.0, 1.0
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = np.maximum((hi - lo) * 0.05, 1e-6)
    return lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]


def _scatter(points: np.ndarray, bounds) -> Image.Image:
    x0, x1, y0, y1 = bounds
    img = Image.new("RGB", (SCATTER_SIZE, SCATTER_SIZE), "white")
    draw = ImageDraw.Draw(img)
    for x, y, c in points:
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        px = (x - x0) / (x1 - x0) * (SCATTER_SIZE - 1)
        py = (1 - (y - y0) / (y1 - y0)) * (SCATTER_SIZE - 1)  # y grows upwards, as in the window
        draw.ellipse((px - 2, py - 2, px + 2, py + 2), fill=CLASS_COLORS[int(c) % len(CLASS_COLORS)])
    return img


def _save(images: list[Image.Image], out: Path, ms_per_frame: int) -> None:
    fmt = {".gif": "GIF", ".png": "PNG"}.get(out.suffix.lower())
    if fmt is None:
        raise StudioError(f"{out}: give the file a .gif or .png name")
    with written_atomically(out) as tmp:
        if len(images) == 1 or fmt == "PNG":
            images[-1].save(tmp, format=fmt)
        else:
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=ms_per_frame,
                           loop=0, optimize=False)


def panel_gif(reader: SessionReader, panel: str, out: str | Path, scale: int = 2, ms_per_frame: int = 200,
              first_step: int | None = None, last_step: int | None = None) -> int:
    """Every snapshot of `panel` between the steps (inclusive) as one frame of an animated GIF.
    Returns the number of frames."""
    attrs = _panel(reader, panel)
    steps = reader.snapshot_steps(panel)
    keep = np.ones(len(steps), bool)
    if first_step is not None:
        keep &= steps >= first_step
    if last_step is not None:
        keep &= steps <= last_step
    chosen = np.flatnonzero(keep)
    if not len(chosen):
        raise StudioError(f"{reader.path}: panel {panel!r} has no snapshot in that range of steps")
    stacks = [reader.snapshot(panel, int(i)) for i in chosen]
    bounds = _bounds(stacks) if attrs["kind"] == "points" else None
    frames = [_captioned(_picture(attrs, s, scale, bounds), f"step {int(steps[i]):,}")
              for i, s in zip(chosen, stacks)]
    _save(frames, Path(out), ms_per_frame)
    return len(frames)


def panel_png(reader: SessionReader, panel: str, out: str | Path, step: int | None = None, scale: int = 2) -> int:
    """The snapshot of `panel` at `step` (its newest at or before it; default: the last). Returns its step."""
    attrs = _panel(reader, panel)
    steps = reader.snapshot_steps(panel)
    i = len(steps) - 1 if step is None else int(np.searchsorted(steps, step, side="right")) - 1
    if i < 0:
        raise StudioError(f"{reader.path}: panel {panel!r} has no snapshot at or before step {step}")
    _save([_picture(attrs, reader.snapshot(panel, i), scale)], Path(out), 0)
    return int(steps[i])
