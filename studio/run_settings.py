"""Settings of a run that are not hyperparameters of the model: seed, device, data, cadences."""
from dataclasses import dataclass

from studio.config import param

# How often a run is checkpointed by default: a crash costs at most about this much training. Chosen by
# measurement: at 5 s the training thread spends 0.1-0.7 % of a run checkpointing (the writes are on a thread
# of their own); benchmarks/results/checkpoint_cost.md.
CHECKPOINT_SECONDS = 5.0


@dataclass(frozen=True)
class RunSettings:
    seed: int = param(0, "Random seed: the same seed and settings give the same run on the CPU.",
                      low=0, high=2**31 - 1)
    device: str = param("auto", "Where to train: 'auto' (a GPU when there is one, else the CPU), 'cpu', "
                        "'cuda', 'cuda:N' or 'mps'.")
    data: str = param("mnist-5k", "Training data: 'mnist-5k' (5,000 embedded digits, offline), 'mnist' (60,000 "
                      "digits), 'fashion-mnist' or 'kmnist' (downloaded once into the user cache folder; "
                      "Fashion-MNIST from Debian's dataset-fashion-mnist when installed), or a folder: "
                      "MNIST-format IDX files, or your own PNG/JPEG pictures (one sub-folder per class, or none).")
    snapshot_every: int = param(100, "Save the sample grid to the session every this many steps "
                                "(plus a denser 1-2-5 schedule before that).", low=1, high=10**6,
                                label="snapshot every")
    checkpoint_seconds: float = param(CHECKPOINT_SECONDS, "Save a checkpoint (models, optimizers, RNG) at "
                                      "least this often, in seconds of training, and always at stop: a crash "
                                      "loses at most about this much training. Written while training goes on; "
                                      "a DQN replay memory over 64 MB is saved at stop only.", low=1.0,
                                      high=86400.0, label="checkpoint every (s)")
    threads: int = param(0, "CPU threads for torch (0: chosen while training by measuring the speed, "
                      "so that it follows the machine's load).", low=0, high=256)
