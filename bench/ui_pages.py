"""Server time of the dashboard's main pages with 1,000 pipelines and 1,000 model packages.

A cloud (`mlci cloud start`) gets one model package group of 1,000 versions, each with a
model-quality statistics file in S3 (so the group page plots 1,000 points); the pipeline state
gets 1,000 finished pipelines through the runner's Store. The dashboard runs in this process
on uvicorn; each figure is the Server-Timing it reports (the time from the request reaching
the app to its response starting), median and worst of the runs, cold (first load after
start) and warm (the registry index filled, as `mlci ui`'s background pass keeps it).

    python bench/ui_pages.py [--pipelines 1000] [--packages 1000] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from report import machine, table
from servers import Server, start_mlci

from mlci.pipeline.state import FAILED, SUCCESS, NewPipeline, Store
from mlci.ui.app import create_app
from mlci.ui.context import build
from mlci.ui.serve import bind

GROUP = "bench-model"
TOKEN = "bench-token"


def clients(server: Server) -> tuple[Any, Any]:
    kwargs: dict[str, Any] = {
        "endpoint_url": server.url,
        "aws_access_key_id": server.access_key,
        "aws_secret_access_key": server.secret_key,
        "region_name": "us-east-1",
        "config": Config(s3={"addressing_style": "path"}, max_pool_connections=16),
    }
    return boto3.client("sagemaker", **kwargs), boto3.client("s3", **kwargs)


def seed_registry(sm: Any, s3: Any, count: int) -> None:
    s3.create_bucket(Bucket="bench-metrics")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    for index in range(count):
        key = f"{index}/statistics.json"
        rmse = 2.0 + (index % 37) / 50
        document = {"regression_metrics": {"rmse": {"value": rmse, "standard_deviation": "NaN"}}}
        s3.put_object(Bucket="bench-metrics", Key=key, Body=json.dumps(document).encode())
        sm.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelPackageDescription=f"version {index + 1}",
            InferenceSpecification={
                "Containers": [{"Image": "x/sagemaker-xgboost:1.7-1", "ModelDataUrl": "s3://b/m"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": f"s3://bench-metrics/{key}",
                    }
                }
            },
            CustomerMetadataProperties={"git_commit": f"{index:040x}"},
        )


def seed_pipelines(repo: Path, count: int) -> None:
    store = Store(repo)
    for index in range(count):
        row = store.create_pipeline(
            NewPipeline(
                str(uuid.uuid4()), f"branch-{index}", None, f"{index:040x}", False, "c.yml", {}
            ),
            lambda number: {"pipeline.number": number},
        )
        store.mark_main_created(row.number)
        workflow = store.create_workflow(row.number, "model", "main", [("train", "build")] * 1)
        for job in store.jobs(workflow.id):
            store.start_job(job.build_num)
            store.finish_job(job.build_num, FAILED if index % 7 == 0 else SUCCESS)
        store.set_workflow_status(workflow.id, FAILED if index % 7 == 0 else SUCCESS)
    store.close()


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.cookie = ""

    def login(self) -> None:
        body = urllib.parse.urlencode({"token": TOKEN, "name": "bench"}).encode()
        request = urllib.request.Request(self.base + "/login", data=body, method="POST")
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            opener.open(request)
        except urllib.error.HTTPError as answer:  # the 303 to the next page
            self.cookie = answer.headers["set-cookie"].split(";")[0]

    def server_ms(self, path: str) -> float:
        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
            timing = response.headers["server-timing"]
        return float(timing.split("dur=")[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipelines", type=int, default=1000)
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    server = start_mlci()
    repo = Path(tempfile.mkdtemp(prefix="mlci-ui-bench-"))
    try:
        started = time.perf_counter()
        seed_registry(*clients(server), args.packages)
        seed_pipelines(repo, args.pipelines)
        print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        report(server, repo, args.runs)
    finally:
        server.stop()


def report(server: Server, repo: Path, runs: int) -> None:
    import uvicorn

    sock = bind(0)
    port = sock.getsockname()[1]
    dash = build(repo, server.home, TOKEN, "bench", port=port)
    app = create_app(dash)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not uv.started:
        time.sleep(0.01)
    browser = Browser(f"http://127.0.0.1:{port}")
    browser.login()
    pages = [
        "/pipelines",
        "/pipelines/1000",
        "/registry",
        f"/registry/{GROUP}",
        f"/registry/{GROUP}?page=20",
        f"/registry/{GROUP}/1000",
        "/endpoints",
        "/audit",
    ]
    cold = {page: browser.server_ms(page) for page in pages}
    dash.registry.refresh_all()  # what the background pass of `mlci ui` does every few seconds
    rows = []
    for page in pages:
        times = [browser.server_ms(page) for _ in range(runs)]
        rows.append(
            [
                f"`{page}`",
                f"{cold[page]:.0f}",
                f"{statistics.median(times):.1f}",
                f"{max(times):.1f}",
            ]
        )
    uv.should_exit = True
    dash.close()
    print(f"{machine()}; {runs} warm runs per page")
    print(table(["page", "cold ms", "warm median ms", "warm max ms"], rows))


if __name__ == "__main__":
    main()
