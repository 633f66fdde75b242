"""Server time of the dashboard's main pages with 1,000 pipelines and 1,000 model packages.

A cloud (`mlci cloud start`) gets one model package group of 1,000 versions, each with a
model-quality statistics file in S3 (so the group page plots 1,000 points); the pipeline state
gets 1,000 finished pipelines through the runner's Store. The dashboard runs in this process
on uvicorn with the watcher thread `mlci ui` starts (it makes the boto3 clients and fills the
registry index at start); each figure is the Server-Timing it reports (the time from the
request reaching the app to its response starting). Three sets:

- "at start": each page asked for right after the dashboard started, one after the other,
  while the start-up fill is still running (no human logs in that fast): the page's own rows
  are read ahead of the fill, waited for up to ROWS_WAIT_SECONDS; rows not read by then are
  counted (the page says they are still being read);
- "first load": a second dashboard, started and left to finish its start-up fill (its
  duration is printed), then each page's first load;
- warm: median and worst of `--runs` further loads.

    python bench/ui_pages.py [--pipelines 1000] [--packages 1000] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
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

from report import machine, table
from servers import Server, start_mlci

from mlci.pipeline.state import FAILED, SUCCESS, NewPipeline, Store
from mlci.ui.app import create_app
from mlci.ui.context import Dashboard, build
from mlci.ui.serve import bind
from mlci.ui.serving import start

GROUP = "bench-model"
TOKEN = "bench-token"


def clients(server: Server) -> tuple[Any, Any]:
    return (
        server.client("sagemaker", max_pool_connections=16),
        server.client("s3", max_pool_connections=16),
    )


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
        return self.load(path)[0]

    def load(self, path: str) -> tuple[float, str]:
        """(server ms, page text)"""
        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
            timing = response.headers["server-timing"]
        return float(timing.split("dur=")[1]), text


def unread(text: str) -> str:
    """What the page says it has not read yet: rows of the table, points of the plot."""
    found = []
    rows = re.search(r"The details of (\d+) version", text)
    if rows:
        found.append(f"{rows.group(1)} rows")
    points = re.search(r"The metrics of (\d+) older", text)
    if points:
        found.append(f"{points.group(1)} plot points")
    return ", ".join(found) or "none"


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
        shutil.rmtree(repo, ignore_errors=True)


PAGES = [
    "/pipelines",
    "/pipelines/1000",
    "/registry",
    f"/registry/{GROUP}",
    f"/registry/{GROUP}?page=20",
    f"/registry/{GROUP}/1000",
    "/endpoints",
    "/audit",
]


class RunningDashboard:
    """What `mlci ui` runs: the app on uvicorn and the watcher thread, started together."""

    def __init__(self, server: Server, repo: Path) -> None:
        import uvicorn

        assert server.home is not None
        sock = bind(0)
        port = sock.getsockname()[1]
        self.dash: Dashboard = build(repo, server.home, TOKEN, "bench", port=port)
        self.uv = uvicorn.Server(
            uvicorn.Config(create_app(self.dash), log_level="warning", lifespan="off")
        )
        self.started = time.perf_counter()
        start(self.dash)
        self.prepared = time.perf_counter() - self.started
        threading.Thread(target=self.uv.run, kwargs={"sockets": [sock]}, daemon=True).start()
        while not self.uv.started:
            time.sleep(0.01)
        self.browser = Browser(f"http://127.0.0.1:{port}")
        self.browser.login()

    def fill_seconds(self) -> float:
        """Wait for the start-up fill; seconds from start to its end."""
        self.dash.registry.filled.wait(600)
        return time.perf_counter() - self.started

    def stop(self) -> None:
        self.uv.should_exit = True
        time.sleep(0.2)
        self.dash.close()


def report(server: Server, repo: Path, runs: int) -> None:
    first = RunningDashboard(server, repo)
    at_start = {page: first.browser.load(page) for page in PAGES}
    first_fill = first.fill_seconds()
    first.stop()
    time.sleep(1)  # the first dashboard's threads wind down

    second = RunningDashboard(server, repo)
    fill = second.fill_seconds()
    cold = {page: second.browser.server_ms(page) for page in PAGES}
    rows = []
    for page in PAGES:
        times = [second.browser.server_ms(page) for _ in range(runs)]
        start_ms, start_text = at_start[page]
        rows.append(
            [
                f"`{page}`",
                f"{start_ms:.0f}",
                unread(start_text),
                f"{cold[page]:.0f}",
                f"{statistics.median(times):.1f}",
                f"{max(times):.1f}",
            ]
        )
    second.stop()
    print(f"{machine()}; {runs} warm runs per page")
    print(
        f"clients made before listening: {second.prepared * 1000:.0f} ms; start-up fill "
        f"(registry listed and every package read): {fill:.1f} s alone, "
        f"{first_fill:.1f} s with the at-start loads during it"
    )
    header = ["page", "at start ms", "not read yet", "first load ms", "warm median", "warm max"]
    print(table(header, rows))


if __name__ == "__main__":
    main()
