"""Every model the app offers, by the short name used on the command line and in session files."""
from studio.trainers.dqn import DQNTrainer
from studio.trainers.gan import GANTrainer
from studio.trainers.vae import VAETrainer

TRAINERS = {cls.kind: cls for cls in (GANTrainer, VAETrainer, DQNTrainer)}


def trainer_class(kind: str):
    from studio.errors import ConfigError
    try:
        return TRAINERS[kind]
    except KeyError:
        raise ConfigError(f"unknown model {kind!r} (available: {', '.join(TRAINERS)})") from None
