"""The AWS JSON protocol (awsJson1.1): `X-Amz-Target: Prefix.Operation`, a JSON body in and out.

SageMaker's control plane and CloudWatch Logs speak it. A `JsonRpcService` maps operation
names to handler functions; it parses, validates against botocore's input shape, and
serialises, so handlers deal only in plain dicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from mlci.cloud.errors import AwsError, not_implemented
from mlci.cloud.http import Request, Response
from mlci.cloud.service import Context
from mlci.cloud.service_models import service_model
from mlci.cloud.validation import validate

Handler = Callable[[dict[str, Any], Context], dict[str, Any]]
CONTENT_TYPE = "application/x-amz-json-1.1"


class JsonRpcService:
    def __init__(self, name: str, model_name: str, operations: Mapping[str, Handler]) -> None:
        self.name = name
        self.model = service_model(model_name)
        self.target_prefix = self.model.metadata["targetPrefix"]
        self.operations = dict(operations)

    def handle(self, request: Request, ctx: Context) -> Response:
        operation = self._operation_name(request)
        handler = self.operations.get(operation)
        if handler is None:
            raise not_implemented(self.target_prefix, operation)
        params = parse_json_body(request.body.read())
        validate(self.model.operation_model(operation).input_shape, params)
        return json_response(handler(params, ctx))

    def _operation_name(self, request: Request) -> str:
        target = request.header("x-amz-target") or ""
        prefix, _, operation = target.partition(".")
        if prefix != self.target_prefix or not operation:
            raise AwsError(
                "UnknownOperationException",
                f"X-Amz-Target must be '{self.target_prefix}.<Operation>', got {target!r}",
            )
        if operation not in self.model.operation_names:
            raise AwsError(
                "UnknownOperationException", f"{target} is not an operation of {self.name}"
            )
        return operation

    def close(self) -> None:
        pass


def parse_json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        params = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AwsError("SerializationException", f"request body is not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "request body must be a JSON object")
    return params


def json_response(result: Mapping[str, Any], status: int = 200) -> Response:
    body = json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, [("content-type", CONTENT_TYPE)], body)


def json_error(error: AwsError) -> Response:
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return Response(
        error.status, [("content-type", CONTENT_TYPE), ("x-amzn-errortype", error.code)], body
    )
