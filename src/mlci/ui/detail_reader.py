"""Reading model packages on a few threads, what a page waits for before anything else.

Every read of a package's details (DescribeModelPackage plus its metrics) goes through one
queue ordered by priority: a page's rows are read before the background pass's thousand
others, so a page asked for while the registry is still being filled waits behind no one.
A package asked for twice is read once: a second ask joins the queued or running read.

Few workers: each read is mostly boto3's own CPU under the GIL, so more threads only take
turns; two let one thread's Python run while the other waits for the cloud.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Generic, TypeVar

URGENT = 0  # a page waits for it
BACKGROUND = 1  # the cache's own filling

T = TypeVar("T")


class ReaderClosed(Exception):
    """The dashboard is stopping: no more reads."""


class DetailReader(Generic[T]):
    def __init__(self, read: Callable[[str], T], workers: int, name: str) -> None:
        self._read = read
        self._cond = threading.Condition()
        self._heap: list[tuple[int, int, str]] = []
        self._queued: dict[str, tuple[int, Future[T]]] = {}  # arn -> (priority, future)
        self._running: dict[str, Future[T]] = {}
        self._order = itertools.count()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, arns: Iterable[str], priority: int) -> dict[str, Future[T]]:
        """A future per ARN: the read queued or running for it, else a new one."""
        futures: dict[str, Future[T]] = {}
        with self._cond:
            if self._closed:
                raise ReaderClosed("the dashboard is stopping")
            for arn in arns:
                running = self._running.get(arn)
                queued = self._queued.get(arn)
                if running is not None:
                    futures[arn] = running
                elif queued is not None:
                    futures[arn] = queued[1]
                    if priority < queued[0]:  # move it up: the old heap entry is skipped later
                        self._queued[arn] = (priority, queued[1])
                        heapq.heappush(self._heap, (priority, next(self._order), arn))
                else:
                    future: Future[T] = Future()
                    self._queued[arn] = (priority, future)
                    heapq.heappush(self._heap, (priority, next(self._order), arn))
                    futures[arn] = future
            self._cond.notify_all()
        return futures

    def waiting(self) -> int:
        """How many reads are queued (not yet started)."""
        with self._cond:
            return len(self._queued)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for _, future in self._queued.values():
                future.cancel()
            self._queued.clear()
            self._heap.clear()
            self._cond.notify_all()

    def _next(self) -> tuple[str, Future[T]] | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                while self._heap:
                    priority, _, arn = heapq.heappop(self._heap)
                    queued = self._queued.get(arn)
                    if queued is None or queued[0] != priority:
                        continue  # taken already, or moved up: a stale heap entry
                    del self._queued[arn]
                    self._running[arn] = queued[1]
                    return arn, queued[1]
                self._cond.wait()

    def _work(self) -> None:
        while (taken := self._next()) is not None:
            arn, future = taken
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self._read(arn))
                except Exception as error:  # handed to whoever waits for it
                    future.set_exception(error)
            with self._cond:
                self._running.pop(arn, None)
