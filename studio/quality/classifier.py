"""The small CNN digit classifier shipped in resources/ (trained by scripts/train_digit_classifier.py on the
5,000 embedded digits only). Its 128-wide penultimate layer is the feature space of the quality score."""
import threading
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from resources import ROOT
from studio.errors import DataError

WEIGHTS = ROOT / "digit_classifier.safetensors"
FEATURE_DIM = 128
N_CLASSES = 10
# 250 images a pass: the activations stay near the CPU caches; 500 or more run ~30 % slower on 2 cores.
_BATCH = 250


class DigitCNN(nn.Module):
    """conv 32-32, pool, conv 64-64, pool, Linear(3136, 128)-ReLU = the features; dropout; head of 10."""

    def __init__(self):
        super().__init__()

        def block(c_in, c_out):
            # Batch norm lets 5,000 digits train well in a few minutes; load_classifier() folds it into the conv.
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]

        self.conv = nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, FEATURE_DIM), nn.ReLU(inplace=True))
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(FEATURE_DIM, N_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.conv(x)))


def as_float01(images) -> np.ndarray:
    """uint8 0–255 or float in [0, 1], shaped (N, 28, 28) or (N, 1, 28, 28) -> float32 (N, 28, 28)."""
    a = np.asarray(images)
    if a.ndim not in (3, 4) or a.shape[-2:] != (28, 28) or (a.ndim == 4 and a.shape[1] != 1):
        raise ValueError(f"expected images of shape (N, 28, 28) or (N, 1, 28, 28), got {a.shape}")
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32, copy=False)
    return a.reshape(-1, 28, 28)


_cache: dict[Path, DigitCNN] = {}
_lock = threading.Lock()


def load_classifier(path: Path | None = None) -> DigitCNN:
    """The shipped classifier, ready for inference on the CPU, loaded once per process (and per file).
    Safe to call from any thread: the lock makes concurrent first calls load the file once."""
    path = Path(path or WEIGHTS)
    with _lock:
        if path not in _cache:
            _cache[path] = _for_inference(_load(path))
        return _cache[path]


def _load(path: Path) -> DigitCNN:
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    net = DigitCNN()
    try:
        net.load_state_dict(load_file(path, device="cpu"))
    except (OSError, SafetensorError, RuntimeError, ValueError) as exc:
        why = " ".join(str(exc).split())[:200]  # the message stays on one line, however the library words it
        raise DataError(f"{path}: the digit classifier's weights cannot be read ({why}); reinstall the app "
                        "or rebuild them with scripts/train_digit_classifier.py") from None
    return net


def _for_inference(net: DigitCNN) -> DigitCNN:
    """Eval mode, batch norm folded into the conv before it, channels-last memory: the same function, faster.
    With the in-place ReLUs and 250-image passes, 1,000 digits take 0.21–0.26 s on 2 CPU cores (0.84 s as
    trained). Never trained further, so no grads."""
    net.eval()
    layers = []
    for layer in net.conv:
        if isinstance(layer, nn.BatchNorm2d):
            layers[-1] = fuse_conv_bn_eval(layers[-1], layer)
        else:
            layers.append(layer)
    net.conv = nn.Sequential(*layers)
    for p in net.parameters():
        p.requires_grad_(False)
    return net.to(memory_format=torch.channels_last)


def features_and_logits(images, net: DigitCNN | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features float64 (N, 128) and logits float64 (N, 10) from one forward pass in eval mode.
    Uses torch's current thread setting; only reads the network, so threads may share it."""
    net = load_classifier() if net is None else net
    x = torch.from_numpy(as_float01(images)).unsqueeze(1)
    feats, logits = [], []
    with torch.no_grad():
        for i in range(0, len(x), _BATCH):
            f = net.conv(x[i:i + _BATCH].contiguous(memory_format=torch.channels_last))
            feats.append(f)
            logits.append(net.head(f))  # dropout is the identity in eval mode
    if not feats:
        return np.zeros((0, FEATURE_DIM)), np.zeros((0, N_CLASSES))
    return torch.cat(feats).double().numpy(), torch.cat(logits).double().numpy()
