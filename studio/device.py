"""Which torch device to train on: CUDA when present, else Apple MPS, else the CPU."""
import torch

from studio.errors import ConfigError


def available_devices() -> list[str]:
    found = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def resolve(name: str = "auto") -> torch.device:
    """'auto' picks the first accelerator; anything else must be one of `available_devices()`."""
    devices = available_devices()
    if name == "auto":
        return torch.device(devices[0])
    if name == "cuda":
        name = "cuda:0"
    if name not in devices:
        raise ConfigError(f"device {name!r} is not available here (available: {', '.join(devices)})")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """What the status bar shows: 'CPU (2 threads)' or the GPU's name."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"
