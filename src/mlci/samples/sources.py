"""Find the sample datasets: in a local folder, in the download cache, or at their origins.

Every path verifies the SHA-256 of what it returns, so a truncated download, a stale cache
entry or a different version of a file never reaches the sample bucket.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci.files import write_atomically
from mlci.samples.datasets import ABALONE, CHURN, DATASETS, Dataset, verified
from mlci.samples.errors import ChecksumMismatch, SamplesError, SamplesUnavailable

DOWNLOAD_TIMEOUT = 60.0
FOLDER_HINT = "set MLCI_SAMPLES_DIR (or pass --from DIR) to a folder holding {names}"


@dataclass(frozen=True)
class Samples:
    """Verified bytes of each dataset, by dataset name, and a phrase saying where they came from."""

    files: Mapping[str, bytes]
    source: str

    @property
    def abalone(self) -> bytes:
        return self.files[ABALONE.name]

    @property
    def churn(self) -> bytes:
        return self.files[CHURN.name]


def _names(datasets: Sequence[Dataset]) -> str:
    return " and ".join(d.file_name for d in datasets)


def locate(directory: Path, datasets: Sequence[Dataset] = DATASETS) -> Samples:
    """The datasets read from `directory` (e.g. MLCI_SAMPLES_DIR), verified."""
    if not directory.is_dir():
        raise SamplesError(
            f"sample folder {directory} does not exist or is not a folder; "
            + FOLDER_HINT.format(names=_names(datasets))
        )
    files = {}
    for dataset in datasets:
        path = directory / dataset.file_name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SamplesError(
                f"cannot read {dataset.file_name} in {directory}: {exc.strerror or exc}; "
                + FOLDER_HINT.format(names=_names(datasets))
            ) from None
        files[dataset.name] = verified(dataset, data, str(path))
    return Samples(files, str(directory))


def fetch(
    cache_dir: Path, datasets: Sequence[Dataset] = DATASETS, timeout: float = DOWNLOAD_TIMEOUT
) -> Samples:
    """The datasets from `cache_dir`, downloading (and caching) any that are missing or stale."""
    files = {
        dataset.name: _cached_or_downloaded(dataset, cache_dir, timeout) for dataset in datasets
    }
    return Samples(files, f"{cache_dir} (downloaded from the public origins)")


def load_samples(source_dir: Path | None, cache_dir: Path) -> Samples:
    """From `source_dir` when given (nothing is downloaded then), else via the cache."""
    if source_dir is not None:
        return locate(source_dir)
    return fetch(cache_dir)


def _cached_or_downloaded(dataset: Dataset, cache_dir: Path, timeout: float) -> bytes:
    cached = cache_dir / dataset.file_name
    if cached.is_file():
        try:
            return verified(dataset, cached.read_bytes(), str(cached))
        except ChecksumMismatch:
            pass  # a stale or damaged cache entry: download it again below
    data = verified(dataset, download(dataset, timeout), dataset.origin_url)
    write_atomically(cached, data)
    return data


def download(dataset: Dataset, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(dataset.origin_url, timeout=timeout) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        reason: object = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
    raise SamplesUnavailable(
        f"cannot download {dataset.file_name} from {dataset.origin_url}: {reason}; "
        "to work offline, " + FOLDER_HINT.format(names=dataset.file_name)
    )
