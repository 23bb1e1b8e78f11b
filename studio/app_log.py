"""Where the app writes what went wrong: a rotating log file in the platform's user log folder
(platformdirs), through Python's `logging`. A traceback goes to the file; the person sees one line that
names it. $TRAINING_STUDIO_LOGS names another folder."""
import logging
import logging.handlers
import os
from pathlib import Path

LOGS_ENV = "TRAINING_STUDIO_LOGS"
LOG_NAME = "training-studio.log"
MAX_BYTES, BACKUPS = 1_000_000, 3   # at most ~4 MB of logs, the newest always kept
logger = logging.getLogger("training_studio")


def log_dir() -> Path:
    env = os.environ.get(LOGS_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs
    return platformdirs.user_log_path("training-studio", appauthor=False)


def log_file() -> Path:
    return log_dir() / LOG_NAME


def _handler() -> logging.Handler | None:
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(folder / LOG_NAME, maxBytes=MAX_BYTES,
                                                       backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        return None  # a folder that cannot be made: errors still reach the person, only not the file
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s: %(message)s"))
    return handler


def setup_logging() -> None:
    """Attach the file once (again when $TRAINING_STUDIO_LOGS changed, as between tests)."""
    target = str(log_file())
    for h in list(logger.handlers):
        if getattr(h, "baseFilename", None) == os.path.abspath(target):
            return
        logger.removeHandler(h)
        h.close()
    handler = _handler()
    if handler is not None:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def log_exception(summary: str, exc_info=True) -> str:
    """Write `summary` and the current traceback to the log; return " (details in FILE)" for the
    person's one-line message, or "" when the log could not be written."""
    setup_logging()
    logger.error(summary, exc_info=exc_info)
    for h in logger.handlers:
        h.flush()
    path = log_file()
    return f" (details in {path})" if path.exists() else ""
