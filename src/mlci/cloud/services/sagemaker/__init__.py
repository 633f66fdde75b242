"""SageMaker's control plane (JSON protocol, `X-Amz-Target: SageMaker.<Operation>`).

Each operation module contributes named schema migrations (`MIGRATIONS`) and a handler table
(`handlers(state)`); `create()` merges them into one service over one SQLite database. Adding
operations (training jobs, endpoints, ...) means writing a module and adding one line to
OPERATION_MODULES.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from mlci.cloud.protocols.json_rpc import Handler, JsonRpcService
from mlci.cloud.service import Service
from mlci.cloud.services.sagemaker import (
    endpoint_configs,
    endpoints,
    groups,
    models,
    package_list,
    package_update,
    packages,
    schema,
    tags,
    training_jobs,
)
from mlci.cloud.services.sagemaker.clock import SystemClock
from mlci.cloud.services.sagemaker.state import State
from mlci.sqlite import Database

# Tags come first: every resource table's creation registers its rows with it.
OPERATION_MODULES: tuple[ModuleType, ...] = (
    tags,
    groups,
    packages,
    package_list,
    package_update,
    models,
    endpoint_configs,
    training_jobs,
    endpoints,
)
DATABASE_FILE = "sagemaker.db"


def create(home: Path) -> list[Service]:
    home.mkdir(parents=True, exist_ok=True)
    db = Database(home / DATABASE_FILE, [])
    schema.apply(db, [m for module in OPERATION_MODULES for m in getattr(module, "MIGRATIONS", ())])
    state = State(db=db, clock=SystemClock(), home=home)
    return [JsonRpcService("sagemaker", "sagemaker", merge_handlers(state, OPERATION_MODULES))]


def merge_handlers(state: State, modules: tuple[ModuleType, ...]) -> dict[str, Handler]:
    operations: dict[str, Handler] = {}
    for module in modules:
        for operation, handler in module.handlers(state).items():
            if operation in operations:
                raise RuntimeError(f"SageMaker.{operation} is served by two modules")
            operations[operation] = handler
    return operations
