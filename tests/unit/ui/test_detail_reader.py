"""The dashboard's read queue: a page's reads go first, a package asked twice is read once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from mlci.ui.detail_reader import BACKGROUND, URGENT, DetailReader, ReaderClosed


class Recorder:
    """A read that records its order and holds the first one until released."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def read(self, arn: str) -> str:
        self.order.append(arn)
        self.started.set()
        self.release.wait(10)
        if arn == "broken":
            raise RuntimeError("the cloud said no")
        return f"detail of {arn}"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def reader(recorder: Recorder) -> Iterator[DetailReader[str]]:
    one_worker: DetailReader[str] = DetailReader(recorder.read, 1, "test-reader")
    yield one_worker
    recorder.release.set()
    one_worker.close()


def test_a_pages_reads_go_before_the_queued_background_ones(
    reader: DetailReader[str], recorder: Recorder
) -> None:
    busy = reader.submit(["running"], BACKGROUND)
    assert recorder.started.wait(5)
    background = reader.submit(["a", "b", "c"], BACKGROUND)
    urgent = reader.submit(["page-row"], URGENT)
    moved_up = reader.submit(["c"], URGENT)
    assert reader.waiting() == 4
    recorder.release.set()
    assert urgent["page-row"].result(5) == "detail of page-row"
    for future in [*busy.values(), *background.values()]:
        future.result(5)
    assert recorder.order == ["running", "page-row", "c", "a", "b"]
    assert moved_up["c"] is background["c"]


def test_a_package_asked_for_again_joins_the_read_queued_or_running(
    reader: DetailReader[str], recorder: Recorder
) -> None:
    running = reader.submit(["x"], BACKGROUND)["x"]
    assert recorder.started.wait(5)
    queued = reader.submit(["y"], BACKGROUND)["y"]
    again = reader.submit(["x", "y"], URGENT)
    assert again["x"] is running and again["y"] is queued
    recorder.release.set()
    assert queued.result(5) == "detail of y"
    assert recorder.order == ["x", "y"]
    # Once read, a new ask reads it again (it may have changed since).
    assert reader.submit(["x"], URGENT)["x"].result(5) == "detail of x"
    assert recorder.order == ["x", "y", "x"]


def test_a_failed_read_fails_its_future_and_the_reader_goes_on(
    reader: DetailReader[str], recorder: Recorder
) -> None:
    recorder.release.set()
    futures = reader.submit(["broken", "fine"], URGENT)
    with pytest.raises(RuntimeError, match="the cloud said no"):
        futures["broken"].result(5)
    assert futures["fine"].result(5) == "detail of fine"


def test_closing_cancels_what_is_queued_and_refuses_more(
    reader: DetailReader[str], recorder: Recorder
) -> None:
    reader.submit(["running"], BACKGROUND)
    assert recorder.started.wait(5)
    queued = reader.submit(["later"], BACKGROUND)["later"]
    reader.close()
    assert queued.cancelled()
    with pytest.raises(ReaderClosed, match="stopping"):
        reader.submit(["more"], URGENT)
