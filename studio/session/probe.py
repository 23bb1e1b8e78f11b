"""Checking a session file before the window opens it. A damaged HDF5 file can make the library spin
forever or crash the process (HDFGroup/hdf5 issue 1707), so a child process reads everything a viewer
reads first; a hang, a crash or an error there becomes a clear message here, and the window stays up.

    python -m studio.session.probe FILE.h5     (prints a one-line JSON summary, or the error on stderr)
"""
import json
import subprocess
import sys
from pathlib import Path

from studio.errors import SessionError

TIMEOUT_S = 5.0
EPISODES_READ = 60  # as many of the newest episodes as the viewer loads


def read_like_a_viewer(path: str | Path) -> dict:
    """Open the file and read what the window reads when it shows it. SessionError if it cannot."""
    from studio.session.reader import SessionReader
    with SessionReader(path) as r:
        try:
            points = sum(len(r.series(k)[0]) for k in r.series_keys())
            for key in r.series_keys():
                r.series_label(key)
            for key in r.panel_keys():
                r.panel_attrs(key)
                steps = r.snapshot_steps(key)
                if len(steps):
                    r.snapshot(key, len(steps) - 1)
            index = r.episode_index()
            if len(index):
                r.episode_spec()
                for i in range(max(0, len(index) - EPISODES_READ), len(index)):
                    episode = r.episode(i)
                    episode.frame(len(episode) - 1)  # the stored bytes decompress
            r.events()
            r.checkpoint_steps()
            summary = {"kind": r.kind, "title": r.title, "last_step": r.last_step(), "points": points,
                       "schema_version": r.schema_version}
        except SessionError:
            raise
        except Exception as exc:  # noqa: BLE001 - h5py, numpy and zlib raise many types on damage
            raise SessionError(f"{path}: damaged session file ({type(exc).__name__}: {exc})") from None
        try:  # damaged checkpoints still leave the session viewable, though not resumable
            found = r.latest_checkpoint()
            # A run killed before its first checkpoint continues from step 0 (studio/runs.py load_trainer).
            summary["checkpoint_step"] = found[0] if found else (None if r.checkpoint_steps() else 0)
        except Exception as exc:  # noqa: BLE001
            summary["checkpoint_step"], summary["checkpoint_error"] = None, f"{type(exc).__name__}: {exc}"
        return summary


def check_session(path: str | Path, timeout: float = TIMEOUT_S) -> dict:
    """Read the file in a child process; its summary, or SessionError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"{path}: no such session file")
    try:
        done = subprocess.run([sys.executable, "-m", "studio.session.probe", str(path)], capture_output=True,
                              text=True, timeout=timeout, cwd=Path(__file__).resolve().parents[2])
    except subprocess.TimeoutExpired:
        raise SessionError(f"{path}: reading it took longer than {timeout:.0f} s; the file is probably "
                           "damaged") from None
    except OSError as exc:
        raise SessionError(f"{path}: could not check the file ({exc})") from None
    if done.returncode < 0:
        raise SessionError(f"{path}: the file is damaged (reading it crashed the HDF5 library, "
                           f"signal {-done.returncode})")
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        last = lines[-1] if lines else ""
        if not last.startswith(str(path)):  # not our own message: an error nobody put into words
            last = f"{path}: the file could not be read" + (f" ({last})" if last else "")
        raise SessionError(last)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SessionError(f"{path}: the file could not be checked") from None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m studio.session.probe FILE.h5", file=sys.stderr)
        return 2
    try:
        print(json.dumps(read_like_a_viewer(argv[0])))
        return 0
    except SessionError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - opening or closing a damaged file raises outside the reads
        print(f"{argv[0]}: damaged session file ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
