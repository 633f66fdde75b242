"""The model servers of one deployment: started together, health-checked, healed, stopped.

A fleet is ready only when every server of every variant has loaded its model and answered
`GET /ping`; if any fails, all are stopped and the first failure is the reason. While the
fleet serves, `heal()` (called by the hosting monitor) replaces servers that died: the dead one
is marked down at once, so the router skips it, and the replacement takes its place in the
variant once it answers /ping.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mlci.cloud.hosting.processes import ServerFailed, ServerPool, ServerProcess
from mlci.cloud.hosting.router import Instance, Routing, VariantRoute

log = logging.getLogger("mlci.cloud.hosting")
RETRY_REPLACEMENT_SECONDS = 5.0


@dataclass(frozen=True)
class VariantSpec:
    name: str
    model_dir: Path
    servers: int  # model-server processes to run (the instance count, capped by cores)


class Fleet:
    def __init__(self, workdir: Path, servers: ServerPool) -> None:
        self.workdir = workdir
        self._servers = servers
        self._specs: dict[str, VariantSpec] = {}
        self._variants: dict[str, VariantRoute] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self._replacing: dict[Instance, float] = {}  # dead instance -> when last tried
        self.stopped = False

    def start(
        self, specs: Sequence[VariantSpec], weights: Mapping[str, float], timeout: float
    ) -> Routing:
        """Start every server; the routing over them once all answer, else ServerFailed."""
        planned = [
            (spec, self._next_name(spec.name)) for spec in specs for _ in range(spec.servers)
        ]
        started = self._start_all(planned, time.monotonic() + timeout)
        for spec in specs:
            self._specs[spec.name] = spec
            self._variants[spec.name] = VariantRoute(
                spec.name, [i for variant, i in started if variant == spec.name]
            )
        return Routing([self._variants[spec.name] for spec in specs], weights)

    def resize(self, variant: str, servers: int, timeout: float) -> list[Instance]:
        """Run `servers` servers for `variant`: start the missing ones (ServerFailed if one
        does not come up), return the ones no longer routed, for the caller to drain and stop."""
        route, spec = self._variants[variant], self._specs[variant]
        current = route.instances
        if servers > len(current):
            planned = [(spec, self._next_name(variant)) for _ in range(servers - len(current))]
            added = [i for _, i in self._start_all(planned, time.monotonic() + timeout)]
            route.instances = [*current, *added]
            retired: list[Instance] = []
        else:
            route.instances, retired = current[:servers], current[servers:]
        self._specs[variant] = VariantSpec(variant, spec.model_dir, servers)
        return retired

    def instances(self) -> list[Instance]:
        return [i for route in self._variants.values() for i in route.instances]

    def heal(self) -> None:
        """Replace servers that have died (each in its own thread)."""
        if self.stopped:
            return
        now = time.monotonic()
        for variant, route in list(self._variants.items()):
            for instance in route.instances:
                if instance.server.alive():
                    continue
                instance.down = True
                with self._lock:
                    last = self._replacing.get(instance)
                    if last is not None and now - last < RETRY_REPLACEMENT_SECONDS:
                        continue
                    self._replacing[instance] = now
                threading.Thread(
                    target=self._replace,
                    args=(variant, instance),
                    daemon=True,
                    name=f"hosting-replace-{instance.name}",
                ).start()

    def stop(self, instances: Sequence[Instance] | None = None) -> None:
        """Stop the given servers (all of the fleet's when None), in parallel."""
        if instances is None:
            self.stopped = True
            instances = self.instances()
        if not instances:
            return
        with ThreadPoolExecutor(max_workers=len(instances)) as pool:
            list(pool.map(lambda i: i.server.stop(), instances))

    def _replace(self, variant: str, dead: Instance) -> None:
        spec = self._specs.get(variant)
        if spec is None or self.stopped:
            return
        log.warning(
            "model server %s (pid %d) died; starting a replacement", dead.name, dead.server.pid
        )
        try:
            [(_, fresh)] = self._start_all(
                [(spec, self._next_name(variant))], time.monotonic() + 60
            )
        except ServerFailed as error:
            log.error("replacement for model server %s failed: %s", dead.name, error)
            return
        route = self._variants[variant]
        if self.stopped or dead not in route.instances:
            fresh.server.stop()
            return
        route.instances = [fresh if i is dead else i for i in route.instances]
        with self._lock:
            self._replacing.pop(dead, None)

    def _next_name(self, variant: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{variant}-{self._counter}"

    def _start_all(
        self, planned: Sequence[tuple[VariantSpec, str]], deadline: float
    ) -> list[tuple[str, Instance]]:
        servers: list[tuple[VariantSpec, str, ServerProcess]] = []
        try:
            for spec, name in planned:
                server = self._servers.launch(spec.model_dir, self.workdir, name)
                servers.append((spec, name, server))
            for spec, _, server in servers:
                try:
                    server.wait_ready(deadline)
                except ServerFailed as error:
                    raise ServerFailed(f"variant {spec.name}: {error}") from None
        except BaseException:
            for _, _, server in servers:
                server.stop(grace=1.0)
            raise
        finally:
            self._servers.refill()
        return [(spec.name, Instance(name, server)) for spec, name, server in servers]


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
