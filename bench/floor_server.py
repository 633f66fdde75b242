"""The HTTP floor: mlci cloud's own server stack with a runtime that answers a constant.

Run as `python bench/floor_server.py HOME`. It is `mlci cloud start` exactly (uvicorn with
httptools and uvloop, the cloud's ASGI app, SigV4 verification, the event-loop path that
InvokeEndpoint takes), except that the only service is a stand-in for the SageMaker runtime
whose every invocation returns one prediction without asking a model: what remains is the
cost of HTTP, authentication and routing, the floor under any endpoint's latency.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

from mlci.cloud import server
from mlci.cloud.app import RUNTIME_SERVICE
from mlci.cloud.http import Request, Response
from mlci.cloud.service import Context

ANSWER = b"9.5\n"


class ConstantRuntime:
    name = RUNTIME_SERVICE

    def handle(self, request: Request, ctx: Context) -> Response:
        return self._answer()

    async def handle_async(self, request: Request, ctx: Context) -> Response:
        return self._answer()

    def close(self) -> None:
        pass

    @staticmethod
    def _answer() -> Response:
        headers = [
            ("content-type", "text/csv; charset=utf-8"),
            ("x-amzn-invoked-production-variant", "AllTraffic"),
        ]
        return Response(200, headers, ANSWER)


def main() -> None:
    module = types.ModuleType("bench_floor_services")
    module.create = lambda home: [ConstantRuntime()]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    server.SERVICE_MODULES = (module.__name__,)
    server.serve(Path(sys.argv[1]), "127.0.0.1", 0)


if __name__ == "__main__":
    main()
