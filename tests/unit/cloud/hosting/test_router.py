"""Variant choice by weight and TargetVariant, and server choice within a variant."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlci.cloud.hosting.processes import ServerProcess
from mlci.cloud.hosting.router import Instance, Routing, RoutingError, VariantRoute


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[list[Instance]]:
    """Three instances backed by real (sleeping) processes."""
    made = []
    for number in range(3):
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        server = ServerProcess(
            process, tmp_path / f"{number}.port", tmp_path / f"{number}.log", 9000 + number
        )
        made.append(Instance(f"v-{number}", server))
    yield made
    for instance in made:
        instance.server.process.kill()
        instance.server.process.wait()


def _routing(weights: dict[str, float]) -> Routing:
    return Routing([VariantRoute(name, []) for name in weights], weights)


def test_a_draw_lands_in_its_variants_share_of_the_total() -> None:
    routing = _routing({"Blue": 1.0, "Green": 3.0})
    assert [routing.choose(None, draw).name for draw in (0.0, 0.24, 0.26, 0.5, 0.999)] == [
        "Blue",
        "Blue",
        "Green",
        "Green",
        "Green",
    ]


def test_random_draws_follow_the_weights() -> None:
    routing = _routing({"Blue": 1.0, "Green": 3.0})
    counts = Counter(routing.choose(None).name for _ in range(8000))
    assert 0.22 < counts["Blue"] / 8000 < 0.28


def test_a_variant_of_weight_zero_is_never_drawn() -> None:
    routing = _routing({"A": 0.0, "B": 2.0, "C": 0.0})
    assert {routing.choose(None, i / 100).name for i in range(100)} == {"B"}


def test_every_weight_zero_needs_a_target() -> None:
    routing = _routing({"A": 0.0, "B": 0.0})
    with pytest.raises(RoutingError):
        routing.choose(None, 0.5)
    assert routing.choose("B").name == "B"


def test_target_variant_wins_over_weights_and_unknown_targets_are_refused() -> None:
    routing = _routing({"A": 0.0, "B": 1.0})
    assert routing.choose("A", 0.9).name == "A"
    with pytest.raises(RoutingError, match="Purple"):
        routing.choose("Purple")


def test_new_weights_keep_the_same_servers(instances: list[Instance]) -> None:
    blue = VariantRoute("Blue", instances[:1])
    routing = Routing([blue, VariantRoute("Green", instances[1:])], {"Blue": 1.0, "Green": 1.0})
    changed = routing.with_weights({"Blue": 0.0})
    assert changed.weights == {"Blue": 0.0, "Green": 1.0}
    assert changed.variants["Blue"] is blue
    assert {changed.choose(None, d / 10).name for d in range(10)} == {"Green"}
    assert changed.in_flight == 0 and routing.instances() == instances


def test_the_least_busy_live_server_is_picked(instances: list[Instance]) -> None:
    variant = VariantRoute("AllTraffic", instances)
    instances[0].in_flight, instances[1].in_flight, instances[2].in_flight = 3, 1, 2
    assert variant.pick() is instances[1]
    instances[1].down = True
    assert variant.pick() is instances[2]
    instances[2].server.process.kill()
    instances[2].server.process.wait()
    assert variant.pick() is instances[0]
    instances[0].down = True
    assert variant.pick() is None


def test_equally_busy_servers_take_turns(instances: list[Instance]) -> None:
    variant = VariantRoute("AllTraffic", instances)
    picked = Counter(variant.pick().name for _ in range(30))  # type: ignore[union-attr]
    assert picked == {"v-0": 10, "v-1": 10, "v-2": 10}
