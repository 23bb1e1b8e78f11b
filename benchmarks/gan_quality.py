"""GAN sample quality per wall-clock second: the plain tutorial DCGAN (plain_dcgan.py) against the
studio's default GAN preset trained through its CLI, each given the same training budgets on this
machine, run one after the other so they never share the CPU. Every sample set is scored with
digit_features.score(); the table goes to stdout and benchmarks/results/gan_quality.md.

    python benchmarks/gan_quality.py [--budgets 60,120,240,480] [--seed 0] [--target-fd 1000,500,350]
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.cli_session import StudioSession, commands, run  # noqa: E402
from benchmarks.digit_features import RECIPE, reference_split, score  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "gan_quality.md"
N_SAMPLES = 5000


def run_plain(budgets: list[float], seed: int, work: Path) -> list[dict]:
    run([sys.executable, "benchmarks/plain_dcgan.py", "--seconds", f"{max(budgets):g}", "--seed", str(seed),
         "--out-dir", str(work), "--checkpoints", ",".join(f"{b:g}" for b in budgets)])
    meta = {m["checkpoint"]: m for m in json.loads((work / "plain_meta.json").read_text())}
    return [{"model": "plain DCGAN", "budget": b, "train_s": meta[b]["train_seconds"], "steps": meta[b]["steps"],
             "process_s": None, "file": work / meta[b]["file"]} for b in budgets]


def run_studio(budgets: list[float], seed: int, work: Path) -> tuple[list[dict], float]:
    session = StudioSession(work / f"studio_seed{seed}.h5", seed, "gan")
    session.start()
    rows = []
    for b in budgets:
        session.train_until(b)
        out = work / f"studio_t{b:g}.npy"
        session.sample(out, N_SAMPLES)
        rows.append({"model": "studio default GAN", "budget": b, "train_s": round(session.train_s, 2),
                     "steps": session.steps, "process_s": round(session.process_s, 1), "file": out})
    startup = session.startup_s if session.startup_s is not None else session.measure_startup()
    return rows, startup


def check_samples(path: Path) -> np.ndarray:
    x = np.load(path)
    if x.shape != (N_SAMPLES, 28, 28) or not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        sys.exit(f"{path}: expected {N_SAMPLES}×28×28 finite values in [0, 1], got {x.dtype} {x.shape}")
    return x


def first_reaching(rows: list[dict], target: float) -> str:
    hit = next((r for r in rows if r["fd"] <= target), None)
    return f"{hit['train_s']:.0f} s" if hit else f"not within {rows[-1]['train_s']:.0f} s"


def report(rows: list[dict], floor: float, targets: list[float], startup: float | None, args) -> str:
    head = ("| model | budget s | training s | steps | CLI processes s | FD ↓ | coverage | rarest class |\n"
            "|---|---:|---:|---:|---:|---:|---:|---|")
    lines = []
    for r in sorted(rows, key=lambda r: (r["budget"], r["model"])):
        rare = int(np.argmin(r["per_class"]))
        proc = f"{r['process_s']:.0f}" if r["process_s"] is not None else "–"
        lines.append(f"| {r['model']} | {r['budget']:g} | {r['train_s']:.1f} | {r['steps']} | {proc} | "
                     f"{r['fd']:.1f} | {r['coverage']:.0%} | {rare}: {r['per_class'][rare]:.1%} |")
    by_model: dict[str, list[dict]] = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    conclusions = ["Training seconds at which each first reaches an FD (among the measured budgets):", ""]
    plain = by_model.get("plain DCGAN")
    if plain:  # the natural target: what the baseline achieves with its whole budget
        targets = sorted({round(plain[-1]["fd"], 1), *targets}, reverse=True)
    for t in targets:
        reach = "; ".join(f"{m} {first_reaching(rs, t)}" for m, rs in by_model.items())
        conclusions.append(f"- FD ≤ {t:g}: {reach}")
    notes = [f"Real-vs-real floor (the other 5,000 MNIST test digits): FD {floor:.1f}.",
             "FD: Fréchet distance in the penultimate layer of benchmarks/digit_features.py's classifier "
             f"(recipe {RECIPE}) against 5,000 fixed MNIST test digits; coverage: classes with ≥ 1/3 of their "
             "10 % share among the classifier's predictions.",
             "Training seconds: the plain script's wall clock minus sampling; the studio's as its CLI reports "
             "(sum over --resume chunks, start-up and saving excluded). CLI processes s: wall time of those "
             "processes, start-up included" + (f" (a zero-step resume takes {startup:.1f} s)." if startup else "."),
             "Steps are not comparable: the plain script's batch is 256, the studio preset's is its own."]
    env = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
           f"{__import__('torch').__version__}, seed {args.seed}, {time.strftime('%Y-%m-%d %H:%M')}; "
           f"1-min load average at start {args.load_before:.2f} (well above 0 means another job was using the CPU)")
    return "\n".join(["# GAN sample quality per wall-clock second", "", env, "", head, *lines, "",
                      "## Conclusion", "", *conclusions, "", "## Notes", "", *(f"- {n}" for n in notes), "",
                      "## Commands", "", "```", f"python benchmarks/gan_quality.py {' '.join(sys.argv[1:])}".strip(),
                      *commands, "```", ""])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budgets", default="60,120,240,480", help="training seconds, comma-separated")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target-fd", default="1000,500,350",
                    help="FD thresholds for the conclusion (the baseline's final FD is always added)")
    ap.add_argument("--only", choices=("plain", "studio"), help="run just one side")
    ap.add_argument("--work-dir", type=Path, default=HERE / ".cache" / "gan_quality")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    budgets = sorted(float(b) for b in args.budgets.split(","))
    targets = [float(t) for t in args.target_fd.split(",") if t]
    args.work_dir.mkdir(parents=True, exist_ok=True)
    args.load_before = os.getloadavg()[0]  # timings mean little if another job shares the 2 cores

    rows, startup = [], None
    if args.only != "studio":
        rows += run_plain(budgets, args.seed, args.work_dir)
    if args.only != "plain":
        studio_rows, startup = run_studio(budgets, args.seed, args.work_dir)
        rows += studio_rows
    for r in rows:
        r.update(score(check_samples(r.pop("file"))))
    floor = score(reference_split()[1])["fd"]
    text = report(rows, floor, targets, startup, args)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
