"""An AwsError in the wire format its client parses."""

from __future__ import annotations

from xml.sax.saxutils import escape

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.protocols.json_rpc import json_error


def render_error(family: str, error: AwsError, request_id: str, method: str = "GET") -> Response:
    if family == "json":
        return json_error(error)
    if family == "query":
        return _query_error(error, request_id)
    return _s3_error(error, request_id, head=method == "HEAD")


def _s3_error(error: AwsError, request_id: str, head: bool) -> Response:
    headers = [("x-amz-request-id", request_id)]
    if head:  # HEAD responses carry no body; clients map the status to the code
        return Response(error.status, headers, b"")
    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in error.extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"{extra}<RequestId>{request_id}</RequestId></Error>"
    ).encode()
    return Response(error.status, [*headers, ("content-type", "application/xml")], body)


def _query_error(error: AwsError, request_id: str) -> Response:
    kind = "Receiver" if error.status >= 500 else "Sender"
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return Response(error.status, [("content-type", "text/xml")], body)
