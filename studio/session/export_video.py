"""A recorded episode as a video: MP4 (H.264 through the ffmpeg that imageio-ffmpeg ships) or an
animated GIF, at the game's own speed."""
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.session.export import written_atomically
from studio.session.reader import SessionReader


def episode_video(reader: SessionReader, index: int, out: str | Path) -> int:
    """Episode `index` of the session (negative counts from the newest) to `out`; returns its frame count."""
    episodes = reader.episode_index()
    if not len(episodes):
        raise StudioError(f"{reader.path}: this session has no recorded episodes")
    if not -len(episodes) <= index < len(episodes):
        raise StudioError(f"{reader.path}: no episode {index}; it has {len(episodes)} (0–{len(episodes) - 1}, "
                          "or -1 for the newest)")
    episode = reader.episode(index % len(episodes))
    fps = reader.episode_spec().fps
    out = Path(out)
    frames = (episode.frame(t) for t in range(len(episode)))
    kind = out.suffix.lower()
    if kind == ".mp4":
        _mp4(frames, episode.frame_shape, fps, out)
    elif kind == ".gif":
        _gif(frames, fps, out)
    else:
        raise StudioError(f"{out}: give the file a .mp4 or .gif name")
    return len(episode)


def _mp4(frames, shape, fps: int, out: Path) -> None:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise StudioError("MP4 export needs the imageio-ffmpeg package (pip install imageio-ffmpeg); "
                          "a .gif works without it") from None
    h, w = shape[:2]
    # H.264 in yuv420p (what every player plays) needs even sides: pad by a black row/column if odd.
    ph, pw = h + h % 2, w + w % 2
    with written_atomically(out) as tmp:
        writer = imageio_ffmpeg.write_frames(str(tmp), (pw, ph), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                             macro_block_size=1, quality=8, ffmpeg_log_level="error")
        writer.send(None)
        try:
            for frame in frames:
                if (ph, pw) != (h, w):
                    frame = np.pad(frame, ((0, ph - h), (0, pw - w), (0, 0)))
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()


def _gif(frames, fps: int, out: Path) -> None:
    from PIL import Image
    images = [Image.fromarray(f).convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    with written_atomically(out) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=max(20, round(1000 / fps)), loop=0)
