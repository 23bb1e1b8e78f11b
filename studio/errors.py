"""Errors whose message is meant for a person: the CLI prints it on one line, the window shows it."""


class StudioError(Exception):
    """Base of every error the user should read rather than a traceback."""


class ConfigError(StudioError):
    """A hyperparameter or run setting is out of its valid range. The message names fields by their labels
    (what the form shows); `fields` holds their names, for a form to mark them or the CLI to name its flags."""

    def __init__(self, message: str, fields=()):
        super().__init__(message)
        self.fields = tuple(fields)


class DataError(StudioError):
    """A dataset file or folder is missing, truncated or of the wrong format."""


class SessionError(StudioError):
    """A session file cannot be created, read or resumed."""


class TrainingHalted(StudioError):
    """Training cannot go on (for example the losses became NaN); what was saved is kept."""


class DiskFull(SessionError):
    """The session's disk (or file-size limit) has no room for what comes next; the run stops, after a
    last checkpoint if that still fits."""


def out_of_memory(exc: BaseException) -> str | None:
    """The one-line message for a run that ran out of memory (torch's OutOfMemoryError on a GPU, or the
    host's MemoryError), or None for any other error. torch is not imported here: matched by name."""
    if type(exc).__name__ == "OutOfMemoryError":
        return ("The GPU ran out of memory: lower the batch size or the model's width, or train on the CPU. "
                "The session is kept up to its last checkpoint and can be resumed.")
    if isinstance(exc, MemoryError):
        return ("The computer ran out of memory: lower the batch size, the model's width or the replay size. "
                "The session is kept up to its last checkpoint and can be resumed.")
    return None
