"""The seam between the server and each AWS service it stands in for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mlci.cloud.http import Request, Response


@dataclass(frozen=True)
class Context:
    """Who is calling and where: what ARNs and owner fields are built from."""

    account_id: str
    region: str
    request_id: str


class Service(Protocol):
    # The signing name in the credential scope that routes a request here ("s3", "logs", ...).
    name: str

    # Serve one authenticated request; raise AwsError for anything the client got wrong.
    def handle(self, request: Request, ctx: Context) -> Response: ...

    # Release files and connections; called once when the server stops.
    def close(self) -> None: ...
