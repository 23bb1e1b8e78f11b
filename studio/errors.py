"""Errors whose message is meant for a person: the CLI prints it on one line, the window shows it."""


class StudioError(Exception):
    """Base of every error the user should read rather than a traceback."""


class ConfigError(StudioError):
    """A hyperparameter or run setting is out of its valid range."""


class DataError(StudioError):
    """A dataset file or folder is missing, truncated or of the wrong format."""


class SessionError(StudioError):
    """A session file cannot be created, read or resumed."""


class TrainingHalted(StudioError):
    """Training cannot go on (for example the losses became NaN); what was saved is kept."""


class DiskFull(SessionError):
    """The session's disk (or file-size limit) has no room for what comes next; the run stops, after a
    last checkpoint if that still fits."""
