"""Reaching the cloud as a client: find where it runs (as `mlci cloud env` does) and build
boto3 clients with its endpoint and credentials.

Only discovery comes from `mlci.cloud` (the server file and the credentials file); every call
after that goes over HTTP, SigV4-signed, like any other client's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.cloud import credentials, daemon

# Page loads must stay fast when the cloud is slow or gone: short timeouts, no retries.
# Actions that wait for a deployment (UpdateEndpoint waits up to a minute) use longer ones.
READ_TIMEOUT_SECONDS = 10
ACTION_TIMEOUT_SECONDS = 120


class CloudUnavailable(Exception):
    """The cloud is not running (or its credentials cannot be read)."""


@dataclass(frozen=True)
class CloudInfo:
    url: str
    access_key_id: str
    secret_access_key: str
    region: str


def discover(home: Path) -> CloudInfo:
    running = daemon.running(home)
    if running is None:
        raise CloudUnavailable(
            f"the cloud is not running (state in {home}); start it with: mlci cloud start"
        )
    try:
        creds = credentials.load(home / credentials.FILE_NAME)
    except RuntimeError as exc:
        raise CloudUnavailable(str(exc)) from None
    return CloudInfo(running.url, creds.access_key_id, creds.secret_access_key, creds.region)


# The clients `prepare` makes before the first page asks: (service, action).
PREPARED = (("sagemaker", False), ("s3", False), ("cloudwatch", False), ("sagemaker", True))


class Clients:
    """boto3 clients for one cloud, made on first use; re-discovered if the cloud moved.

    All of them come from one boto3 session: the session's loader keeps each service's model
    once read, so a client after the first of its service costs ~5 ms instead of the 0.1-0.2 s
    of parsing SageMaker's model again. Clients are shared by threads (botocore clients are
    thread-safe); making them is serialised by the lock, since sessions are not.
    """

    def __init__(self, home: Path, info: CloudInfo | None = None) -> None:
        self.home = home
        self._info = info
        self._clients: dict[tuple[str, bool], Any] = {}
        self._session: Any = None
        self._lock = threading.Lock()

    @property
    def info(self) -> CloudInfo:
        with self._lock:
            if self._info is None:
                self._info = discover(self.home)
            return self._info

    def forget(self) -> None:
        """After a connection failure: find the cloud again on the next call (the session,
        with the service models it has read, is kept)."""
        with self._lock:
            self._info = None
            self._clients.clear()

    def prepare(self) -> None:
        """Make the clients pages use now, at start, rather than in the first page's time."""
        for service, action in PREPARED:
            self.client(service, action)

    def client(self, service: str, action: bool = False) -> Any:
        info = self.info
        with self._lock:
            key = (service, action)
            if key not in self._clients:
                if self._session is None:
                    import boto3

                    self._session = boto3.session.Session()
                self._clients[key] = _make_client(self._session, info, service, action)
            return self._clients[key]

    def sagemaker(self, action: bool = False) -> Any:
        return self.client("sagemaker", action)

    def s3(self) -> Any:
        return self.client("s3")

    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")


def _make_client(session: Any, info: CloudInfo, service: str, action: bool) -> Any:
    from botocore.config import Config

    timeout = ACTION_TIMEOUT_SECONDS if action else READ_TIMEOUT_SECONDS
    config = Config(
        connect_timeout=2,
        read_timeout=timeout,
        retries={"max_attempts": 1},
        max_pool_connections=16,
        s3={"addressing_style": "path"},
    )
    return session.client(
        service,
        endpoint_url=info.url,
        aws_access_key_id=info.access_key_id,
        aws_secret_access_key=info.secret_access_key,
        region_name=info.region,
        config=config,
    )
