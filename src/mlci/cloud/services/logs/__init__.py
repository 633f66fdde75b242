"""CloudWatch Logs (JSON protocol 1.1, target prefix Logs_20140328).

Implemented: CreateLogGroup, DescribeLogGroups, DeleteLogGroup, CreateLogStream,
DescribeLogStreams, DeleteLogStream, PutLogEvents, GetLogEvents, FilterLogEvents. Any other
Logs operation is answered with an error naming it.

Other services write logs through the same store, in-process, without HTTP:

    from mlci.cloud.services.logs.store import open_store
    logs = open_store(home)
    logs.ensure_stream("/aws/sagemaker/TrainingJobs", f"{job}/algo-1-{epoch}")
    logs.append("/aws/sagemaker/TrainingJobs", f"{job}/algo-1-{epoch}", [(ms, line), ...])

Not modelled: retention policies, metric and subscription filters, KMS encryption (a kmsKeyId
is stored and reported, nothing is encrypted), cross-account observability, data masking
(`unmask` is accepted; nothing is masked), entity association in PutLogEvents (ignored), and
regions (one set of log groups whatever region a client signs for).
"""

from __future__ import annotations

from pathlib import Path

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Request, Response
from mlci.cloud.protocols.json_rpc import JsonRpcService
from mlci.cloud.service import Context, Service
from mlci.cloud.services.logs.events import EventHandlers
from mlci.cloud.services.logs.resources import ResourceHandlers
from mlci.cloud.services.logs.store import LogStore, open_store


class LogsService(JsonRpcService):
    def __init__(self, store: LogStore) -> None:
        operations = {
            **ResourceHandlers(store).operations(),
            **EventHandlers(store).operations(),
        }
        super().__init__("logs", "logs", operations)
        self.store = store

    def handle(self, request: Request, ctx: Context) -> Response:
        try:
            return super().handle(request, ctx)
        except AwsError as error:
            # CloudWatch Logs reports input that breaks the model's constraints as
            # InvalidParameterException ("1 validation error detected: ..."), not as the
            # ValidationException the shared validator raises. No Logs handler here raises
            # ValidationException itself.
            if error.code != "ValidationException":
                raise
            raise AwsError("InvalidParameterException", error.message) from None

    def close(self) -> None:
        self.store.close()


def create(home: Path) -> list[Service]:
    return [LogsService(open_store(home))]
