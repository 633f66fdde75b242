"""Concurrent overwrites and reads: a reader always gets one whole version, never a mix, a
partial body or an error; concurrent writers leave exactly one of their versions."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.cloud.s3_support import new_bucket

MIB = 1024 * 1024


@pytest.mark.parametrize("sizes", [(1000, 3000), (2 * MIB, 3 * MIB)], ids=["inline", "streamed"])
def test_readers_see_whole_versions_during_overwrites(s3, sizes: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(s3)
    versions = [bytes([65 + i]) * size for i, size in enumerate(sizes)]
    s3.put_object(Bucket=bucket, Key="hot", Body=versions[0])
    stop = threading.Event()
    seen: list[bytes] = []

    def write() -> None:
        index = 0
        while not stop.is_set():
            index += 1
            s3.put_object(Bucket=bucket, Key="hot", Body=versions[index % 2])

    def read() -> None:
        while not stop.is_set():
            body = s3.get_object(Bucket=bucket, Key="hot")["Body"].read()
            seen.append(body[:1] if body in versions else b"mixed")

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(write), *(pool.submit(read) for _ in range(3))]
        time.sleep(1.5)
        stop.set()
        for future in futures:
            future.result()
    assert seen and set(seen) <= {b"A", b"B"}


def test_concurrent_writers_leave_one_whole_version(s3) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(s3)
    bodies = [bytes([97 + i]) * (10_000 + i) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda b: s3.put_object(Bucket=bucket, Key="k", Body=b), bodies))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() in bodies
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
