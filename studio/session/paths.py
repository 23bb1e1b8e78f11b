"""Where sessions go by default, and how they are named (model and start time)."""
import os
import time
from pathlib import Path


def sessions_dir() -> Path:
    """$TRAINING_STUDIO_SESSIONS, else ~/TrainingStudio/sessions."""
    env = os.environ.get("TRAINING_STUDIO_SESSIONS")
    return Path(env).expanduser() if env else Path.home() / "TrainingStudio" / "sessions"


def new_session_path(kind: str, folder: Path | None = None) -> Path:
    folder = folder or sessions_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{kind}-{stamp}.h5"
    n = 2
    while path.exists():
        path = folder / f"{kind}-{stamp}-{n}.h5"
        n += 1
    return path
