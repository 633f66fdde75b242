"""CloudWatch Logs through boto3: log groups, log streams, PutLogEvents, bad input, restarts."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud, start_cloud
from tests.integration.cloud.logs_support import new_stream, now_ms, raw_call, unique

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = info.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], response["Error"]["Message"], status


# -- log groups ------------------------------------------------------------------------------


def test_log_group_lifecycle(logs: Any, cloud: RunningCloud) -> None:
    name = unique("/mlci/lifecycle")
    logs.create_log_group(logGroupName=name, tags={"team": "ml"}, kmsKeyId="alias/logs")
    with pytest.raises(ClientError) as info:
        logs.create_log_group(logGroupName=name)
    assert _error(info) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
        400,
    )
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    arn = f"arn:aws:logs:{cloud.region}:{cloud.account_id}:log-group:{name}"
    assert group["logGroupName"] == name
    assert group["arn"] == arn + ":*"
    assert group["logGroupArn"] == arn
    assert group["storedBytes"] == 0
    assert group["metricFilterCount"] == 0
    assert group["logGroupClass"] == "STANDARD"
    assert group["kmsKeyId"] == "alias/logs"
    assert abs(group["creationTime"] - now_ms()) < 60_000
    logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    with pytest.raises(ClientError) as info:
        logs.delete_log_group(logGroupName=name)
    assert _error(info) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        400,
    )


def test_describe_log_groups_pages_in_name_order(logs: Any) -> None:
    prefix = unique("/mlci/paging")
    names = [f"{prefix}/{suffix}" for suffix in ["b", "a", "C", "a.b", "_z", "#1"]]
    for name in names:
        logs.create_log_group(logGroupName=name)
    first = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=4)
    assert len(first["logGroups"]) == 4 and "nextToken" in first
    second = logs.describe_log_groups(
        logGroupNamePrefix=prefix, limit=4, nextToken=first["nextToken"]
    )
    assert "nextToken" not in second
    seen = [g["logGroupName"] for g in first["logGroups"] + second["logGroups"]]
    assert seen == sorted(names)  # ASCII order
    paginator = logs.get_paginator("describe_log_groups")
    pages = list(paginator.paginate(logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == sorted(names)


def test_describe_log_groups_without_more_results_has_no_token(logs: Any) -> None:
    prefix = unique("/mlci/exact")
    for suffix in "ab":
        logs.create_log_group(logGroupName=f"{prefix}/{suffix}")
    page = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2)
    assert len(page["logGroups"]) == 2
    assert "nextToken" not in page


def test_describe_log_groups_by_pattern_class_and_identifier(
    logs: Any, cloud: RunningCloud
) -> None:
    marker = unique("Marker")
    name = f"/mlci/{marker}/x"
    logs.create_log_group(logGroupName=name, logGroupClass="INFREQUENT_ACCESS")
    (brief,) = logs.describe_log_groups(logGroupNamePattern=marker)["logGroups"]
    assert set(brief) == {"logGroupName", "creationTime", "arn"}  # as AWS trims it
    assert logs.describe_log_groups(logGroupNamePattern=marker.lower())["logGroups"] == []
    infrequent = logs.describe_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]
    assert name in [g["logGroupName"] for g in infrequent]
    arn = f"arn:aws:logs:{cloud.region}:{cloud.account_id}:log-group:{name}"
    by_id = logs.describe_log_groups(logGroupIdentifiers=[arn, "/mlci/no-such-group"])
    assert [g["logGroupName"] for g in by_id["logGroups"]] == [name]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"logGroupNamePrefix": "/a", "logGroupNamePattern": "a"},
            "logGroupNamePrefix and logGroupNamePattern are mutually exclusive",
        ),
        (
            {"logGroupIdentifiers": ["/a"], "logGroupNamePrefix": "/a"},
            "logGroupIdentifiers cannot be combined",
        ),
        ({"limit": 51}, "Member must have value less than or equal to 50"),
        ({"nextToken": "garbage"}, "The specified nextToken is invalid."),
        (
            {"logGroupIdentifiers": ["arn:aws:logs:us-east-1:123:log-group"]},
            "is not a log group name or ARN",
        ),
    ],
)
def test_describe_log_groups_refuses_bad_combinations(
    logs: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError, match="InvalidParameterException") as info:
        logs.describe_log_groups(**kwargs)
    assert message in _error(info)[1]


def test_group_names_are_validated(logs: Any) -> None:
    with pytest.raises(ClientError) as info:
        logs.create_log_group(logGroupName="bad name!")
    code, message, status = _error(info)
    assert (code, status) == ("InvalidParameterException", 400)
    assert "at 'logGroupName' failed to satisfy constraint" in message
    with pytest.raises(ClientError, match="can't start with 'aws/'"):
        logs.create_log_group(logGroupName="aws/reserved")
    with pytest.raises(ClientError, match="does not support deletionProtectionEnabled"):
        logs.create_log_group(logGroupName=unique("/mlci/p"), deletionProtectionEnabled=True)


def test_another_accounts_group_arn_is_not_found(logs: Any, cloud: RunningCloud) -> None:
    group, stream = new_stream(logs)
    other = "000000000000" if cloud.account_id != "000000000000" else "111111111111"
    arn = f"arn:aws:logs:{cloud.region}:{other}:log-group:{group}"
    with pytest.raises(ClientError, match="The specified log group does not exist"):
        logs.get_log_events(logGroupIdentifier=arn, logStreamName=stream)


# -- log streams -----------------------------------------------------------------------------


def test_log_stream_lifecycle(logs: Any, cloud: RunningCloud) -> None:
    group, stream = new_stream(logs, stream="job/algo-1-1700000000")
    with pytest.raises(ClientError) as info:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    assert _error(info)[:2] == (
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
    )
    (fresh,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert fresh["logStreamName"] == stream
    assert fresh["arn"] == (
        f"arn:aws:logs:{cloud.region}:{cloud.account_id}:log-group:{group}:log-stream:{stream}"
    )
    assert fresh["storedBytes"] == 0
    assert "firstEventTimestamp" not in fresh and "lastIngestionTime" not in fresh
    logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    with pytest.raises(ClientError) as info:
        logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    assert _error(info)[:2] == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )


def test_stream_operations_on_a_missing_group(logs: Any) -> None:
    group = unique("/mlci/missing")
    calls = [
        lambda: logs.create_log_stream(logGroupName=group, logStreamName="s"),
        lambda: logs.delete_log_stream(logGroupName=group, logStreamName="s"),
        lambda: logs.describe_log_streams(logGroupName=group),
        lambda: logs.put_log_events(
            logGroupName=group, logStreamName="s", logEvents=[{"timestamp": 1, "message": "m"}]
        ),
        lambda: logs.get_log_events(logGroupName=group, logStreamName="s"),
        lambda: logs.filter_log_events(logGroupName=group),
    ]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert _error(info) == (
            "ResourceNotFoundException",
            "The specified log group does not exist.",
            400,
        )


def test_describe_log_streams_reports_event_times(logs: Any) -> None:
    group, stream = new_stream(logs)
    base = now_ms() - HOUR_MS
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": base, "message": "one"}, {"timestamp": base + 9, "message": "2"}],
    )
    (described,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert described["firstEventTimestamp"] == base
    assert described["lastEventTimestamp"] == base + 9
    assert abs(described["lastIngestionTime"] - now_ms()) < 60_000
    assert described["storedBytes"] == 0  # AWS no longer reports per-stream bytes
    assert len(described["uploadSequenceToken"]) == 56
    (as_group,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert as_group["storedBytes"] == len("one") + len("2")


def test_describe_log_streams_orders_and_pages(logs: Any) -> None:
    group = unique("/mlci/order")
    logs.create_log_group(logGroupName=group)
    base = now_ms() - HOUR_MS
    # stream names in one order, last event times in another
    for name, offset in [("c", 1), ("a", 3), ("b", 2), ("job/x", 0)]:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=[{"timestamp": base + offset, "message": name}],
        )

    def names(**kwargs: Any) -> list[str]:
        paginator = logs.get_paginator("describe_log_streams")
        pages = paginator.paginate(logGroupName=group, PaginationConfig={"PageSize": 1}, **kwargs)
        return [s["logStreamName"] for page in pages for s in page["logStreams"]]

    assert names() == ["a", "b", "c", "job/x"]
    assert names(descending=True) == ["job/x", "c", "b", "a"]
    assert names(orderBy="LastEventTime") == ["job/x", "c", "b", "a"]
    assert names(orderBy="LastEventTime", descending=True) == ["a", "b", "c", "job/x"]
    assert names(logStreamNamePrefix="job/") == ["job/x"]
    with pytest.raises(ClientError) as info:
        logs.describe_log_streams(
            logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a"
        )
    assert _error(info)[:2] == (
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
    )
    name_token = logs.describe_log_streams(logGroupName=group, limit=1)["nextToken"]
    with pytest.raises(ClientError, match="The specified nextToken is invalid"):
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", nextToken=name_token)


def test_describe_log_streams_accepts_a_group_identifier(logs: Any, cloud: RunningCloud) -> None:
    group, stream = new_stream(logs)
    arn = f"arn:aws:logs:{cloud.region}:{cloud.account_id}:log-group:{group}"
    for identifier in (group, arn):
        streams = logs.describe_log_streams(logGroupIdentifier=identifier)["logStreams"]
        assert [s["logStreamName"] for s in streams] == [stream]
    with pytest.raises(ClientError, match="must satisfy regular expression pattern"):
        logs.describe_log_streams(logGroupIdentifier=arn + ":*")  # the IAM form is not accepted
    with pytest.raises(ClientError, match="exactly one of logGroupName and logGroupIdentifier"):
        logs.describe_log_streams(logGroupName=group, logGroupIdentifier=arn)
    with pytest.raises(ClientError, match="exactly one of logGroupName and logGroupIdentifier"):
        logs.describe_log_streams()


# -- PutLogEvents ----------------------------------------------------------------------------


def test_put_log_events_returns_sequence_tokens_and_ignores_the_one_sent(logs: Any) -> None:
    group, stream = new_stream(logs)
    event = [{"timestamp": now_ms(), "message": "hello"}]
    first = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=event)
    second = logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=event, sequenceToken="stale"
    )
    assert first["nextSequenceToken"] != second["nextSequenceToken"]
    assert "rejectedLogEventsInfo" not in second
    events = logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
    assert [e["message"] for e in events] == ["hello", "hello"]


def test_put_log_events_to_a_missing_stream(logs: Any) -> None:
    group, _ = new_stream(logs)
    with pytest.raises(ClientError) as info:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="absent",
            logEvents=[{"timestamp": now_ms(), "message": "m"}],
        )
    assert _error(info) == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
        400,
    )


def test_out_of_order_batch_is_refused_and_stores_nothing(logs: Any) -> None:
    group, stream = new_stream(logs)
    now = now_ms()
    with pytest.raises(ClientError) as info:
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
        )
    assert _error(info) == (
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
        400,
    )
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


def test_too_old_and_too_new_events_are_rejected_and_the_rest_stored(logs: Any) -> None:
    group, stream = new_stream(logs)
    now = now_ms()
    batch = [
        {"timestamp": now - 15 * DAY_MS, "message": "ancient-1"},
        {"timestamp": now - 15 * DAY_MS + 1, "message": "ancient-2"},
        {"timestamp": now - HOUR_MS, "message": "fine"},
        {"timestamp": now + 3 * HOUR_MS, "message": "future-1"},
        {"timestamp": now + 4 * HOUR_MS, "message": "future-2"},
    ]
    result = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
    assert result["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 1,
        "tooNewLogEventStartIndex": 3,
    }
    events = logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
    assert [e["message"] for e in events] == ["fine"]


def test_accepted_events_may_not_span_more_than_a_day(logs: Any) -> None:
    group, stream = new_stream(logs)
    now = now_ms()
    batch = [
        {"timestamp": now - 13 * DAY_MS, "message": "thirteen days ago"},
        {"timestamp": now, "message": "now"},
    ]
    with pytest.raises(ClientError) as info:
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
    assert _error(info)[:2] == (
        "InvalidParameterException",
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
    )
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


def test_batch_size_limits(logs: Any) -> None:
    group, stream = new_stream(logs)
    now = now_ms()
    # 26 bytes of overhead per event count: 2 events of 524,262 bytes are exactly 1,048,576
    exact = [{"timestamp": now, "message": "x" * 524_262}] * 2
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=exact)
    over = [{"timestamp": now, "message": "x" * 524_263}] * 2
    with pytest.raises(ClientError) as info:
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=over)
    assert _error(info)[:2] == (
        "InvalidParameterException",
        "Upload too large: 1048578 bytes exceeds limit of 1048576",
    )
    huge = [{"timestamp": now, "message": "y" * 1_048_551}]
    with pytest.raises(ClientError, match="Log event too large: 1048577 bytes exceeds limit"):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=huge)
    too_many = [{"timestamp": now, "message": "z"}] * 10_001
    with pytest.raises(ClientError) as info:
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=too_many)
    code, message, _ = _error(info)
    assert code == "InvalidParameterException"
    assert "at 'logEvents' failed to satisfy constraint" in message
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=too_many[:10_000])
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert len(events["events"]) == 2  # the 1 MB page cap: two half-megabyte events fill it


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "code", "message"),
    [
        ("DescribeLogGroups", b"{not json", "SerializationException", "not valid JSON"),
        ("DescribeLogGroups", b"[1, 2]", "SerializationException", "must be a JSON object"),
        ("DescribeLogGroups", b'{"limit": "ten"}', "InvalidParameterException", "'limit'"),
        ("CreateLogGroup", b"{}", "InvalidParameterException", "at 'logGroupName'"),
        (
            "PutLogEvents",
            json.dumps(
                {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"message": "m"}]}
            ).encode(),
            "InvalidParameterException",
            "at 'logEvents[0].timestamp' failed to satisfy constraint: Member must not be null",
        ),
        (
            "PutLogEvents",
            json.dumps(
                {
                    "logGroupName": "g",
                    "logStreamName": "s",
                    "logEvents": [{"timestamp": 1.5, "message": "m"}],
                }
            ).encode(),
            "InvalidParameterException",
            "must be an integer",
        ),
        (
            "GetLogEvents",
            b'{"logGroupName": "g", "logStreamName": "s", "startFromHead": "yes"}',
            "InvalidParameterException",
            "'startFromHead' must be a boolean",
        ),
        (
            "GetLogEvents",
            b'{"logGroupName": "g", "logStreamName": "s", "limit": 0}',
            "InvalidParameterException",
            "greater than or equal to 1",
        ),
        (
            "PutRetentionPolicy",
            b'{"logGroupName": "g", "retentionInDays": 1}',
            "UnknownOperationException",
            "mlci cloud does not implement Logs_20140328.PutRetentionPolicy",
        ),
    ],
)
def test_malformed_requests_get_clear_errors(
    cloud: RunningCloud, logs: Any, operation: str, body: bytes, code: str, message: str
) -> None:
    status, reply = raw_call(cloud, operation, body)
    assert status == 400
    assert reply["__type"] == code
    assert message in reply["message"]
    assert "logGroups" in logs.describe_log_groups(limit=1)  # the server still answers


def test_wrong_types_through_boto3_without_client_validation(cloud: RunningCloud) -> None:
    lax = boto3.client(
        "logs",
        endpoint_url=cloud.url,
        aws_access_key_id=cloud.access_key,
        aws_secret_access_key=cloud.secret_key,
        region_name=cloud.region,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError, match="InvalidParameterException") as info:
        lax.describe_log_streams(logGroupName=["not", "a", "string"])
    assert "'logGroupName' must be a string" in _error(info)[1]
    with pytest.raises(ClientError, match="Member must not be null"):
        lax.create_log_stream(logGroupName="only-the-group")


def test_unimplemented_operation_is_named(logs: Any) -> None:
    with pytest.raises(ClientError) as info:
        logs.put_retention_policy(logGroupName="/mlci/any", retentionInDays=7)
    code, message, _ = _error(info)
    assert code == "UnknownOperationException"
    assert "does not implement Logs_20140328.PutRetentionPolicy" in message


# -- durability ------------------------------------------------------------------------------


def test_events_survive_a_kill_and_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_cloud(home)
    try:
        logs = first.client("logs")
        group, stream = new_stream(logs, group="/mlci/durable")
        base = now_ms() - HOUR_MS
        batch = [{"timestamp": base + i, "message": f"line {i}"} for i in range(500)]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
    finally:
        first.stop(signal.SIGKILL)  # acknowledged writes must survive kill -9
    second = start_cloud(home)
    try:
        logs = second.client("logs")
        events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
        assert [e["message"] for e in events["events"]] == [f"line {i}" for i in range(500)]
        (described,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
        assert described["lastEventTimestamp"] == base + 499
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": base + 500, "message": "after restart"}],
        )
        tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=1)
        assert [e["message"] for e in tail["events"]] == ["after restart"]
    finally:
        second.stop()
