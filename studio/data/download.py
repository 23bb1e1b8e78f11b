"""Fetching a catalogue data set once into the user cache folder, with pooch: each file is checked against
its published md5, and only a file that matches is kept, so later runs read the cache with no network.

pooch writes each download to a temporary file beside the target and moves it into place only after the
checksum matched (a cut connection or a wrong file leaves nothing under the real name), and it re-checks
a cached file's checksum before trusting it.
"""
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from studio.data.catalogue import IDX_FILES, RemoteSet
from studio.data.download_progress import DownloadProgress, ProgressCallback
from studio.errors import DataError

CACHE_ENV = "TRAINING_STUDIO_CACHE"    # another cache folder (the tests use temporary ones)
MIRROR_ENV = "TRAINING_STUDIO_DATA_URL"  # a mirror of every set: <mirror>/<key>/<file> (the tests: 127.0.0.1)
TIMEOUT_S = (10, 30)                   # connect, then between two reads: a dead link fails within seconds
CHUNK = 64 * 1024                      # pooch's default of 1 kB writes and flushes 30,000 times for 30 MB


def cache_dir() -> Path:
    """$TRAINING_STUDIO_CACHE, else the platform's user cache folder (on Linux ~/.cache/training-studio),
    named like the sessions and log folders."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs
    return platformdirs.user_cache_path("training-studio", appauthor=False)


def set_folder(spec: RemoteSet) -> Path:
    """Where `spec`'s files are kept, and where a person can put them by hand."""
    return cache_dir() / "datasets" / spec.key


def file_url(spec: RemoteSet, name: str, mirror: str | None = None) -> str:
    mirror = mirror or os.environ.get(MIRROR_ENV)
    return f"{mirror.rstrip('/')}/{spec.key}/{name}" if mirror else spec.url + name


def is_cached(spec: RemoteSet) -> bool:
    """All files present (not re-hashed: for a label, not for trust; fetch() checks them)."""
    folder = set_folder(spec)
    return all((folder / name).is_file() for name in IDX_FILES)


def fetch(spec: RemoteSet, *, mirror: str | None = None, progress: ProgressCallback | None = None) -> Path:
    """The folder holding all of `spec`'s files, each matching its published md5; files missing or not
    matching are downloaded first. DataError, one line, when that cannot be done."""
    import pooch
    import requests

    pooch.get_logger().setLevel(logging.WARNING)  # its "Downloading …" lines would repeat our progress line
    folder = set_folder(spec)
    for name, md5 in spec.hashes().items():
        url = file_url(spec, name, mirror)
        bar = DownloadProgress(progress, f"{spec.title} {name}") if progress else False
        downloader = pooch.HTTPDownloader(progressbar=bar, chunk_size=CHUNK, timeout=TIMEOUT_S)
        try:
            pooch.retrieve(url, f"md5:{md5}", fname=name, path=folder, downloader=downloader)
        except ValueError:  # pooch's checksum mismatch; the temporary file is already deleted
            raise DataError(f"{spec.title}: {name} from {url} does not match its published checksum "
                            f"(md5 {md5}); it was refused and not kept") from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "an error"
            raise DataError(f"{spec.title}: {url} answered HTTP {status}. {_by_hand(spec, folder, name)}") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise DataError(f"{spec.title} cannot be downloaded from {urlsplit(url).netloc}: {_why(exc)}. "
                            f"{_by_hand(spec, folder, name)}") from None
        except requests.RequestException as exc:  # the body broke off (ChunkedEncodingError and the like)
            raise DataError(f"{spec.title}: the download of {name} from {urlsplit(url).netloc} was cut off "
                            f"({type(exc).__name__}); nothing of it was kept: run again to retry") from None
        except OSError as exc:
            raise DataError(f"{spec.title}: cannot save {name} in {folder} ({exc.strerror or exc}); set "
                            f"{CACHE_ENV} to a writable folder") from None
    return folder


def _why(exc: Exception) -> str:
    """requests' own message is a paragraph of urllib3 internals; a person needs the gist."""
    import requests
    text = str(exc).lower()
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return "the connection timed out"
    if "refused" in text:
        return "connection refused"
    if "name resolution" in text or "not known" in text or "getaddrinfo" in text:
        return "no network (host name not resolved)"
    return "no connection"


def _by_hand(spec: RemoteSet, folder: Path, name: str) -> str:
    stale = f" (the {name} there does not match its published checksum)" if (folder / name).exists() else ""
    return f"Put the original files ({', '.join(IDX_FILES)}) in {folder} by hand{stale}, then run again."
