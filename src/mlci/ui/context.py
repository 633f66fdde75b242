"""Everything a page handler reaches: one `Dashboard` per `mlci ui`, built at start."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from mlci.pipeline.state import Store
from mlci.sqlite import Database
from mlci.ui.audit import AuditLog
from mlci.ui.auth import Sessions
from mlci.ui.cloud_access import Clients
from mlci.ui.deployments import DeploymentRecord
from mlci.ui.endpoints import ConfigCache
from mlci.ui.registry import RegistryIndex
from mlci.ui.store import open_ui_db


@dataclass
class Dashboard:
    repo: Path
    cloud_home: Path
    port: int  # the port bound (0 in tests that do not check the Host header's port)
    sessions: Sessions
    db: Database
    clients: Clients
    audit: AuditLog = field(init=False)
    registry: RegistryIndex = field(init=False)
    configs: ConfigCache = field(init=False)
    deployments: DeploymentRecord = field(init=False)
    stopping: threading.Event = field(default_factory=threading.Event)
    pipeline_store: Store | None = None  # opened once a pipeline has run here

    def __post_init__(self) -> None:
        self.audit = AuditLog(self.db)
        self.registry = RegistryIndex(self.clients)
        self.configs = ConfigCache()
        self.deployments = DeploymentRecord(self.db)

    def close(self) -> None:
        self.stopping.set()
        self.registry.close()
        if self.pipeline_store is not None:
            self.pipeline_store.close()
        self.db.close()


def build(repo: Path, cloud_home: Path, token: str, user: str, port: int = 0) -> Dashboard:
    return Dashboard(
        repo=repo,
        cloud_home=cloud_home,
        port=port,
        sessions=Sessions(token, user),
        db=open_ui_db(repo),
        clients=Clients(cloud_home),
    )
