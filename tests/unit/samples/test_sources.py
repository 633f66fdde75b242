"""Finding the datasets: a local folder, the download cache, the origin, and their failures.

Downloads are served by a real HTTP server on 127.0.0.1; the internet is never contacted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlci.samples import (
    ChecksumMismatch,
    SamplesError,
    SamplesUnavailable,
    fetch,
    load_samples,
    locate,
)
from mlci.samples.seeding import CHURN_KEY, abalone_key, sample_objects
from tests.unit.samples.sample_data import ABALONE_ROWS, CHURN_TEXT, small_datasets


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP origin serving the files put into the returned folder."""
    served = tmp_path / "origin"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", served
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def write_small_files(folder: Path, churn: bytes = CHURN_TEXT) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abalone.data").write_bytes(ABALONE_ROWS)
    (folder / "churn.txt").write_bytes(churn)


def test_locate_reads_and_normalises(tmp_path: Path) -> None:
    write_small_files(tmp_path, churn=CHURN_TEXT.replace(b"\n", b"\r\n").rstrip(b"\n"))
    samples = locate(tmp_path, small_datasets())
    assert samples.abalone == ABALONE_ROWS
    assert samples.churn == CHURN_TEXT
    assert samples.source == str(tmp_path)


def test_locate_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(
        SamplesError, match=r"sample folder .*nowhere does not exist.*MLCI_SAMPLES_DIR"
    ):
        locate(tmp_path / "nowhere", small_datasets())


def test_locate_missing_file(tmp_path: Path) -> None:
    (tmp_path / "abalone.data").write_bytes(ABALONE_ROWS)
    with pytest.raises(SamplesError, match=r"cannot read churn.txt in .*: No such file"):
        locate(tmp_path, small_datasets())


def test_locate_corrupt_file(tmp_path: Path) -> None:
    write_small_files(tmp_path, churn=CHURN_TEXT.replace(b"True.", b"False"))
    with pytest.raises(ChecksumMismatch, match=r"churn.txt from .*churn.txt has SHA-256"):
        locate(tmp_path, small_datasets())


def test_fetch_downloads_then_uses_the_cache(tmp_path: Path, origin: tuple[str, Path]) -> None:
    url, served = origin
    write_small_files(served, churn=CHURN_TEXT.replace(b"\n", b"\r\n"))
    cache = tmp_path / "cache"
    samples = fetch(cache, small_datasets(url))
    assert (samples.abalone, samples.churn) == (ABALONE_ROWS, CHURN_TEXT)
    assert (cache / "churn.txt").read_bytes() == CHURN_TEXT  # cached in verified form
    assert sorted(p.name for p in cache.iterdir()) == ["abalone.data", "churn.txt"]
    # With the origin gone, the cache alone serves.
    again = fetch(cache, small_datasets(closed_port_url()))
    assert again.files == samples.files


def test_fetch_replaces_a_damaged_cache_entry(tmp_path: Path, origin: tuple[str, Path]) -> None:
    url, served = origin
    write_small_files(served)
    cache = tmp_path / "cache"
    write_small_files(cache, churn=b"truncated")
    assert fetch(cache, small_datasets(url)).churn == CHURN_TEXT
    assert (cache / "churn.txt").read_bytes() == CHURN_TEXT


def test_fetch_without_network_says_what_to_do(tmp_path: Path) -> None:
    url = closed_port_url()
    with pytest.raises(
        SamplesUnavailable,
        match=rf"cannot download abalone.data from {url}abalone.data: .*refused.*MLCI_SAMPLES_DIR",
    ):
        fetch(tmp_path / "cache", small_datasets(url), timeout=5)
    assert not (tmp_path / "cache" / "abalone.data").exists()


def test_fetch_missing_at_origin(tmp_path: Path, origin: tuple[str, Path]) -> None:
    url, _ = origin
    with pytest.raises(SamplesUnavailable, match=r"cannot download abalone.data from .*: HTTP 404"):
        fetch(tmp_path / "cache", small_datasets(url))


def test_fetch_rejects_and_does_not_cache_a_corrupt_download(
    tmp_path: Path, origin: tuple[str, Path]
) -> None:
    url, served = origin
    write_small_files(served)
    (served / "abalone.data").write_bytes(ABALONE_ROWS[:-10])
    with pytest.raises(ChecksumMismatch, match=rf"abalone.data from {url}abalone.data has SHA-256"):
        fetch(tmp_path / "cache", small_datasets(url))
    assert not (tmp_path / "cache" / "abalone.data").exists()


def test_load_samples_prefers_the_folder(tmp_path: Path) -> None:
    # The default datasets' digests are of the published files, so a folder of small stand-ins
    # is rejected by digest: proof that the folder (not the network) was consulted.
    write_small_files(tmp_path / "folder")
    with pytest.raises(ChecksumMismatch, match=r"abalone.data from .*folder"):
        load_samples(tmp_path / "folder", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_sample_objects_keys_and_contents(tmp_path: Path) -> None:
    write_small_files(tmp_path)
    objects = sample_objects(locate(tmp_path, small_datasets()))
    assert sorted(objects) == sorted(
        [abalone_key("train"), abalone_key("validation"), abalone_key("test"), CHURN_KEY]
    )
    assert abalone_key("train") == "datasets/tabular/uci_abalone/train/abalone.train"
    assert objects[CHURN_KEY] == CHURN_TEXT
    abalone_lines = b"".join(objects[abalone_key(p)] for p in ("train", "validation", "test"))
    assert sorted(abalone_lines.splitlines()) == sorted(
        [
            b"15 1:1 2:0.455 3:0.365 4:0.095 5:0.514 6:0.2245 7:0.101 8:0.15",
            b"9 1:2 2:0.53 3:0.42 4:0.135 5:0.677 6:0.2565 7:0.1415 8:0.21",
            b"7 1:3 2:0.33 3:0.255 4:0.08 5:0.205 6:0.0895 7:0.0395 8:0.055",
        ]
    )
