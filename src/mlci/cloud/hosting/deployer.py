"""Deployments: create, blue/green update with rollback, resize, delete and restore.

Every deployment runs in a thread of its own and is serialised per endpoint. A new fleet is
started beside the old one and must load its models and answer /ping before the endpoint's
routing is switched to it; if it does not, it is stopped and the old fleet never stopped
serving. After a switch the old routing is drained (its requests in flight finish) and only
then are its servers stopped. The caller learns the outcome through `on_done`, called in the
deployment thread before the returned future resolves, so a caller that waits on the future
(CreateEndpoint / UpdateEndpoint) returns with the outcome already recorded.

Files: `<home>/hosting/deployments/<deployment id>/` holds each variant's model files
(`models/<variant>/`, complete once `models/<variant>.ready` exists) and the servers' logs and
port files (`servers/`). The model files are kept while the deployment serves, so a restart of
the cloud brings an endpoint back even if its S3 artifact has since been deleted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.cloud.hosting import artifacts
from mlci.cloud.hosting.artifacts import DeploymentFailed
from mlci.cloud.hosting.fleet import Fleet, VariantSpec, available_cores
from mlci.cloud.hosting.processes import ServerFailed, ServerPool
from mlci.cloud.hosting.router import EndpointRoute, Routing
from mlci.cloud.services.s3.access import S3Access

log = logging.getLogger("mlci.cloud.hosting")
Key = tuple[str, str]  # (region, lower-cased endpoint name)
START_TIMEOUT_SECONDS = 60.0
DRAIN_TIMEOUT_SECONDS = 70.0  # a request may take the container's 60 s
MONITOR_INTERVAL_SECONDS = 0.2
# A request reads the routing and counts itself in flight in two steps; an old fleet is not
# drained before this much time has passed since the switch.
SWITCH_GRACE_SECONDS = 0.05


@dataclass(frozen=True)
class VariantPlan:
    name: str
    weight: float
    instance_count: int
    containers: list[dict[str, Any]]  # the model's resolved containers


@dataclass(frozen=True)
class Plan:
    deployment_id: str
    variants: tuple[VariantPlan, ...]


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    reason: str | None = None  # FailureReason when not succeeded


OnDone = Callable[[Outcome], None]


@dataclass
class _Active:
    deployment_id: str
    fleet: Fleet
    routing: Routing


@dataclass
class _EndpointSlot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    generation: int = 0  # bumped by remove(): a deployment that started before is discarded
    active: _Active | None = None


class Hosting:
    def __init__(
        self, home: Path, max_servers: int | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.deployments_dir = home / "hosting" / "deployments"
        self.max_servers = max_servers or available_cores()
        self._home = home
        self._s3: S3Access | None = None
        self._pool = ServerPool(
            home / "hosting" / "spares", os.environ if environ is None else environ
        )
        self._lock = threading.Lock()
        self._slots: dict[Key, _EndpointSlot] = {}
        self._routes: dict[Key, EndpointRoute] = {}
        self._closed = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="hosting-monitor", daemon=True)
        self._monitor.start()

    # what the runtime reads
    def route(self, key: Key) -> EndpointRoute | None:
        return self._routes.get(key)

    def servers(self, key: Key) -> list[int]:
        """The pids of the endpoint's running model servers (for tests and diagnostics)."""
        active = self._slot(key).active
        return [i.server.pid for i in active.fleet.instances()] if active else []

    # what the control plane calls
    def deploy(self, key: Key, name: str, plan: Plan, on_done: OnDone) -> Future[Outcome]:
        """Start `plan`'s fleet and switch the endpoint to it (see module doc)."""
        generation = self._slot(key).generation
        return _in_thread(
            f"deploy-{name}", lambda done: self._deploy(key, name, plan, generation, done), on_done
        )

    def expect(self, key: Key, name: str) -> None:
        """Make invocations of an endpoint being restored wait for its fleet, not fail."""
        with self._lock:
            self._routes.setdefault(key, EndpointRoute(name))

    def reconfigure(
        self, key: Key, weights: Mapping[str, float], counts: Mapping[str, int], on_done: OnDone
    ) -> Future[Outcome]:
        """New weights and instance counts for variants of the running deployment."""
        return _in_thread(
            "reconfigure", lambda done: self._reconfigure(key, weights, counts, done), on_done
        )

    def remove(self, key: Key) -> None:
        """Stop routing to the endpoint now; drain and stop its servers in the background."""
        slot = self._slot(key)
        with self._lock:
            slot.generation += 1
            self._routes.pop(key, None)

        def retire() -> None:
            with slot.lock:  # after a deployment in progress has seen the new generation
                active, slot.active = slot.active, None
            if active is not None:
                self._retire(active, active.fleet.instances())

        threading.Thread(target=retire, daemon=True, name="hosting-remove").start()

    def deployment_ids(self) -> set[str]:
        with self._lock:
            slots = list(self._slots.values())
        return {s.active.deployment_id for s in slots if s.active is not None}

    def sweep(self, keep: set[str]) -> None:
        """Delete deployment folders no endpoint uses (left by a crash)."""
        if not self.deployments_dir.is_dir():
            return
        for folder in self.deployments_dir.iterdir():
            if folder.name not in keep:
                artifacts.clear(folder)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            slots = list(self._slots.values())
            self._routes.clear()
        self._pool.close()
        for slot in slots:
            if slot.active is not None:
                slot.active.fleet.stop()
        if self._s3 is not None:
            self._s3.close()

    # deployment threads
    def _deploy(self, key: Key, name: str, plan: Plan, generation: int, on_done: OnDone) -> Outcome:
        slot = self._slot(key)
        folder = self.deployments_dir / plan.deployment_id
        fleet = Fleet(folder / "servers", self._pool)
        with slot.lock:
            try:
                specs = [self._prepare(folder, variant) for variant in plan.variants]
                weights = {variant.name: variant.weight for variant in plan.variants}
                routing = fleet.start(specs, weights, START_TIMEOUT_SECONDS)
            except (DeploymentFailed, ServerFailed) as error:
                fleet.stop()
                artifacts.clear(folder)
                self._forget_restoring(key)
                return self._finish(on_done, Outcome(False, str(error)))
            with self._lock:  # remove() bumps the generation under this lock too
                current = slot.generation == generation and not self._closed.is_set()
                if current:
                    self._routes.setdefault(key, EndpointRoute(name)).routing = routing
            if not current:  # deleted (or the cloud stopped) while the fleet was starting
                fleet.stop()
                artifacts.clear(folder)
                return self._finish(on_done, Outcome(False, "the endpoint was deleted"))
            previous, slot.active = slot.active, _Active(plan.deployment_id, fleet, routing)
            outcome = self._finish(on_done, Outcome(True))
        if previous is not None:
            self._retire(previous, previous.fleet.instances())
        return outcome

    def _reconfigure(
        self, key: Key, weights: Mapping[str, float], counts: Mapping[str, int], on_done: OnDone
    ) -> Outcome:
        slot = self._slot(key)
        with slot.lock:
            active = slot.active
            if active is None:
                return self._finish(on_done, Outcome(False, "the endpoint has no running fleet"))
            retired = []
            try:
                for variant, count in counts.items():
                    retired += active.fleet.resize(
                        variant, self._servers(count), START_TIMEOUT_SECONDS
                    )
            except ServerFailed as error:
                return self._finish(on_done, Outcome(False, str(error)))
            old = active.routing
            active.routing = old.with_weights(weights)
            route = self._routes.get(key)
            if route is not None:
                route.routing = active.routing
            outcome = self._finish(on_done, Outcome(True))
        if retired:
            self._retire(_Active(active.deployment_id, active.fleet, old), retired, keep_files=True)
        return outcome

    def _retire(self, active: _Active, instances: Sequence[Any], keep_files: bool = False) -> None:
        if not keep_files:
            active.fleet.stopped = True  # no more healing
        time.sleep(SWITCH_GRACE_SECONDS)
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while active.routing.in_flight > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        active.fleet.stop(list(instances))
        if not keep_files:
            artifacts.clear(self.deployments_dir / active.deployment_id)

    def _prepare(self, folder: Path, variant: VariantPlan) -> VariantSpec:
        model_dir = folder / "models" / variant.name
        ready = folder / "models" / f"{variant.name}.ready"
        if not ready.exists():
            source = artifacts.model_source(variant.containers)
            artifacts.clear(model_dir)
            artifacts.fetch(self._s3_access(), source, model_dir)
            ready.touch()
        return VariantSpec(variant.name, model_dir, self._servers(variant.instance_count))

    def _servers(self, instance_count: int) -> int:
        return max(1, min(instance_count, self.max_servers))

    def _finish(self, on_done: OnDone, outcome: Outcome) -> Outcome:
        on_done(outcome)
        return outcome

    def _forget_restoring(self, key: Key) -> None:
        with self._lock:
            route = self._routes.get(key)
            if route is not None and route.routing is None:
                del self._routes[key]

    def _slot(self, key: Key) -> _EndpointSlot:
        with self._lock:
            return self._slots.setdefault(key, _EndpointSlot())

    def _s3_access(self) -> S3Access:
        with self._lock:
            if self._s3 is None:
                self._s3 = S3Access(self._home)
            return self._s3

    def _watch(self) -> None:
        while not self._closed.wait(MONITOR_INTERVAL_SECONDS):
            with self._lock:
                actives = [s.active for s in self._slots.values() if s.active is not None]
            for active in actives:
                active.fleet.heal()


def _in_thread(name: str, work: Callable[[OnDone], Outcome], on_done: OnDone) -> Future[Outcome]:
    """Run `work` in a thread of its own. The future resolves as soon as `work` reports its
    outcome (after `on_done` recorded it), even if `work` goes on (draining an old fleet)."""
    future: Future[Outcome] = Future()

    def done(outcome: Outcome) -> None:
        try:
            on_done(outcome)
        except Exception:
            log.exception("recording the outcome of hosting %s failed", name)
        if not future.done():
            future.set_result(outcome)

    def run() -> None:
        try:
            outcome = work(done)
        except BaseException as error:
            log.exception("hosting %s failed", name)
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(outcome)

    threading.Thread(target=run, name=f"hosting-{name}", daemon=True).start()
    return future


_hostings: dict[Path, Hosting] = {}
_hostings_lock = threading.Lock()


def hosting_for(home: Path) -> Hosting:
    """The one Hosting of a cloud home, shared by the control plane and the runtime (which
    are built as separate services)."""
    with _hostings_lock:
        key = home.resolve()
        if key not in _hostings:
            _hostings[key] = Hosting(home)
        return _hostings[key]


def release(home: Path) -> None:
    with _hostings_lock:
        hosting = _hostings.pop(home.resolve(), None)
    if hosting is not None:
        hosting.close()
