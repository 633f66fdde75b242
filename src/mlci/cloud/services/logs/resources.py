"""Log group and log stream operations: create, describe (with paging), delete."""

from __future__ import annotations

import re
from typing import Any

from mlci.cloud.errors import AwsError
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.logs.records import LogGroup, LogStream, StreamSelection
from mlci.cloud.services.logs.store import GROUP_NOT_FOUND, LogStore
from mlci.cloud.services.logs.tokens import page_token, parse_page_token, sequence_token

DESCRIBE_LIMIT = 50
_GROUP_ARN = re.compile(r"arn:aws[\w-]*:logs:[\w-]*:(\d{12}):log-group:([^:]+)")


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def group_arn(name: str, ctx: Context) -> str:
    return f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"


def group_name_of(identifier: str, ctx: Context) -> str:
    """A logGroupIdentifier is a group's name or its ARN (the form without a trailing ':*')."""
    if not identifier.startswith("arn:"):
        return identifier
    match = _GROUP_ARN.fullmatch(identifier)
    if match is None:
        raise invalid(f"logGroupIdentifier {identifier!r} is not a log group name or ARN")
    if match[1] != ctx.account_id:
        raise AwsError("ResourceNotFoundException", GROUP_NOT_FOUND)
    return match[2]


def requested_group(params: dict[str, Any], ctx: Context) -> str:
    """The group named by exactly one of logGroupName and logGroupIdentifier."""
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name is not None and identifier is None:
        return str(name)
    if name is None and identifier is not None:
        return group_name_of(identifier, ctx)
    raise invalid("Specify exactly one of logGroupName and logGroupIdentifier.")


def group_view(group: LogGroup, ctx: Context, *, brief: bool = False) -> dict[str, Any]:
    arn = group_arn(group.name, ctx)
    view: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created_ms,
        "arn": f"{arn}:*",
    }
    if brief:  # what AWS returns when logGroupNamePattern is given
        return view
    view.update(
        metricFilterCount=0,
        storedBytes=group.stored_bytes,
        logGroupClass=group.log_group_class,
        logGroupArn=arn,
        deletionProtectionEnabled=False,
    )
    if group.kms_key_id is not None:
        view["kmsKeyId"] = group.kms_key_id
    return view


def stream_view(stream: LogStream, group_name: str, ctx: Context) -> dict[str, Any]:
    view: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created_ms,
        "arn": f"{group_arn(group_name, ctx)}:log-stream:{stream.name}",
        # AWS has reported 0 for streams since 2019; the group's storedBytes carries the size.
        "storedBytes": 0,
    }
    if stream.last_event_ms is not None:
        view["firstEventTimestamp"] = stream.first_event_ms
        view["lastEventTimestamp"] = stream.last_event_ms
        view["lastIngestionTime"] = stream.last_ingestion_ms
    if stream.uploads:
        view["uploadSequenceToken"] = sequence_token(stream.uploads)
    return view


class ResourceHandlers:
    def __init__(self, store: LogStore) -> None:
        self.store = store

    def operations(self) -> dict[str, Handler]:
        return {
            "CreateLogGroup": self.create_log_group,
            "DescribeLogGroups": self.describe_log_groups,
            "DeleteLogGroup": self.delete_log_group,
            "CreateLogStream": self.create_log_stream,
            "DescribeLogStreams": self.describe_log_streams,
            "DeleteLogStream": self.delete_log_stream,
        }

    def create_log_group(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["logGroupName"]
        if name.startswith("aws/"):
            raise invalid("Log group names can't start with 'aws/'.")
        if params.get("deletionProtectionEnabled"):
            # Refused rather than ignored: without the operation that lifts it, a protected
            # group could never be deleted here.
            raise invalid("mlci cloud does not support deletionProtectionEnabled.")
        self.store.create_group(
            name,
            log_group_class=params.get("logGroupClass", "STANDARD"),
            kms_key_id=params.get("kmsKeyId"),
            tags=params.get("tags"),
        )
        return {}

    def describe_log_groups(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        identifiers = params.get("logGroupIdentifiers")
        if prefix is not None and pattern is not None:
            raise invalid("logGroupNamePrefix and logGroupNamePattern are mutually exclusive.")
        if identifiers is not None and (prefix is not None or pattern is not None):
            raise invalid("logGroupIdentifiers cannot be combined with a name prefix or pattern.")
        token = params.get("nextToken")
        after = parse_page_token(token, "groups", (str,))[0] if token else None
        limit = params.get("limit", DESCRIBE_LIMIT)
        groups = self.store.list_groups(
            prefix=prefix,
            contains=pattern,
            names=[group_name_of(i, ctx) for i in identifiers] if identifiers else None,
            log_group_class=params.get("logGroupClass"),
            after=str(after) if after is not None else None,
            limit=limit + 1,
        )
        page = groups[:limit]
        result: dict[str, Any] = {
            "logGroups": [group_view(g, ctx, brief=pattern is not None) for g in page]
        }
        if len(groups) > limit:
            result["nextToken"] = page_token("groups", page[-1].name)
        return result

    def delete_log_group(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        self.store.delete_group(params["logGroupName"])
        return {}

    def create_log_stream(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        self.store.create_stream(params["logGroupName"], params["logStreamName"])
        return {}

    def delete_log_stream(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        self.store.delete_stream(params["logGroupName"], params["logStreamName"])
        return {}

    def describe_log_streams(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        group = self.store.group(requested_group(params, ctx))
        by_time = params.get("orderBy", "LogStreamName") == "LastEventTime"
        prefix = params.get("logStreamNamePrefix")
        if by_time and prefix is not None:
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        descending = bool(params.get("descending", False))
        kind = f"streams:{'time' if by_time else 'name'}:{'desc' if descending else 'asc'}"
        token = params.get("nextToken")
        after = parse_page_token(token, kind, (int, str)) if token else None
        limit = params.get("limit", DESCRIBE_LIMIT)
        streams = self.store.list_streams(
            group,
            selection=StreamSelection(prefix=prefix),
            by_last_event=by_time,
            descending=descending,
            after=(int(after[0]), str(after[1])) if after else None,
            limit=limit + 1,
        )
        page = streams[:limit]
        result: dict[str, Any] = {"logStreams": [stream_view(s, group.name, ctx) for s in page]}
        if len(streams) > limit:
            last = page[-1]
            sort_time = (last.last_event_ms or 0) if by_time else 0
            result["nextToken"] = page_token(kind, sort_time, last.name)
        return result
