"""100 damaged copies of real sessions (cut short at random lengths, random bytes changed): checking
each ends in a clear message or a summary within 5 s, never a crash or a hang of this process."""
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from studio.control import Control
from studio.errors import SessionError
from studio.runs import make_runner, new_run, resume_run
from studio.session.probe import TIMEOUT_S, check_session, read_like_a_viewer

SEED = 1234
START_MARGIN_S = 3.0  # a child Python's start-up on a busy 2-core machine
# Copies checked at once. About one in five makes HDF5's SWMR reader sleep in its retries until the 5 s
# limit: those children wait and use no CPU, the others need ~0.3 s of it each; 8 at a time keeps both
# cores busy while the sleepers wait (2 at a time, the waits alone took ~50 s), and each copy's time is
# still measured on its own, against the same limit.
AT_ONCE = 8


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    from studio.run_settings import RunSettings
    from studio.trainers.gan_config import GANConfig
    from test_core_dqn_episodes import TINY as TINY_DQN
    tmp = tmp_path_factory.mktemp("originals")
    settings = RunSettings(seed=0, device="cpu", snapshot_every=10)
    gan = tmp / "gan.h5"
    make_runner(new_run("gan", GANConfig(z_dim=8, g_width=4, d_width=4, batch_size=8), settings, gan), Control(),
                max_steps=60, preview_seconds=None).run()
    make_runner(resume_run(gan, "cpu"), Control(), max_steps=80, preview_seconds=None).run()  # two checkpoints
    dqn = tmp / "dqn.h5"
    make_runner(new_run("dqn", TINY_DQN, settings, dqn), Control(), max_steps=300, preview_seconds=None).run()
    return {"gan": gan.read_bytes(), "dqn": dqn.read_bytes()}


def damage(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    how = rng.choice(["cut", "flip", "flip-head", "flip-tail", "zero-block"])
    b = bytearray(data)
    if how == "cut":
        return how, bytes(b[: rng.randrange(0, len(b))])
    if how == "zero-block":
        at = rng.randrange(0, len(b))
        b[at: at + 4096] = bytes(len(b[at: at + 4096]))
        return how, bytes(b)
    lo, hi = {"flip": (0, len(b)), "flip-head": (0, min(4096, len(b))),
              "flip-tail": (len(b) * 9 // 10, len(b))}[how]
    for _ in range(rng.randint(1, 40)):
        b[rng.randrange(lo, hi)] ^= 1 << rng.randrange(8)
    return how, bytes(b)


def test_100_damaged_copies_each_end_in_a_message_or_a_summary(originals, tmp_path):
    rng = random.Random(SEED)
    for source, data in originals.items():
        (tmp_path.parent / f"original-{source}.h5").write_bytes(data)
    cases = []
    for i in range(100):
        source = "gan" if i < 70 else "dqn"
        how, data = damage(originals[source], rng)
        path = tmp_path / f"{i:03d}-{source}-{how}.h5"
        path.write_bytes(data)
        cases.append((path, how))

    def check(case):
        path, how = case
        t0 = time.monotonic()
        try:
            summary = check_session(path)
            outcome = "ok"
        except SessionError as exc:
            summary, outcome = str(exc), "refused"
        took = time.monotonic() - t0
        if outcome == "ok":
            try:  # what the child read without trouble, this process reads too, or refuses clearly
                read_like_a_viewer(path)
            except SessionError:
                outcome = "refused later"
        return path.name, how, outcome, took, summary

    with ThreadPoolExecutor(AT_ONCE) as pool:
        results = list(pool.map(check, cases))
    slow = [(n, t) for n, _, _, t, _ in results if t > TIMEOUT_S + START_MARGIN_S]
    assert not slow, f"took too long: {slow}"
    for name, how, outcome, _, summary in results:
        if outcome != "ok":
            assert name.split("-")[0] in summary or "damaged" in summary or "session" in summary, summary
            assert "Traceback" not in summary
    # A copy taken as readable shows all there was: damage that passes is in pixels or checkpoints.
    whole = {source: check_session(tmp_path.parent / f"original-{source}.h5") for source in ("gan", "dqn")}
    for name, how, outcome, _, summary in results:
        if outcome == "ok":
            source = name.split("-")[1]
            assert (summary["points"], summary["last_step"]) == (whole[source]["points"],
                                                                 whole[source]["last_step"]), name
    outcomes = {r[2] for r in results}
    assert "refused" in outcomes and "ok" in outcomes, outcomes  # some damage is harmless (e.g. in pixels)
