"""Reading CloudWatch Logs through boto3: GetLogEvents paging both ways, FilterLogEvents across
streams, and the exact calls the SageMaker SDK makes to tail a training job's logs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mlci.cloud.services.logs.store import open_store
from tests.conftest import RunningCloud
from tests.integration.cloud.logs_support import new_stream, now_ms, unique

TRAINING_GROUP = "/aws/sagemaker/TrainingJobs"
EVENT_COUNT = 25_000


@pytest.fixture(scope="module")
def big_stream(cloud: RunningCloud) -> tuple[str, str, list[tuple[int, str]]]:
    """25,000 events, three to a millisecond, written with PutLogEvents in 10,000-event batches."""
    logs = cloud.client("logs")
    group, stream = new_stream(logs, stream="big")
    base = now_ms() - 3_600_000
    events = [(base + i // 3, f"event {i:05d}") for i in range(EVENT_COUNT)]
    for start in range(0, EVENT_COUNT, 10_000):
        batch = [{"timestamp": t, "message": m} for t, m in events[start : start + 10_000]]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
    return group, stream, events


def _pairs(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(e["timestamp"], e["message"]) for e in events]


def test_paging_forward_sees_every_event_once_in_order(
    logs: Any, big_stream: tuple[str, str, list[tuple[int, str]]]
) -> None:
    group, stream, expected = big_stream
    seen: list[tuple[int, str]] = []
    reply = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True, limit=1_000
    )
    while reply["events"]:
        assert len(reply["events"]) <= 1_000
        seen += _pairs(reply["events"])
        token = reply["nextForwardToken"]
        reply = logs.get_log_events(
            logGroupName=group,
            logStreamName=stream,
            startFromHead=True,
            limit=1_000,
            nextToken=token,
        )
    assert seen == expected
    assert reply["nextForwardToken"] == token  # the end: the same token comes back
    again = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True, nextToken=token
    )
    assert again["events"] == [] and again["nextForwardToken"] == token


def test_paging_backward_from_the_tail_sees_every_event_once(
    logs: Any, big_stream: tuple[str, str, list[tuple[int, str]]]
) -> None:
    group, stream, expected = big_stream
    pages: list[list[tuple[int, str]]] = []
    reply = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=1_500)
    while reply["events"]:
        pages.append(_pairs(reply["events"]))
        token = reply["nextBackwardToken"]
        reply = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=1_500, nextToken=token
        )
    assert reply["nextBackwardToken"] == token  # the head: the same token comes back
    assert [event for page in reversed(pages) for event in page] == expected
    assert pages[0][-1] == expected[-1]  # the first page ends with the newest event


def test_default_limit_is_ten_thousand(
    logs: Any, big_stream: tuple[str, str, list[tuple[int, str]]]
) -> None:
    group, stream, expected = big_stream
    head = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert _pairs(head["events"]) == expected[:10_000]
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream)
    assert _pairs(tail["events"]) == expected[-10_000:]


def test_time_window_and_changing_direction(
    logs: Any, big_stream: tuple[str, str, list[tuple[int, str]]]
) -> None:
    group, stream, expected = big_stream
    start, end = expected[300][0], expected[330][0]  # startTime inclusive, endTime exclusive
    window = [e for e in expected if start <= e[0] < end]
    reply = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startTime=start, endTime=end, startFromHead=True
    )
    assert _pairs(reply["events"]) == window
    page = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True, limit=10
    )
    forward = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=page["nextForwardToken"], limit=10
    )
    back = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=forward["nextBackwardToken"], limit=10
    )
    assert _pairs(forward["events"]) == expected[10:20]
    assert _pairs(back["events"]) == expected[:10]


@pytest.mark.parametrize(
    "token", ["f/123", "garbage", "b/" + "9" * 56 + "/s", "f/" + "0" * 56 + "/x"]
)
def test_invalid_get_log_events_token(logs: Any, token: str) -> None:
    group, stream = new_stream(logs)
    with pytest.raises(ClientError) as info:
        logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=token)
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterException",
        "The specified nextToken is invalid.",
    )


def test_get_log_events_on_a_missing_stream(logs: Any) -> None:
    group, _ = new_stream(logs)
    with pytest.raises(ClientError) as info:
        logs.get_log_events(logGroupName=group, logStreamName="absent")
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )


def test_empty_stream_returns_tokens_that_later_see_new_events(logs: Any) -> None:
    group, stream = new_stream(logs)
    empty = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert empty["events"] == []
    assert empty["nextForwardToken"] and empty["nextBackwardToken"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now_ms(), "message": "late arrival"}],
    )
    later = logs.get_log_events(
        logGroupName=group,
        logStreamName=stream,
        startFromHead=True,
        nextToken=empty["nextForwardToken"],
    )
    assert [e["message"] for e in later["events"]] == ["late arrival"]
    assert abs(later["events"][0]["ingestionTime"] - now_ms()) < 60_000


# -- FilterLogEvents -------------------------------------------------------------------------


@pytest.fixture
def two_streams(logs: Any) -> tuple[str, int]:
    group = unique("/mlci/filter")
    logs.create_log_group(logGroupName=group)
    base = now_ms() - 600_000
    lines = {
        "job/algo-1": [(0, "[0]#011train-rmse:0.9"), (2, "ERROR disk full"), (4, "[1]#011done")],
        "job/algo-2": [(1, "[0]#011train-rmse:0.8"), (2, "WARN slow"), (3, "ERROR again")],
        "other": [(1, "ERROR elsewhere")],
    }
    for name, events in lines.items():
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=[{"timestamp": base + t, "message": m} for t, m in events],
        )
    return group, base


def _filtered(logs: Any, group: str, **kwargs: Any) -> list[tuple[str, str]]:
    paginator = logs.get_paginator("filter_log_events")
    pages = paginator.paginate(logGroupName=group, **kwargs)
    return [(e["logStreamName"], e["message"]) for page in pages for e in page["events"]]


def test_filter_interleaves_streams_in_timestamp_then_ingestion_order(
    logs: Any, two_streams: tuple[str, int]
) -> None:
    group, _ = two_streams
    assert _filtered(logs, group, filterPattern="ERROR") == [
        ("other", "ERROR elsewhere"),
        ("job/algo-1", "ERROR disk full"),
        ("job/algo-2", "ERROR again"),
    ]
    # equal timestamps (2): the event ingested first comes first
    assert _filtered(logs, group, logStreamNamePrefix="job/")[2:4] == [
        ("job/algo-1", "ERROR disk full"),
        ("job/algo-2", "WARN slow"),
    ]


def test_filter_by_stream_names_prefix_pattern_and_time(
    logs: Any, two_streams: tuple[str, int]
) -> None:
    group, base = two_streams
    assert _filtered(logs, group, logStreamNames=["job/algo-2"], filterPattern="?WARN ?ERROR") == [
        ("job/algo-2", "WARN slow"),
        ("job/algo-2", "ERROR again"),
    ]
    assert _filtered(logs, group, logStreamNamePrefix="job/", filterPattern='"train-rmse:"') == [
        ("job/algo-1", "[0]#011train-rmse:0.9"),
        ("job/algo-2", "[0]#011train-rmse:0.8"),
    ]
    assert _filtered(logs, group, startTime=base + 2, endTime=base + 3) == [
        ("job/algo-1", "ERROR disk full"),
        ("job/algo-2", "WARN slow"),
        ("job/algo-2", "ERROR again"),
    ]
    assert _filtered(logs, group, filterPattern="ERROR -disk -again") == [
        ("other", "ERROR elsewhere")
    ]


def test_filter_reports_searched_streams_and_pages_with_limit(
    logs: Any, two_streams: tuple[str, int]
) -> None:
    group, _ = two_streams
    first = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="job/", limit=4)
    assert len(first["events"]) == 4
    assert sorted(s["logStreamName"] for s in first["searchedLogStreams"]) == [
        "job/algo-1",
        "job/algo-2",
    ]
    assert not any(s["searchedCompletely"] for s in first["searchedLogStreams"])
    rest = logs.filter_log_events(
        logGroupName=group, logStreamNamePrefix="job/", nextToken=first["nextToken"]
    )
    assert "nextToken" not in rest
    assert all(s["searchedCompletely"] for s in rest["searchedLogStreams"])
    assert len(first["events"]) + len(rest["events"]) == 6
    ids = [e["eventId"] for e in first["events"] + rest["events"]]
    assert len(set(ids)) == 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"logStreamNames": ["a"], "logStreamNamePrefix": "a"},
            "logStreamNames and logStreamNamePrefix cannot both be specified.",
        ),
        ({"filterPattern": "{ $.level = 1 }"}, "does not support JSON filter patterns"),
        ({"filterPattern": '"open'}, "quoted phrase is not closed"),
        ({"nextToken": "bm9wZQ"}, "The specified nextToken is invalid."),
    ],
)
def test_filter_refuses_bad_parameters(
    logs: Any, two_streams: tuple[str, int], kwargs: dict[str, Any], message: str
) -> None:
    group, _ = two_streams
    with pytest.raises(ClientError) as info:
        logs.filter_log_events(logGroupName=group, **kwargs)
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert message in error["Message"]


def test_filter_with_unknown_stream_names_finds_nothing(logs: Any) -> None:
    group, _ = new_stream(logs)
    reply = logs.filter_log_events(logGroupName=group, logStreamNames=["absent"])
    assert reply["events"] == [] and reply["searchedLogStreams"] == []


# -- SageMaker SDK log tailing ---------------------------------------------------------------


def _sdk_style_read(logs: Any, stream: str, start_time: int) -> list[dict[str, Any]]:
    """What sagemaker.logs.log_stream sends: startFromHead=True and startTime, then the
    forward token, until a page comes back empty."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"nextToken": token} if token is not None else {}
        reply = logs.get_log_events(
            logGroupName=TRAINING_GROUP,
            logStreamName=stream,
            startTime=start_time,
            startFromHead=True,
            **extra,
        )
        if not reply["events"]:
            assert token is None or reply["nextForwardToken"] == token
            return events
        events += reply["events"]
        token = reply["nextForwardToken"]


def test_sagemaker_style_tailing_of_a_training_stream(logs: Any, cloud: RunningCloud) -> None:
    job = unique("xgb-job")
    stream = f"{job}/algo-1-{int(time.time())}"
    store = open_store(cloud.home)  # the in-process API the training runner writes with
    store.ensure_stream(TRAINING_GROUP, stream)
    store.ensure_stream(TRAINING_GROUP, f"{job}-other/algo-1-1")  # shares a prefix without "/"
    base = now_ms()
    store.append(
        TRAINING_GROUP, stream, [(base + i, f"[{i}]#011train-rmse:{9 - i}") for i in range(3)]
    )

    described = logs.describe_log_streams(
        logGroupName=TRAINING_GROUP, logStreamNamePrefix=job + "/", orderBy="LogStreamName", limit=1
    )
    assert [s["logStreamName"] for s in described["logStreams"]] == [stream]
    assert "nextToken" not in described  # the SDK would re-describe forever otherwise

    first = _sdk_style_read(logs, stream, start_time=0)
    assert [e["message"] for e in first] == [f"[{i}]#011train-rmse:{9 - i}" for i in range(3)]
    store.append(TRAINING_GROUP, stream, [(base + 2, "same millisecond"), (base + 3, "[3]")])
    # the SDK resumes at the last timestamp it saw and skips the events it already printed there
    again = _sdk_style_read(logs, stream, start_time=first[-1]["timestamp"])
    assert [e["message"] for e in again] == ["[2]#011train-rmse:7", "same millisecond", "[3]"]


def test_the_sagemaker_sdk_itself_tails_training_logs(
    logs: Any, cloud: RunningCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    import sagemaker.logs
    import sagemaker.session

    capsys.readouterr()  # drop what importing the SDK prints
    job = unique("sdk-job")
    stream = f"{job}/algo-1-{int(time.time())}"
    store = open_store(cloud.home)
    store.ensure_stream(TRAINING_GROUP, stream)
    base = now_ms()
    store.append(
        TRAINING_GROUP, stream, [(base, "[0]#011train-rmse:0.5"), (base, "[1]#011train-rmse:0.4")]
    )
    positions: dict[str, Any] = {}
    color = sagemaker.logs.ColorWrap()

    def flush() -> list[str]:
        sagemaker.session._flush_log_streams(
            [], 1, logs, TRAINING_GROUP, job, positions, False, color
        )
        return capsys.readouterr().out.splitlines()

    assert flush() == ["[0]#011train-rmse:0.5", "[1]#011train-rmse:0.4"]
    store.append(TRAINING_GROUP, stream, [(base, "[2]#011train-rmse:0.3"), (base + 1, "done")])
    assert flush() == ["[2]#011train-rmse:0.3", "done"]
    assert flush() == []
