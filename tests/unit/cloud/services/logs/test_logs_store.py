"""The log store: the in-process API other services use, and its SQLite bookkeeping."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.logs.records import StreamSelection
from mlci.cloud.services.logs.store import LogStore, open_store

GROUP = "/aws/sagemaker/TrainingJobs"


def test_open_store_gives_one_store_per_home(tmp_path: Path) -> None:
    first = open_store(tmp_path)
    assert open_store(tmp_path) is first
    assert open_store(tmp_path / "." / "") is first
    assert (tmp_path / "logs.db").exists()
    assert open_store(tmp_path / "other") is not first


def test_two_stores_over_the_same_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    writer, reader = LogStore(path), LogStore(path)
    writer.ensure_stream(GROUP, "job/algo-1-1")
    reader.ensure_stream(GROUP, "job/algo-1-1")  # racing creators both succeed
    writer.append(GROUP, "job/algo-1-1", [(1_000, "[0]#011train-rmse:0.5")])
    stream = reader.stream(GROUP, "job/algo-1-1")
    events = reader.events_after(stream.id, (0, 0), limit=10)
    assert [e.message for e in events] == ["[0]#011train-rmse:0.5"]


def test_ensure_stream_is_idempotent_and_keeps_events(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    created = store.ensure_stream(GROUP, "job/algo-1-1")
    store.append(GROUP, "job/algo-1-1", [(5, "a")])
    again = store.ensure_stream(GROUP, "job/algo-1-1")
    assert again.id == created.id
    assert again.uploads == 1
    assert [g.name for g in store.list_groups()] == [GROUP]


def test_append_keeps_the_stream_summary(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    store.ensure_stream("g", "s")
    store.append("g", "s", [(300, "late"), (100, "early")])  # in-process: any order
    stream = store.append("g", "s", [])
    assert (stream.first_event_ms, stream.last_event_ms) == (100, 300)
    assert stream.uploads == 2
    assert stream.stored_bytes == len("late") + len("early")
    assert store.group("g").stored_bytes == 9
    events = store.events_after(stream.id, (0, 0), limit=10)
    assert [e.message for e in events] == ["early", "late"]  # read back in timestamp order


@pytest.mark.parametrize("event", [(-1, "x"), (1.5, "x"), (True, "x"), ("10", "x"), (10, b"bytes")])
def test_append_refuses_malformed_events(tmp_path: Path, event: tuple[object, object]) -> None:
    store = LogStore(tmp_path / "logs.db")
    store.ensure_stream("g", "s")
    with pytest.raises(ValueError, match=r"event (timestamp|message)"):
        store.append("g", "s", [event])  # type: ignore[list-item]
    assert store.stream("g", "s").uploads == 0


def test_append_to_a_missing_stream_or_group_names_which(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    with pytest.raises(AwsError, match="The specified log group does not exist"):
        store.append("g", "s", [(1, "x")])
    store.create_group("g")
    with pytest.raises(AwsError, match="The specified log stream does not exist"):
        store.append("g", "s", [(1, "x")])


def test_concurrent_appends_from_threads_all_land(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    store.ensure_stream("g", "s")

    def write(worker: int) -> None:
        for batch in range(10):
            store.append("g", "s", [(1_000 + batch, f"w{worker}-b{batch}-{i}") for i in range(20)])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stream = store.stream("g", "s")
    assert stream.uploads == 40
    events = store.events_after(stream.id, (0, 0), limit=10_000)
    assert len(events) == 800
    assert len({e.message for e in events}) == 800
    assert [e.position for e in events] == sorted(e.position for e in events)


def test_deleting_a_group_removes_its_streams_and_events(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    store.ensure_stream("g", "s")
    store.append("g", "s", [(1, "x")])
    store.delete_group("g")
    assert store.db.query_one("SELECT count(*) FROM log_events")[0] == 0  # type: ignore[index]
    store.ensure_stream("g", "s")
    assert store.stream("g", "s").uploads == 0


def test_prefix_selection_is_exact_and_case_sensitive(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    for name in ["job/algo-1", "job-2/algo-1", "Job/algo-1", "jobs/x", "job/"]:
        store.ensure_stream("g", name)
    group = store.group("g")
    names = [s.name for s in store.list_streams(group, selection=StreamSelection(prefix="job/"))]
    assert names == ["job/", "job/algo-1"]
