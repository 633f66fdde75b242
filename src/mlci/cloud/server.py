"""Assemble the services and serve them with uvicorn on one port."""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
from pathlib import Path

from mlci.cloud import credentials
from mlci.cloud.app import CloudApp
from mlci.cloud.service import Service
from mlci.files import write_atomically

# module that builds each service; each exposes create(home: Path) -> Service
SERVICE_MODULES = (
    "mlci.cloud.services.s3",
    "mlci.cloud.services.sts",
    "mlci.cloud.services.logs",
    "mlci.cloud.services.sagemaker",
    "mlci.cloud.services.runtime",
    "mlci.cloud.services.monitoring",
)
SERVER_FILE = "server.json"


def build_services(home: Path) -> dict[str, Service]:
    services: dict[str, Service] = {}
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for service in module.create(home):
            services[service.name] = service
    return services


def build_app(home: Path) -> CloudApp:
    home.mkdir(parents=True, exist_ok=True)
    creds = credentials.load_or_create(home)
    spool = home / "blobs" / "tmp"
    services = build_services(home)
    spool.mkdir(parents=True, exist_ok=True)
    return CloudApp(creds, services, spool_dir=spool)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def endpoint_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(home: Path, host: str, port: int) -> None:
    """Run in the foreground until SIGINT/SIGTERM; records the bound URL in server.json."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = build_app(home)
    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    info = {
        "pid": os.getpid(),
        "url": endpoint_url(host, actual_port),
        "host": host,
        "port": actual_port,
    }
    write_atomically(home / SERVER_FILE, json.dumps(info))
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        http="httptools",
        loop="uvloop",
        timeout_keep_alive=30,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        (home / SERVER_FILE).unlink(missing_ok=True)
