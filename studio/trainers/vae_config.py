"""VAE hyperparameters and presets (from the seed on diagnosing and enhancing VAEs)."""
from dataclasses import dataclass, replace

from studio.config import param


@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int = param(16, "Size of the latent code z. 2 shows the latent plane and its manifold.",
                            low=2, high=128, label="latent size")
    beta: float = param(1.0, "Weight of the KL term (β-VAE); 1 is the ordinary ELBO.", low=0.0, high=20.0,
                        live=True, label="β")
    width: int = param(16, "Channels of the first convolution (the second has 2×).", low=4, high=128)
    lr: float = param(1e-3, "Adam learning rate.", low=1e-6, high=0.1, live=True, label="learning rate")
    batch_size: int = param(128, "Images per update.", low=1, high=4096, live=True)
    kl_warmup_steps: int = param(0, "Raise β linearly from 0 over this many steps (0: no warm-up).",
                                 low=0, high=10**6, live=True, label="KL warm-up steps")
    eval_every: int = param(200, "Evaluate the negative ELBO on the held-out digits every this many steps.",
                            low=1, high=10**6, live=True, label="evaluate every")
    shift: int = param(1, "Move each training digit by a random whole-pixel offset of up to this many pixels "
                       "(0: none): with a few thousand digits, the model then overfits less.", low=0, high=4,
                       live=True, label="random shift (px)")
    holdout: int = param(500, "Digits kept out of training for evaluation.", low=10, high=20000)
    two_stage: bool = param(False, "Two-stage VAE: from `second stage from step` on, the first VAE is frozen "
                            "and a second, small VAE learns the distribution of its latent codes; new "
                            "digits are then sampled through both.", label="two-stage")
    stage2_start: int = param(3000, "The step at which the first stage stops and the second starts "
                              "(two-stage only).", low=1, high=10**7, live=True, label="second stage from step")
    quality_every: int = param(200, "Score 1,000 fixed prior samples every this many steps (Fréchet distance and "
                               "classes covered, on a background thread, skipping a point while "
                               "scoring would take over a tenth of the time); 0: no quality curves.", low=0, high=10**6,
                               label="score every")


PRESETS = {
    "Conv VAE (latent 16)": VAEConfig(),
    "2-D latent (manifold view)": VAEConfig(latent_dim=2),
    "β-VAE (β = 4)": replace(VAEConfig(), beta=4.0, latent_dim=10),
    "Two-stage VAE": replace(VAEConfig(), two_stage=True),
}
DEFAULT_PRESET = "Conv VAE (latent 16)"
