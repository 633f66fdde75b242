"""STS: GetCallerIdentity, over the query protocol (form-encoded in, XML out)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from mlci.cloud.errors import AwsError, not_implemented
from mlci.cloud.http import Request, Response
from mlci.cloud.service import Context

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


class StsService:
    name = "sts"

    def handle(self, request: Request, ctx: Context) -> Response:
        params = dict(parse_qsl(request.query_string))
        if request.method == "POST":
            params.update(parse_qsl(request.body.read().decode("utf-8", "replace")))
        action = params.get("Action")
        if not action:
            raise AwsError("MissingAction", "the request names no Action")
        if action != "GetCallerIdentity":
            raise not_implemented("sts", action)
        arn = f"arn:aws:iam::{ctx.account_id}:user/mlci"
        body = (
            f'<GetCallerIdentityResponse xmlns="{NAMESPACE}"><GetCallerIdentityResult>'
            f"<Arn>{arn}</Arn><UserId>{request.access_key}</UserId>"
            f"<Account>{ctx.account_id}</Account></GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{ctx.request_id}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        ).encode()
        return Response(200, [("content-type", "text/xml")], body)

    def close(self) -> None:
        pass


def create(home: Path) -> list[StsService]:
    return [StsService()]
