"""Checkpoint blobs: a trainer's state_dict as bytes, loadable without running pickled code."""
import io

import torch

from studio.errors import SessionError


def pack(state: dict) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def unpack(blob: bytes, device: torch.device | str = "cpu") -> dict:
    try:
        # weights_only: a session file from elsewhere cannot run code when it is opened.
        return torch.load(io.BytesIO(blob), map_location=device, weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged archive
        raise SessionError(f"the checkpoint cannot be read ({type(exc).__name__}: {exc})") from None
