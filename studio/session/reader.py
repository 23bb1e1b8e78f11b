"""Reads a session file, including one that is still being written or whose writer died."""
import json
import zlib
from pathlib import Path

import h5py
import numpy as np

from studio.errors import SessionError
from studio.rl.episode import Episode, EpisodeSpec, compress_frame
from studio.session import layout as L

# Files written before curves and panels carried their `order` attribute are shown in the order the
# trainers declared them then (tests/test_gui_one_look.py keeps these in step with the trainers).
LEGACY_SERIES_ORDER = ("loss_d", "loss_g", "d_real", "d_fake",                                  # GAN
                       "total", "heldout_total", "recon", "kl", "heldout_recon", "heldout_kl",  # VAE
                       "stage2_total", "heldout_stage2_total",
                       "fd", "fd_ema", "coverage", "coverage_ema",                               # quality
                       "episode_return", "eval_return", "td_loss", "q_max", "epsilon")          # DQN
LEGACY_PANEL_ORDER = ("samples", "samples_ema", "two_stage", "recon", "manifold", "latent", "interp")


class SessionReader:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise SessionError(f"{self.path}: no such session file")
        try:
            # swmr=True reads a file a live or crashed SWMR writer left open.
            self.f = h5py.File(self.path, "r", libver="latest", swmr=True, locking=False)
        except OSError as exc:
            raise SessionError(f"{self.path}: not a readable session file ({exc})") from None
        try:
            attrs = self.f.attrs
            if attrs.get("app") != L.APP or "schema_version" not in attrs:
                raise SessionError(f"{self.path}: an HDF5 file, but not a Training Studio session")
            self.schema_version = int(attrs["schema_version"])
            # A newer app's file is read as far as this one understands it, and never written to.
            self.newer = self.schema_version > L.SCHEMA_VERSION
            self.kind = str(attrs["kind"])
            self.title = str(attrs["title"])
            self.created = str(attrs["created"])
            self.device = str(attrs.get("device", "?"))
            self.config = json.loads(attrs["config_json"])
            self.settings = json.loads(attrs["settings_json"])
            self._order: dict[str, list[str]] = {}  # group -> member names in display order, read once
        except SessionError:
            self.f.close()
            raise
        except (KeyError, ValueError, OSError) as exc:
            self.f.close()
            raise SessionError(f"{self.path}: damaged session file ({exc})") from None

    def newer_note(self) -> str:
        """What to tell a person about a file from a newer version of the app ('' for others)."""
        if not self.newer:
            return ""
        return (f"{self.path.name} was written by a newer Training Studio (file schema {self.schema_version}; "
                f"this one knows up to {L.SCHEMA_VERSION}): it is shown read-only and may lack what is new. "
                "Update the app to continue it.")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.f.close()

    # --- metrics ---
    def _ordered(self, group: str, legacy: tuple) -> list[str]:
        """A group's members as the trainer declared them (their `order`; older files: `legacy`, then by name).
        Every member exists from the file's start, so this is read once."""
        if group not in self._order:
            g = self.f[group]

            def rank(key):
                order = g[key].attrs.get("order")
                if order is not None:
                    return 0, int(order), key
                return 1, legacy.index(key) if key in legacy else len(legacy), key
            self._order[group] = sorted(g.keys(), key=rank)
        return list(self._order[group])

    def series_keys(self) -> list[str]:
        return self._ordered(L.METRICS, LEGACY_SERIES_ORDER)

    def series_label(self, key: str) -> str:
        return str(self.f[L.METRICS][key].attrs.get("label", key))

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        rows = self.f[L.METRICS][key][:]
        return rows["step"], rows["value"]

    # --- image snapshots ---
    def panel_keys(self) -> list[str]:
        return self._ordered(L.IMAGES, LEGACY_PANEL_ORDER)

    def snapshot_steps(self, panel: str) -> np.ndarray:
        return self.f[L.IMAGES][panel]["step"][:]

    def snapshot(self, panel: str, index: int) -> np.ndarray:
        return self.f[L.IMAGES][panel]["data"][index]

    def panel_attrs(self, panel: str) -> dict:
        """kind ('images' or 'points'), label, and cols or axis labels and class names."""
        attrs = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                 for k, v in self.f[L.IMAGES][panel].attrs.items()}
        attrs.setdefault("kind", "images")
        return attrs

    # --- recorded episodes ---
    def episode_spec(self):
        """The EpisodeSpec of a session with recorded episodes, else None."""
        if L.EPISODES not in self.f:
            return None
        g = self.f[L.EPISODES]
        return EpisodeSpec(str(g.attrs["env"]), tuple(g["frames"].shape[1:]),
                           tuple(str(a) for a in g.attrs["action_names"]), int(g.attrs["fps"]))

    def episode_index(self) -> np.ndarray:
        """One row per recorded episode: step, seed, start, length, return (layout.EPISODE_DTYPE)."""
        if L.EPISODES not in self.f:
            return np.empty(0, L.EPISODE_DTYPE)
        return self.f[L.EPISODES]["index"][:]

    def episode(self, i: int) -> Episode:
        g = self.f[L.EPISODES]
        row = g["index"][i]
        start, n = int(row["start"]), int(row["length"])
        frames = g["frames"]
        ep = Episode(int(row["step"]), int(row["seed"]), tuple(frames.shape[1:]))
        for t in range(start, start + n):
            # The stored deflate chunk is exactly the compressed frame a viewer decompresses on demand.
            mask, chunk = frames.id.read_direct_chunk((t, 0, 0, 0))
            ep.frames.append(chunk if mask == 0 else compress_frame(frames[t]))
        ep.actions = g["actions"][start:start + n].tolist()
        ep.q_values = list(g["q_values"][start:start + n])
        ep.rewards = g["rewards"][start:start + n].tolist()
        return ep

    # --- events ---
    def events(self) -> list[tuple[int, str, str]]:
        return [(int(r["step"]), r["kind"].decode(), r["message"].decode("utf-8", "replace"))
                for r in self.f[L.EVENTS][:]]

    # --- checkpoints ---
    def checkpoint_steps(self) -> list[int]:
        return [int(r["step"]) for r in self.f[L.CHECKPOINTS][L.CKPT_INDEX][:]]

    def latest_checkpoint(self) -> tuple[int, bytes] | None:
        """The newest checkpoint whose bytes are whole (length and CRC match), or None."""
        found = newest_valid_checkpoint(self.f[L.CHECKPOINTS])
        return None if found is None else (found[0], found[2])

    def last_step(self) -> int:
        steps = [int(self.f[L.METRICS][k][-1]["step"]) for k in self.series_keys() if self.f[L.METRICS][k].shape[0]]
        return max(steps, default=0)

    def summary(self) -> str:
        """The text `main.py info` prints."""
        lines = [f"{self.path}", f"  {self.title}  (kind {self.kind}, schema {self.schema_version})",
                 f"  created {self.created} on {self.device}", f"  last step {self.last_step()}"]
        lines.append("  config: " + ", ".join(f"{k}={v}" for k, v in self.config.items()))
        lines.append("  settings: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()))
        lines.append("  metrics:")
        for key in self.series_keys():
            steps, values = self.series(key)
            if len(steps):
                tail = values[-min(100, len(values)):]
                lines.append(f"    {self.series_label(key):<26} {len(steps):>8} points, steps {steps[0]}–{steps[-1]}, "
                             f"last {values[-1]:.4g}, mean of last {len(tail)} {np.nanmean(tail):.4g}")
            else:
                lines.append(f"    {self.series_label(key):<26}        0 points")
        for key in self.panel_keys():
            steps = self.snapshot_steps(key)
            shape = self.f[L.IMAGES][key]["data"].shape[1:]
            span = f", steps {steps[0]}–{steps[-1]}" if len(steps) else ""
            what = "points" if self.panel_attrs(key)["kind"] == "points" else "images"
            lines.append(f"  {what} {key}: {len(steps)} snapshots of {shape}{span}")
        episodes = self.episode_index()
        if len(episodes):
            returns = episodes["return"]
            mb = self.f[L.EPISODES]["frames"].id.get_storage_size() / 1e6
            lines.append(f"  episodes: {len(episodes)} recorded ({self.episode_spec().env}), steps {episodes['step'][0]}–"
                         f"{episodes['step'][-1]}, returns {returns.min():.4g}–{returns.max():.4g}, "
                         f"last {returns[-1]:.4g}; frames {mb:.1f} MB")
        ckpts = self.checkpoint_steps()
        good = self.latest_checkpoint()
        lines.append(f"  checkpoints: {len(ckpts)} written; latest usable at step "
                     f"{good[0] if good else 'none'}" + (f" ({len(good[1]) / 1e6:.2f} MB)" if good else ""))
        events = self.events()
        if events:
            lines.append(f"  events: {len(events)}")
            for step, kind, message in events[-5:]:
                lines.append(f"    step {step} [{kind}] {message}")
        return "\n".join(lines)


def newest_valid_checkpoint(ck: h5py.Group) -> tuple[int, int, bytes] | None:
    """(step, slot, bytes) of the newest checkpoint in a /checkpoints group that is whole, or None."""
    index = ck[L.CKPT_INDEX][:]
    seen_slots = set()
    for row in index[::-1]:
        slot = int(row["slot"])
        if slot in seen_slots:  # that slot was overwritten by a newer checkpoint since
            continue
        seen_slots.add(slot)
        data = ck[L.CKPT_SLOTS[slot]]
        if data.shape[0] < int(row["nbytes"]):
            continue
        blob = data[: int(row["nbytes"])].tobytes()
        if zlib.crc32(blob) == int(row["crc32"]):
            return int(row["step"]), slot, blob
    return None
