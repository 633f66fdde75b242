"""What the endpoints serve right now: endpoint -> variants -> model packages.

Also where the dashboard notices deployments: every endpoint it describes InService is
offered to the deployment record (the watcher thread of `mlci ui` does the same every few
seconds), so roll-back knows what served before.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

from mlci.ui.context import Dashboard
from mlci.ui.endpoints import EndpointInfo, endpoint_info, list_endpoint_names

_PACKAGE_ARN = re.compile(r"^arn:[^:]+:sagemaker:[^:]*:\d*:model-package/([^/]+)/(\d+)$")
WATCH_SECONDS = 2.0  # endpoints: often, so a deployment is recorded before the next one
REGISTRY_EVERY = 5  # the registry pass (10 calls per 1,000 versions) every fifth tick


def package_version(arn: str) -> tuple[str, int] | None:
    """(group, version) from a versioned package ARN (lower-cased, as SageMaker issues them)."""
    match = _PACKAGE_ARN.match(arn)
    return (match.group(1), int(match.group(2))) if match else None


def describe(dash: Dashboard, name: str) -> EndpointInfo:
    sm = dash.clients.sagemaker()
    described = sm.describe_endpoint(EndpointName=name)
    dash.deployments.observe(sm, described)
    config_name = described.get("EndpointConfigName", "")
    config = dash.configs.get(
        sm, config_name, dash.deployments.snapshot_of(described["EndpointName"], config_name)
    )
    return endpoint_info(described, config)


def all_endpoints(dash: Dashboard) -> list[EndpointInfo]:
    from botocore.exceptions import ClientError

    found = []
    for name in list_endpoint_names(dash.clients.sagemaker()):
        try:
            found.append(describe(dash, name))
        except ClientError:
            continue  # deleted between the listing and now
    return found


def deployed_versions(dash: Dashboard, group: str) -> dict[str, tuple[int, str]]:
    """endpoint -> (version, package ARN) of `group` it serves (its heaviest such variant)."""
    served: dict[str, tuple[int, str]] = {}
    for endpoint in all_endpoints(dash):
        if endpoint.config is None:
            continue
        weights: list[tuple[float, int, str]] = []
        for variant in endpoint.config.variants:
            parsed = package_version(variant.package_arn)
            if parsed and parsed[0] == group.lower():
                weight = float(endpoint.current.get(variant.name, {}).get("CurrentWeight", 1.0))
                weights.append((weight, parsed[1], variant.package_arn))
        if weights:
            _, number, arn = max(weights)
            served[endpoint.name] = (number, arn)
    return served


def start(dash: Dashboard) -> threading.Thread:
    """What `mlci ui` does before it listens: make the boto3 clients (~0.25 s, most of it
    reading SageMaker's service model) so that no page pays for them, then start the watcher,
    whose first pass fills the registry index in the background (a few seconds for 1,000
    packages; a page asked for meanwhile has its own rows read first, see registry.py)."""
    prepare(dash)
    return watch(dash)


def watch(dash: Dashboard) -> threading.Thread:
    """A daemon thread: record deployments as they happen, refresh the registry index."""

    def loop() -> None:
        tick = 0
        while True:
            watch_once(dash, registry=tick % REGISTRY_EVERY == 0)
            tick += 1
            if dash.stopping.wait(WATCH_SECONDS):
                return

    thread = threading.Thread(target=loop, name="ui-watch", daemon=True)
    thread.start()
    return thread


def prepare(dash: Dashboard) -> None:
    """Make the boto3 clients pages use (nothing to do if the cloud is not up yet)."""
    from botocore.exceptions import BotoCoreError

    from mlci.ui.cloud_access import CloudUnavailable

    # If it fails, they are made on first use instead.
    with contextlib.suppress(CloudUnavailable, BotoCoreError, OSError):
        dash.clients.prepare()


def watch_once(dash: Dashboard, registry: bool = True) -> None:
    from concurrent.futures import CancelledError

    from botocore.exceptions import BotoCoreError, ClientError

    from mlci.ui.cloud_access import CloudUnavailable
    from mlci.ui.detail_reader import ReaderClosed

    try:
        all_endpoints(dash)
        if registry:
            dash.registry.refresh_all()
    except (CloudUnavailable, ReaderClosed, CancelledError):
        pass  # not up yet (the next pass tries again), or the dashboard is stopping
    except (BotoCoreError, ClientError, OSError):
        dash.clients.forget()  # the cloud restarted elsewhere, or is gone: look again


def variant_rows(info: EndpointInfo) -> list[dict[str, Any]]:
    """One row per variant: configured and current weight, count, package (group, version)."""
    rows = []
    for variant in info.config.variants if info.config else ():
        current = info.current.get(variant.name, {})
        rows.append(
            {
                "variant": variant,
                "weight": current.get("CurrentWeight", variant.weight),
                "instances": current.get("CurrentInstanceCount", variant.instance_count),
                "package": package_version(variant.package_arn),
            }
        )
    return rows
