"""The S3 service object: resolve the operation, read the payload, run the handler."""

from __future__ import annotations

from mlci.cloud.http import Request, Response
from mlci.cloud.service import Context
from mlci.cloud.services.s3 import routing
from mlci.cloud.services.s3.call import Call, S3State
from mlci.cloud.services.s3.names import address
from mlci.cloud.services.s3.payload import read_payload
from mlci.sqlite import Database


class S3Service:
    name = "s3"

    def __init__(self, state: S3State, db: Database) -> None:
        self.state = state
        self._db = db

    def handle(self, request: Request, ctx: Context) -> Response:
        bucket, key = address(request.headers.get("host"), request.raw_path)
        query = request.query if request.query_string else {}
        # Resolve first: an operation we do not serve is refused before its body is touched.
        _, handler = routing.resolve(request.method, bucket, key, query, request.headers)
        payload = read_payload(request, self.state.blobs.tmp)
        try:
            response = handler(self.state, Call(request, ctx, payload, bucket, key, query))
        finally:
            payload.discard()
        response.headers.append(("x-amz-request-id", ctx.request_id))
        return response

    def close(self) -> None:
        self._db.close()
