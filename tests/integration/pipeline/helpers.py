"""Real repositories and real `mlci` processes for the runner's tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from tests.unit.pipeline.gitrepo import GitRepo

ARTICLE = Path(__file__).resolve().parents[2] / "fixtures" / "article" / ".circleci"

# A model script standing in for the article's train_register.py / deploy.py: it leaves a
# marker saying which job ran, with which environment, and when.
MODEL_SCRIPT = """\
import json, os, pathlib, sys, time
step = sys.argv[1]
marker = pathlib.Path(os.environ["MARKER_DIR"]) / f"{os.environ['MODEL_NAME']}-{step}.json"
keys = ("MODEL_NAME", "MODEL_DESC", "CIRCLE_BRANCH", "CIRCLE_JOB", "CIRCLE_BUILD_NUM")
record = {key: os.environ.get(key) for key in keys}
record["started"] = time.time()
time.sleep(float(os.environ.get("MODEL_SECONDS", "0")))
record["ended"] = time.time()
marker.write_text(json.dumps(record))
print(f"{step} done for {os.environ['MODEL_NAME']}")
"""


def article_continuation() -> str:
    """The article's continuation config with each job's steps replaced by a marker script:
    same parameters, executors, environments, workflows, filters and approvals."""
    config = yaml.safe_load((ARTICLE / "dynamic_config.yml").read_text())
    for name, job in config["jobs"].items():
        folder, step = name.split("-model-")
        command = f"python {folder}_model/job.py {step}"
        job["steps"] = ["checkout", {"run": {"name": f"{step} {folder}", "command": command}}]
    del config["commands"]
    return yaml.safe_dump(config, sort_keys=False)


def mlci_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLCI_"))}
    env["MLCI_HOME"] = str(home)  # an unconfigured cloud: jobs get no AWS endpoint
    env.update(extra)
    return env


class Project:
    """A repository under test plus the `mlci` command run in it."""

    def __init__(self, root: Path, home: Path) -> None:
        self.repo = GitRepo(root)
        self.root = root
        self.home = home
        self.markers = root.parent / f"{root.name}-markers"
        self.markers.mkdir(exist_ok=True)

    def mlci(
        self, *args: str, check: bool = True, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "mlci", *args],
            cwd=self.root,
            env=mlci_env(self.home, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode not in (0,):
            raise AssertionError(
                f"mlci {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def spawn(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "mlci", *args],
            cwd=self.root,
            env=mlci_env(self.home, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def status(self, number: int | None = None) -> dict[str, Any]:
        args = ["status", "--json"] + ([str(number)] if number is not None else [])
        return json.loads(self.mlci(*args).stdout)

    def run_json(self, *args: str, expect: int = 0, **env: str) -> dict[str, Any]:
        result = self.mlci("run", "--json", *args, check=False, **env)
        assert result.returncode == expect, result.stdout + result.stderr
        return json.loads(result.stdout)

    def marker(self, name: str) -> dict[str, Any] | None:
        path = self.markers / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def marker_names(self) -> list[str]:
        return sorted(p.stem for p in self.markers.glob("*.json"))

    def write_config(self, text: str, name: str = ".circleci/config.yml") -> None:
        self.repo.write({name: textwrap.dedent(text)})


def article_project(tmp_path: Path) -> Project:
    """The article's monorepo: both configs, two model folders, committed on main."""
    project = Project(tmp_path / "repo", tmp_path / "cloud-home")
    files = {
        ".circleci/config.yml": (ARTICLE / "config.yml").read_text(),
        ".circleci/dynamic_config.yml": article_continuation(),
        "abalone_model/job.py": MODEL_SCRIPT,
        "churn_model/job.py": MODEL_SCRIPT,
        "README.md": "models\n",
    }
    project.repo.commit(files, "the article's monorepo")
    project.mlci("env", "set", "MARKER_DIR", str(project.markers))
    return project


def jobs_of(status: dict[str, Any]) -> dict[str, str]:
    """workflow/job -> status, for the current attempts."""
    return {
        f"{workflow['name']}/{job['name']}": job["status"]
        for workflow in status["workflows"]
        for job in workflow["jobs"]
    }


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def job_status(project: Project, number: int, name: str) -> str | None:
    """The status of one job, read from state (None until the pipeline exists)."""
    result = project.mlci("status", "--json", str(number), check=False)
    if result.returncode != 0:
        return None
    for workflow in json.loads(result.stdout)["workflows"]:
        for job in workflow["jobs"]:
            if job["name"] == name:
                return str(job["status"])
    return None
