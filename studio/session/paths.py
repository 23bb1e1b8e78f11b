"""Where sessions go by default, and how they are named (model and start time)."""
import os
import time
from pathlib import Path


def sessions_dir() -> Path:
    """$TRAINING_STUDIO_SESSIONS, else the platform's user data folder (platformdirs: on Linux
    ~/.local/share/training-studio/sessions). A machine that already has sessions in the folder earlier
    versions used keeps using it, so none of them drops out of the Sessions list."""
    env = os.environ.get("TRAINING_STUDIO_SESSIONS")
    if env:
        return Path(env).expanduser()
    legacy = Path.home() / "TrainingStudio" / "sessions"  # where versions before issue 13 saved
    if legacy.is_dir() and any(legacy.glob("*.h5")):
        return legacy
    import platformdirs
    return platformdirs.user_data_path("training-studio", appauthor=False) / "sessions"


def new_session_path(kind: str, folder: Path | None = None) -> Path:
    folder = folder or sessions_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{kind}-{stamp}.h5"
    n = 2
    while path.exists():
        path = folder / f"{kind}-{stamp}-{n}.h5"
        n += 1
    return path


def can_write_file(path: Path) -> bool:
    """Whether an existing file can be opened for writing: tried, not guessed from its mode bits
    (root ignores them; a read-only mount refuses everyone)."""
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def folder_is_writable(folder: Path) -> bool:
    """Whether a new file can be created in `folder` (made if missing), by creating and removing one."""
    import tempfile
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False
