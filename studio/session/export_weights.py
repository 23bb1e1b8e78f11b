"""A trained model's weights alone, from the session's latest whole checkpoint, for use elsewhere:
safetensors (with the session's model kind and settings in its metadata) or a plain torch state dict."""
import json
from pathlib import Path

import torch

from studio.errors import StudioError
from studio.session.checkpoint import unpack
from studio.session.export import written_atomically
from studio.session.reader import SessionReader

# Networks kept only to train: the DQN's target network is a lagging copy of its Q-network.
TRAINING_ONLY = {"target"}


def model_weights(reader: SessionReader) -> tuple[int, dict, dict[str, torch.Tensor]]:
    """(step, config, {'<network>.<parameter>': tensor}) of the latest usable checkpoint (its config has
    the settings changed during the run); no optimizer state."""
    found = reader.latest_checkpoint()
    if found is None:
        raise StudioError(f"{reader.path}: the session has no usable checkpoint to take weights from")
    step, blob = found
    state = unpack(blob)
    tensors = {}
    for net, params in state["modules"].items():
        if net in TRAINING_ONLY:
            continue
        for name, value in params.items():
            tensors[f"{net}.{name}"] = value.detach().cpu().contiguous().clone()
    return step, state["config"], tensors


def export_weights(reader: SessionReader, out: str | Path) -> int:
    """Write the weights to `out` (.safetensors or .pt/.pth); returns the checkpoint's step."""
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".safetensors", ".pt", ".pth"):
        raise StudioError(f"{out}: give the file a .safetensors, .pt or .pth name")
    step, config, tensors = model_weights(reader)
    with written_atomically(out) as tmp:
        if kind == ".safetensors":
            try:
                from safetensors.torch import save_file
            except ImportError:
                raise StudioError("safetensors export needs the safetensors package (pip install safetensors); "
                                  "a .pt file works without it") from None
            meta = {"app": "Training Studio", "kind": reader.kind, "title": reader.title, "step": str(step),
                    "config_json": json.dumps(config)}
            save_file(tensors, str(tmp), metadata=meta)
        else:
            torch.save(tensors, tmp)
    return step
