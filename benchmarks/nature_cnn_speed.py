"""How fast one DQN update and one acting forward of the Nature CNN run on this CPU, and which CPU-side
choices (none of which changes the maths) make them faster.

One update = the studio's learning step on a batch of 32 uint8 (4, 84, 84) stacks already in torch:
online forward on s (with grad), target forward on s' (no grad; Double DQN also runs the online net on
s'), Huber loss, backward, gradient-norm clip at 10, Adam step. Variants measured against a baseline:
  - torch threads 1 and 2;
  - memory format: channels_last (NHWC) weights with the uint8 input converted to float NHWC in one copy
    (the network as shipped) vs contiguous (NCHW) weights and input;
  - where the /255 happens: in place on the new float copy (shipped) vs out of place vs a float input
    already divided (what storing floats would buy, for scale);
  - Double DQN: the online net over cat(s, s') in one pass vs a grad pass on s and a no-grad pass on s';
  - oneDNN (torch.backends.mkldnn) on vs off;
  - Adam fused vs foreach; the target pass under inference_mode vs no_grad;
  - optionally (--compile) torch.compile of the network (mode "default").
Variants run interleaved in rounds so the machine's drifting load falls on all of them; each figure is
the median over rounds of the mean time of `--per-round` updates. Acting: one forward of batch 1 and 4
under inference_mode.

    python benchmarks/nature_cnn_speed.py [--rounds 7] [--per-round 20] [--compile] [--only TEXT ...] [--one-thread]
        # ~3 min on a quiet machine, 20+ min under load (2-thread variants crawl); prints markdown tables;
        # results/nature_cnn_speed.md. --only keeps the variants whose name holds one of the TEXTs.
"""
import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from studio.models.nature_cnn import NatureQNetwork  # noqa: E402

BATCH, ACTIONS, GAMMA = 32, 4, 0.99  # Breakout has 4 actions; the head's size barely matters


def _batch(gen: torch.Generator, n: int = BATCH) -> dict:
    return {"obs": torch.randint(0, 256, (n, 4, 84, 84), dtype=torch.uint8, generator=gen),
            "next_obs": torch.randint(0, 256, (n, 4, 84, 84), dtype=torch.uint8, generator=gen),
            "actions": torch.randint(0, ACTIONS, (n,), generator=gen),
            "rewards": torch.randn(n, generator=gen),
            "terminated": torch.zeros(n)}


class PlainLayout(NatureQNetwork):
    """Contiguous NCHW throughout: the input converted with `obs.float()`, the module put back in NCHW."""

    def forward(self, obs):
        return self.head(self.body(obs.float().div_(255.0)))


class ScaleOutOfPlace(NatureQNetwork):
    """The /255 out of place after the channels-last copy: two float buffers instead of one."""

    def forward(self, obs):
        return self.head(self.body(obs.to(torch.float32, memory_format=torch.channels_last) / 255.0))


class NoScale(NatureQNetwork):
    """No conversion at all: the input is already float in [0, 1] (the cost of storing floats instead)."""

    def forward(self, obs):
        return self.head(self.body(obs))


def make_update(threads=1, channels_last=True, double=False, one_pass=False, net_cls=NatureQNetwork,
                prescaled=False, mkldnn=True, fused=True, inference=False, compile_=False, seed=0):
    """A closure doing one update; the settings it needs globally are applied again on every call,
    since the variants share the process."""
    torch.manual_seed(seed)
    q, target = net_cls(4, ACTIONS), net_cls(4, ACTIONS)
    target.load_state_dict(q.state_dict())
    if not channels_last:
        q, target = q.to(memory_format=torch.contiguous_format), target.to(memory_format=torch.contiguous_format)
    opt = torch.optim.Adam(q.parameters(), 1e-4, fused=fused, foreach=None if fused else True)
    q_fwd, t_fwd = (torch.compile(q), torch.compile(target)) if compile_ else (q, target)
    gen = torch.Generator().manual_seed(seed)
    b = _batch(gen)
    if prescaled:  # laid out as the shipped forward would lay them out
        for key in ("obs", "next_obs"):
            b[key] = b[key].to(torch.float32, memory_format=torch.channels_last) / 255.0
    no_grad = torch.inference_mode if inference else torch.no_grad

    def update():
        torch.set_num_threads(threads)
        torch.backends.mkldnn.enabled = mkldnn
        s, s2 = b["obs"], b["next_obs"]
        if double and one_pass:
            both = q_fwd(torch.cat([s, s2]))
            q_all, best = both[:BATCH], both[BATCH:].detach().argmax(1, keepdim=True)
        else:
            q_all = q_fwd(s)
            if double:
                with no_grad():
                    best = q_fwd(s2).argmax(1, keepdim=True)
        with no_grad():
            nt = t_fwd(s2)
            nq = nt.gather(1, best).squeeze(1) if double else nt.max(1).values
            y = b["rewards"] + GAMMA * (1.0 - b["terminated"]) * nq
        qa = q_all.gather(1, b["actions"][:, None]).squeeze(1)
        loss = F.smooth_l1_loss(qa, y.clone() if inference else y)  # an inference tensor cannot enter autograd
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(q.parameters(), 10.0, foreach=True)
        opt.step()
    return update


def make_act(batch: int, threads: int, channels_last=True):
    torch.manual_seed(0)
    q = NatureQNetwork(4, ACTIONS) if channels_last else PlainLayout(4, ACTIONS).to(memory_format=torch.contiguous_format)
    obs = _batch(torch.Generator().manual_seed(1), batch)["obs"]

    def act():
        torch.set_num_threads(threads)
        torch.backends.mkldnn.enabled = True
        with torch.inference_mode():
            return q(obs).argmax(1)
    return act


def variants(compile_: bool) -> dict:
    v = {
        "baseline (as shipped): 1 thread, channels_last, uint8 in, /255 in place": dict(),
        "2 threads": dict(threads=2),
        "NCHW (contiguous)": dict(channels_last=False, net_cls=PlainLayout),
        "NCHW, 2 threads": dict(channels_last=False, net_cls=PlainLayout, threads=2),
        "/255 out of place": dict(net_cls=ScaleOutOfPlace),
        "float input already /255 (no conversion)": dict(net_cls=NoScale, prescaled=True),
        "oneDNN off": dict(mkldnn=False),
        "oneDNN off, 2 threads": dict(mkldnn=False, threads=2),
        "Adam foreach (not fused)": dict(fused=False),
        "target under inference_mode": dict(inference=True),
        "Double DQN, two passes (grad on s, no grad on s')": dict(double=True),
        "Double DQN, one pass over cat(s, s')": dict(double=True, one_pass=True),
        "Double DQN, two passes, 2 threads": dict(double=True, threads=2),
        "Double DQN, one pass, 2 threads": dict(double=True, one_pass=True, threads=2),
    }
    if compile_:
        v["torch.compile"] = dict(compile_=True)
        v["torch.compile, 2 threads"] = dict(compile_=True, threads=2)
    return v


def acting() -> dict:
    return {f"act batch {b}, {t} thread{'s' * (t > 1)}{', NCHW' * (not cl)}": make_act(b, t, cl)
            for b in (1, 4) for t in (1, 2) for cl in (False, True)}


def measure(fns: dict, rounds: int, per_round: int, warmup: int) -> dict:
    for fn in fns.values():  # warm up each (oneDNN picks kernels, compile traces) before any timing
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            times[name].append((time.perf_counter() - start) / per_round * 1e3)
    return {name: (statistics.median(t), min(t), max(t)) for name, t in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--per-round", type=int, default=20)
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (compiles first)")
    ap.add_argument("--only", nargs="+", help="only the variants whose name contains one of these")
    ap.add_argument("--one-thread", action="store_true", help="leave out the 2-thread variants (a loaded machine)")
    args = ap.parse_args()
    load_before = os.getloadavg()
    def keep(name):
        if args.one_thread and "2 threads" in name:
            return False
        return name.startswith("baseline") or not args.only or any(t in name for t in args.only)
    updates = {name: make_update(**kw) for name, kw in variants(args.compile).items() if keep(name)}
    up = measure(updates, args.rounds, args.per_round, warmup=5)
    act = measure({n: f for n, f in acting().items() if keep(n)}, args.rounds, args.per_round * 10, warmup=20)
    load_after = os.getloadavg()
    base = next(v for name, v in up.items() if name.startswith("baseline"))[0]
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
          f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")
    print(f"rounds {args.rounds}, updates per round {args.per_round}\n")
    print("| update, batch 32 | median ms | min–max ms | vs baseline |\n|---|---|---|---|")
    for name, (med, lo, hi) in up.items():
        print(f"| {name} | {med:.1f} | {lo:.1f}–{hi:.1f} | {med / base:.2f}× |")
    print("\n| acting forward | median ms | min–max ms |\n|---|---|---|")
    for name, (med, lo, hi) in act.items():
        print(f"| {name} | {med:.2f} | {lo:.2f}–{hi:.2f} |")


if __name__ == "__main__":
    main()
