"""VAE quality per wall-clock second: the PyTorch-examples MLP VAE (plain_mlp_vae.py) against the studio's
default VAE preset trained through its CLI, each given the same training budgets on this machine, one after
the other so they never share the CPU. Both train on the same 4,500 embedded digits. Reported for each:
the negative ELBO in nats per image on the 500 held-out digits and on the 10,000 real MNIST test digits,
and the Fréchet distance of 5,000 prior samples (digit_features.score, as for the GAN). Then the two-stage
option: the same first stage, a second stage trained for --stage2-seconds more, and the FD of samples
through one stage and through both. Table to stdout and benchmarks/results/vae_quality.md.

    python benchmarks/vae_quality.py [--budgets 60,120,240] [--stage2-seconds 60] [--seed 0]
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.cli_session import StudioSession, commands, run  # noqa: E402
from benchmarks.digit_features import MNIST_DIR, RECIPE, reference_split, score  # noqa: E402
from benchmarks.plain_mlp_vae import HOLDOUT, MLPVAE  # noqa: E402
from studio.data.digits import load_embedded, load_idx_folder  # noqa: E402
from studio.models.conv_vae import elbo_terms, gaussian_kl  # noqa: E402
from studio.runs import load_trainer  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "vae_quality.md"
N_SAMPLES = 5000
Z_DRAWS = 4  # z samples per image in the ELBO estimate (the same fixed draws for every model)


def test_sets() -> dict[str, torch.Tensor]:
    """(N, 1, 28, 28) in [0, 1]: the studio default's held-out split, and the MNIST test set."""
    _, held = load_embedded().split(HOLDOUT, 0)
    test = load_idx_folder(MNIST_DIR, "test")
    return {name: torch.from_numpy(np.array(s.images)).float().div(255).unsqueeze(1)
            for name, s in (("held-out 500", held), ("MNIST test 10k", test))}


@torch.no_grad()
def neg_elbo(terms, x: torch.Tensor, latent: int, seed: int = 123) -> float:
    """Mean over images and Z_DRAWS draws of the per-image negative ELBO; `terms(x, eps)` -> (recon, kl)."""
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for _ in range(Z_DRAWS):
        for chunk in x.split(1000):
            recon, kl = terms(chunk, torch.randn(len(chunk), latent, generator=g))
            total += float((recon + kl).sum())
    return total / (Z_DRAWS * len(x))


def plain_terms(model: MLPVAE):
    def terms(x, eps):
        flat = x.view(-1, 784)
        mu, logvar = model.encode(flat)
        probs = model.decode(mu + torch.exp(0.5 * logvar) * eps)
        recon = F.binary_cross_entropy(probs, flat, reduction="none").sum(1)
        return recon, gaussian_kl(mu, logvar)
    return terms


def studio_terms(trainer):
    def terms(x, eps):
        recon, kl, _ = elbo_terms(trainer.model, x, eps)
        return recon, kl
    return terms


@torch.no_grad()
def plain_samples(model: MLPVAE, seed: int) -> np.ndarray:
    z = torch.randn(N_SAMPLES, 20, generator=torch.Generator().manual_seed(seed))
    return model.decode(z).view(-1, 28, 28).numpy().astype(np.float32)


def evaluate(rows: list[dict], sets: dict) -> None:
    for r in rows:
        for name, x in sets.items():
            r[name] = neg_elbo(r["terms"], x, r["latent"])
        r.update(score(r.pop("samples")))
        del r["terms"]


def run_plain(budgets, seed, work) -> list[dict]:
    run([sys.executable, "benchmarks/plain_mlp_vae.py", "--seconds", f"{max(budgets):g}", "--seed", str(seed),
         "--out-dir", str(work), "--checkpoints", ",".join(f"{b:g}" for b in budgets)])
    meta = {m["checkpoint"]: m for m in json.loads((work / "plain_vae_meta.json").read_text())}
    rows = []
    for b in budgets:
        model = MLPVAE()
        model.load_state_dict(torch.load(work / meta[b]["file"]))
        rows.append({"model": "plain MLP VAE (784-400-20)", "budget": b, "train_s": meta[b]["train_seconds"],
                     "steps": meta[b]["steps"], "terms": plain_terms(model), "latent": 20,
                     "samples": plain_samples(model, seed + 1)})
    return rows


def run_studio(budgets, seed, work) -> tuple[list[dict], int]:
    session = StudioSession(work / f"studio_vae_seed{seed}.h5", seed, "vae")
    session.start()
    rows = []
    for b in budgets:
        session.train_until(b)
        trainer = load_trainer(session.path, "cpu")[0]
        rows.append({"model": "studio default VAE", "budget": b, "train_s": round(session.train_s, 2),
                     "steps": session.steps, "terms": studio_terms(trainer), "latent": trainer.config.latent_dim,
                     "samples": trainer.generate(N_SAMPLES, seed + 1)})
    return rows, session.steps


def run_two_stage(stage1_steps: int, stage2_seconds: float, seed: int, work: Path) -> list[dict]:
    """The two-stage preset, its first stage trained exactly as long (in steps) as the default's longest
    run, then the second stage for stage2_seconds; samples through one stage and through both."""
    session = StudioSession(work / f"studio_two_stage_seed{seed}.h5", seed, "vae",
                            ["--preset", "Two-stage VAE", "--stage2-start", str(stage1_steps)])
    session.start()
    session.train_steps(stage1_steps - session.steps)
    stage1_s = session.train_s
    session.train_until(stage1_s + stage2_seconds)
    trainer = load_trainer(session.path, "cpu")[0]
    return [{"model": f"two-stage: {how}", "budget": None, "train_s": round(secs, 2), "steps": steps,
             "terms": studio_terms(trainer), "latent": trainer.config.latent_dim,
             "samples": trainer.generate(N_SAMPLES, seed + 1, stages=stages)}
            for how, secs, steps, stages in (("first stage only", stage1_s, stage1_steps, 1),
                                             ("both stages", session.train_s, session.steps, 2))]


def report(rows: list[dict], floor: float, args) -> str:
    sets = ("held-out 500", "MNIST test 10k")
    head = ("| model | budget s | training s | steps | −ELBO held-out 500 ↓ | −ELBO MNIST test ↓ | FD ↓ | coverage |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|")
    lines = [f"| {r['model']} | {'–' if r['budget'] is None else format(r['budget'], 'g')} | "
             f"{r['train_s']:.1f} | {r['steps']} | {r[sets[0]]:.1f} | {r[sets[1]]:.1f} | {r['fd']:.1f} | "
             f"{r['coverage']:.0%} |" for r in rows]
    plain = {r["budget"]: r for r in rows if r["model"].startswith("plain")}
    studio = {r["budget"]: r for r in rows if r["model"].startswith("studio")}
    conclusions = []
    for b in sorted(set(plain) & set(studio)):
        p, s = plain[b], studio[b]
        conclusions.append(f"- {b:g} s: MNIST test −ELBO studio {s[sets[1]]:.1f} vs plain {p[sets[1]]:.1f} nats "
                           f"({s[sets[1]] - p[sets[1]]:+.1f}); FD {s['fd']:.0f} vs {p['fd']:.0f}")
    notes = [f"Real-vs-real FD floor (the other 5,000 MNIST test digits): {floor:.1f}.",
             f"−ELBO: binary cross-entropy of the [0, 1] pixel intensities plus the Gaussian KL, nats per image, "
             f"averaged over {Z_DRAWS} fixed z draws per image; the same estimator for both models.",
             "FD: Fréchet distance in the penultimate layer of benchmarks/digit_features.py's classifier "
             f"(recipe {RECIPE}) against 5,000 fixed MNIST test digits; samples are decoded pixel means.",
             "Training seconds: the plain script's wall clock minus saving; the studio's as its CLI reports "
             "(sum over --resume chunks, start-up and saving excluded).",
             "Two-stage rows: the preset (latent 16, as the default) with its second stage starting at the "
             "step the default reached in its longest budget; its first stage is the default's training."]
    env = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
           f"seed {args.seed}, {time.strftime('%Y-%m-%d %H:%M')}; 1-min load average at start "
           f"{args.load_before:.2f} (well above 0 means another job was using the CPU)")
    return "\n".join(["# VAE quality per wall-clock second", "", env, "", head, *lines, "", "## Conclusion", "",
                      *conclusions, "", "## Notes", "", *(f"- {n}" for n in notes), "", "## Commands", "", "```",
                      f"python benchmarks/vae_quality.py {' '.join(sys.argv[1:])}".strip(), *commands, "```", ""])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budgets", default="60,120,240", help="training seconds, comma-separated")
    ap.add_argument("--stage2-seconds", type=float, default=60.0, help="0: skip the two-stage rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work-dir", type=Path, default=HERE / ".cache" / "vae_quality")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    budgets = sorted(float(b) for b in args.budgets.split(","))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    args.load_before = os.getloadavg()[0]
    torch.set_num_threads(2)

    rows = run_plain(budgets, args.seed, args.work_dir)
    studio_rows, last_steps = run_studio(budgets, args.seed, args.work_dir)
    rows += studio_rows
    if args.stage2_seconds > 0:
        rows += run_two_stage(last_steps, args.stage2_seconds, args.seed, args.work_dir)
    evaluate(rows, test_sets())
    text = report(rows, score(reference_split()[1])["fd"], args)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
