"""GAN hyperparameters and the presets from the seeds (DCGAN tricks, WGAN, WGAN-GP)."""
from dataclasses import dataclass, replace

from studio.config import param

LOSSES = ("non-saturating", "wgan", "wgan-gp")


@dataclass(frozen=True)
class GANConfig:
    loss: str = param("non-saturating", "Adversarial loss: the non-saturating GAN loss, WGAN with weight "
                      "clipping, or WGAN with a gradient penalty.", choices=LOSSES)
    conditional: bool = param(False, "Class-conditioned G and D: the sample grid then shows one digit class "
                              "per row.")
    z_dim: int = param(64, "Size of the noise vector z fed to the generator.", low=2, high=512,
                       label="noise size")
    g_width: int = param(32, "Generator width: channels of its last hidden layer (the first has 4×).",
                         low=4, high=256, label="G width")
    d_width: int = param(32, "Discriminator width: channels of its first layer (the second has 2×).",
                         low=4, high=256, label="D width")
    d_norm: str = param("batch", "Normalisation in D's hidden layer. WGAN-GP needs 'none' or 'layer'.",
                        choices=("batch", "layer", "none"), label="D normalisation")
    batch_size: int = param(64, "Real images per discriminator update.", low=1, high=4096, live=True)
    optimizer: str = param("adam", "Adam (DCGAN) or RMSprop (the WGAN paper: no momentum).",
                           choices=("adam", "rmsprop"))
    # 1e-3, five times the DCGAN paper's 2e-4: on the embedded digits it reaches in 300 s of this 2-core CPU the
    # sample quality 2e-4 reached in 600 s (benchmarks/results/quality_per_minute.md).
    lr_g: float = param(1e-3, "Generator learning rate.", low=1e-7, high=1.0, live=True, label="G learning rate")
    lr_d: float = param(1e-3, "Discriminator (critic) learning rate.", low=1e-7, high=1.0, live=True,
                        label="D learning rate")
    beta1: float = param(0.5, "Adam β1; DCGAN lowers it from 0.9 to 0.5 for stability.", low=0.0, high=0.999,
                         live=True, label="Adam β1")
    beta2: float = param(0.999, "Adam β2.", low=0.0, high=0.9999, live=True, label="Adam β2")
    n_critic: int = param(1, "Discriminator updates per generator update (WGAN uses 5).", low=1, high=20,
                          live=True, label="D steps per G step")
    clip: float = param(0.01, "WGAN weight clipping: critic weights are clamped to [−c, c].", low=1e-4,
                        high=1.0, live=True, label="clip c")
    gp_weight: float = param(10.0, "WGAN-GP gradient-penalty weight λ.", low=0.0, high=1000.0, live=True,
                             label="GP weight λ")
    label_smoothing: float = param(0.0, "One-sided label smoothing: real targets become 1 − s "
                                   "(non-saturating loss only).", low=0.0, high=0.5, live=True)
    ema: float = param(0.999, "Decay of the moving average of G's weights whose samples are shown beside G's "
                       "own (steadier and usually better); 0 makes the average G itself.", low=0.0, high=0.9999,
                       live=True, label="EMA decay")
    quality_every: int = param(200, "Score 1,000 fixed samples of G and of its average every this many steps "
                               "(Fréchet distance and classes covered, on a background thread, skipping a point while "
                               "scoring would take over a tenth of the time); 0: no quality curves.",
                               low=0, high=10**6, label="score every")

    def cross_check(self) -> list:
        problems = []
        if self.loss == "wgan-gp" and self.d_norm == "batch":
            problems.append(("d_norm", "WGAN-GP needs D normalisation 'none' or 'layer' (batch norm breaks its "
                             "per-sample penalty)"))
        return problems


PRESETS = {
    "DCGAN (Adam 1e-3, β1 0.5)": GANConfig(),
    "DCGAN paper (Adam 2e-4, β1 0.5)": GANConfig(lr_g=2e-4, lr_d=2e-4),
    "WGAN (clip, RMSprop)": GANConfig(loss="wgan", optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, n_critic=5,
                                      clip=0.01),
    "WGAN-GP": GANConfig(loss="wgan-gp", d_norm="layer", lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9,
                         n_critic=5),
    # Keeps the paper's rate: 1e-3 was measured on the unconditional GAN only.
    "Conditional DCGAN": replace(GANConfig(), conditional=True, lr_g=2e-4, lr_d=2e-4),
}
DEFAULT_PRESET = "DCGAN (Adam 1e-3, β1 0.5)"
