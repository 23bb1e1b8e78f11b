"""Training Studio's Qt-free core: configs, data, models, trainers, the session store and the CLI."""

__version__ = "0.1.0"
