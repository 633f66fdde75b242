"""Which model server answers an invocation: a variant by weight (or TargetVariant), then the
least busy live server of that variant.

A `Routing` is one deployment's view: its variants, their weights and a count of requests in
flight through it. An endpoint's current routing is replaced as a whole (one reference
assignment, atomic for readers on the event loop), so a request sees the old fleet or the new
one, never a mix; the deployer stops an old fleet only once the requests counted on its
routing have finished. Servers that die are marked down and skipped until replaced.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from mlci.cloud.hosting.batch_channel import BatchChannel
from mlci.cloud.hosting.processes import HOST, ServerProcess
from mlci.cloud.hosting.upstream import Pool


class RoutingError(Exception):
    """The request names no variant that can take it (the runtime's ValidationError)."""


@dataclass(eq=False)
class Instance:
    """One running model server of a variant."""

    name: str
    server: ServerProcess
    pool: Pool = field(init=False)
    batch: BatchChannel | None = field(init=False)
    in_flight: int = 0
    down: bool = False

    def __post_init__(self) -> None:
        self.pool = Pool(HOST, self.server.port)
        address = self.server.batch_address
        self.batch = BatchChannel(address) if address else None

    def usable(self) -> bool:
        # No system call per request: the exit status is known once the monitor (or a failed
        # request) has polled the process, and both mark a dead server down anyway.
        return not self.down and self.server.process.returncode is None


@dataclass(eq=False)
class VariantRoute:
    """A variant's servers. `instances` is replaced, never mutated, when one is swapped."""

    name: str
    instances: list[Instance]
    _turn: int = 0

    def pick(self) -> Instance | None:
        """The usable server with the fewest requests in flight (ties taken in turn)."""
        candidates = self.instances
        count = len(candidates)
        best: Instance | None = None
        self._turn = (self._turn + 1) % max(count, 1)
        for offset in range(count):
            instance = candidates[(self._turn + offset) % count]
            if instance.usable() and (best is None or instance.in_flight < best.in_flight):
                best = instance
        return best


class Routing:
    def __init__(self, variants: Sequence[VariantRoute], weights: Mapping[str, float]) -> None:
        self.variants = {variant.name: variant for variant in variants}
        self.weights = {variant.name: float(weights[variant.name]) for variant in variants}
        self._order = [variant.name for variant in variants]
        self._cumulative = list(accumulate(self.weights[name] for name in self._order))
        self.in_flight = 0

    def with_weights(self, weights: Mapping[str, float]) -> Routing:
        """The same servers with other weights (UpdateEndpointWeightsAndCapacities)."""
        merged = {**self.weights, **weights}
        return Routing([self.variants[name] for name in self._order], merged)

    def choose(self, target: str | None, draw: float | None = None) -> VariantRoute:
        """The variant named by `target`, else one drawn with probability weight / total."""
        if target is not None:
            variant = self.variants.get(target)
            if variant is None:
                raise RoutingError(target)
            return variant
        total = self._cumulative[-1] if self._cumulative else 0.0
        if total <= 0:
            raise RoutingError("")
        point = (random.random() if draw is None else draw) * total
        index = min(bisect.bisect_right(self._cumulative, point), len(self._order) - 1)
        # a weight-0 variant has an empty interval; bisect_right never lands on it
        return self.variants[self._order[index]]

    def instances(self) -> list[Instance]:
        return [i for variant in self.variants.values() for i in variant.instances]


@dataclass(eq=False)
class EndpointRoute:
    """An endpoint as the runtime sees it: its current routing, or None while its servers are
    being (re)started after a cloud restart."""

    name: str
    routing: Routing | None = None
