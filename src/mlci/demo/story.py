"""The demo's story as data (chapters of steps, each with what must hold afterwards), and
the runner that plays it through the public `mlci` commands against the private cloud.

Every expectation is checked from the runner's state (`mlci status --json`) or from the
cloud (boto3); the demo fails, and exits non-zero, at the first one that does not hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlci.demo.cloud import PrivateCloud, child_environment
from mlci.demo.progress import Progress
from mlci.demo.repo import DemoError, DemoRepo

RUN_TIMEOUT = 900
ROLE = "arn:aws:iam::{account}:role/sagemaker-execution"
MODELS = ("abalone-model", "churn-model")
RAN = ("success",)  # a job that ran, to the end


@dataclass(frozen=True)
class Expect:
    """What a pipeline looks like after a step. Jobs are named `workflow/job`; a bare
    `workflow` in `absent` means the whole workflow must not exist."""

    status: str
    ran: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    branch: str
    folders: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Run:
    label: str  # how later steps refer to this pipeline
    expect: Expect
    deployed: dict[str, int] = field(default_factory=dict)  # endpoint -> package version


@dataclass(frozen=True)
class Approve:
    label: str
    workflow: str
    expect: Expect
    approved: tuple[str, int] = ("", 0)  # (group, version) now Approved in the registry


@dataclass(frozen=True)
class Merge:
    branch: str


Step = Change | Run | Approve | Merge


@dataclass(frozen=True)
class Chapter:
    title: str
    steps: tuple[Step, ...]


def _model_chapter() -> Chapter:
    branch = "feature/abalone-tuning"
    return Chapter(
        "A change to abalone_model/ only: abalone trains, churn does not",
        (
            Change(branch, ("abalone_model",), "abalone: a change to the model's folder"),
            Run(
                "abalone-branch",
                Expect(
                    "on_hold",
                    ran=("abalone-model/abalone-model-train",),
                    held=("abalone-model/request-deployment",),
                    absent=("churn-model", "abalone-model/abalone-model-deploy"),
                ),
            ),
            Approve(
                "abalone-branch",
                "abalone-model",
                Expect("success", ran=("abalone-model/abalone-model-approve",)),
                approved=("abalone-model", 1),
            ),
            Merge(branch),
            Run(
                "abalone-main",
                Expect(
                    "success",
                    ran=("abalone-model/abalone-model-deploy",),
                    absent=("churn-model", "abalone-model/abalone-model-train"),
                ),
                deployed={"abalone-model": 1},
            ),
        ),
    )


def _common_chapter() -> Chapter:
    branch = "feature/shared-code"
    both = tuple(f"{m}/{m}-train" for m in MODELS)
    return Chapter(
        "A change to common/, which both models import: both train, both deploy",
        (
            Change(branch, ("common",), "common: a change both models depend on"),
            Run(
                "both-branch",
                Expect("on_hold", ran=both, held=tuple(f"{m}/request-deployment" for m in MODELS)),
            ),
            Approve(
                "both-branch",
                "abalone-model",
                Expect("on_hold", ran=("abalone-model/abalone-model-approve",)),
                approved=("abalone-model", 2),
            ),
            Approve(
                "both-branch",
                "churn-model",
                Expect("success", ran=("churn-model/churn-model-approve",)),
                approved=("churn-model", 1),
            ),
            Merge(branch),
            Run(
                "both-main",
                Expect(
                    "success",
                    ran=tuple(f"{m}/{m}-deploy" for m in MODELS),
                    absent=both,
                ),
                deployed={"abalone-model": 2, "churn-model": 1},
            ),
        ),
    )


STORY: tuple[Chapter, ...] = (_model_chapter(), _common_chapter())


class ExpectationFailed(DemoError):
    """A step did not leave things as the story says it must."""


def check_pipeline(pipeline: dict[str, Any], expect: Expect) -> list[str]:
    """The ways `pipeline` (as `mlci status --json` prints it) differs from `expect`."""
    jobs = {
        f"{w['name']}/{j['name']}": j["status"] for w in pipeline["workflows"] for j in w["jobs"]
    }
    workflows = {w["name"] for w in pipeline["workflows"]}
    problems = []
    if pipeline["status"] != expect.status:
        problems.append(
            f"pipeline {pipeline['number']} is {pipeline['status']}, not {expect.status}"
        )
    for name in expect.ran:
        if jobs.get(name) not in RAN:
            problems.append(f"{name} should have run; it is {jobs.get(name, 'absent')}")
    for name in expect.held:
        if jobs.get(name) != "on_hold":
            problems.append(f"{name} should be on hold; it is {jobs.get(name, 'absent')}")
    for name in expect.absent:
        present = name in jobs if "/" in name else name in workflows
        if present:
            problems.append(f"{name} should not have run, but the pipeline has it")
    return problems


def pipeline_jobs_line(pipeline: dict[str, Any]) -> str:
    parts = []
    for workflow in pipeline["workflows"]:
        if workflow["kind"] == "setup":
            continue
        for job in workflow["jobs"]:
            took = f" {job['duration']:.1f}s" if job["duration"] is not None else ""
            parts.append(f"{job['name']} {job['status']}{took}")
    return ", ".join(parts) or "no model workflow"


@dataclass
class Player:
    """Plays the story in `repo` against `cloud`, printing as it goes."""

    repo: DemoRepo
    cloud: PrivateCloud
    progress: Progress
    pipelines: dict[str, int] = field(default_factory=dict)  # label -> pipeline number
    checks: int = 0

    def mlci(self, *args: str, stream: bool = False) -> str:
        """`mlci ARGS` in the repository; its lines printed as they come if `stream`."""
        command = [sys.executable, "-m", "mlci", *args]
        env = child_environment(self.cloud.home)
        if not stream:
            done = subprocess.run(
                command,
                cwd=self.repo.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                raise DemoError(f"mlci {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
            return done.stdout
        return self._streamed(command, env, args)

    def _streamed(self, command: list[str], env: dict[str, str], args: tuple[str, ...]) -> str:
        lines = []
        with subprocess.Popen(
            command,
            cwd=self.repo.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                self.progress.output(lines[-1])
            code = process.wait(timeout=RUN_TIMEOUT)
        if code != 0:
            raise DemoError(f"mlci {' '.join(args)} exited with {code}")
        return "\n".join(lines)

    def status(self, number: int) -> dict[str, Any]:
        return dict(json.loads(self.mlci("status", "--json", str(number))))

    def newest(self) -> int:
        return int(json.loads(self.mlci("status", "--json"))["number"])

    def play(self, story: tuple[Chapter, ...] = STORY) -> None:
        account = self.cloud.account_id()
        self.mlci("env", "set", "SAGEMAKER_EXECUTION_ROLE_ARN", ROLE.format(account=account))
        self.mlci("env", "set", "ENDPOINT_WAIT_DELAY_SECONDS", "1")
        for chapter in story:
            self.progress.chapter(chapter.title)
            for step in chapter.steps:
                self.perform(step)

    def perform(self, step: Step) -> None:
        actions: dict[type, Callable[[Any], None]] = {
            Change: self._change,
            Run: self._run,
            Approve: self._approve,
            Merge: self._merge,
        }
        actions[type(step)](step)

    def _change(self, step: Change) -> None:
        self.progress.step(
            f"git: branch {step.branch}, a commit changing {', '.join(step.folders)}/"
        )
        commit = self.repo.change(step.branch, step.folders, step.note)
        self.progress.note(f"commit {commit[:12]}: {step.note}")

    def _merge(self, step: Merge) -> None:
        self.progress.step(f"git: the review passed; merge {step.branch} into main")
        self.progress.note(f"main is now {self.repo.merge(step.branch)[:12]}")

    def _run(self, step: Run) -> None:
        branch = self.repo.git("rev-parse", "--abbrev-ref", "HEAD")
        self.progress.step(f"mlci run   (on {branch})")
        self.mlci("run", "--aws", "cloud", stream=True)
        number = self.newest()
        self.pipelines[step.label] = number
        self.expect(self.status(number), step.expect)
        for endpoint, version in step.deployed.items():
            self.expect_endpoint(endpoint, version)
            self.show_predictions(number, endpoint)

    def _approve(self, step: Approve) -> None:
        number = self.pipelines[step.label]
        self.progress.step(f"mlci approve {number} {step.workflow}   (a reviewer read the metrics)")
        self.mlci("approve", str(number), step.workflow, "--aws", "cloud", stream=True)
        self.expect(self.status(number), step.expect)
        group, version = step.approved
        if group:
            self.expect_package(group, version, "Approved")

    def expect(self, pipeline: dict[str, Any], expect: Expect) -> None:
        problems = check_pipeline(pipeline, expect)
        if problems:
            for problem in problems:
                self.progress.broken(problem)
            raise ExpectationFailed("; ".join(problems))
        self.held(
            f"pipeline {pipeline['number']} {pipeline['status']}: " + pipeline_jobs_line(pipeline)
        )

    def held(self, text: str) -> None:
        self.checks += 1
        self.progress.held(text)

    def fail(self, problem: str) -> None:
        self.progress.broken(problem)
        raise ExpectationFailed(problem)

    def expect_package(self, group: str, version: int, approval: str) -> None:
        sm = self.cloud.client("sagemaker")
        packages = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        found = {p["ModelPackageVersion"]: p["ModelApprovalStatus"] for p in packages}
        if found.get(version) != approval:
            self.fail(f"{group} v{version} should be {approval}; the registry has {found}")
        self.held(f"registry: {group} v{version} is {approval}")

    def expect_endpoint(self, endpoint: str, version: int) -> None:
        sm = self.cloud.client("sagemaker")
        described = sm.describe_endpoint(EndpointName=endpoint)
        config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
        variant = config["ProductionVariants"][0]
        model = sm.describe_model(ModelName=variant["ModelName"])
        package_arn = model["Containers"][0].get("ModelPackageName", "")
        if described["EndpointStatus"] != "InService" or not package_arn.endswith(f"/{version}"):
            self.fail(
                f"{endpoint} should serve package v{version} InService; it is "
                f"{described['EndpointStatus']} with {package_arn or 'no package'}"
            )
        self.held(
            f"endpoint {endpoint}: InService, config {described['EndpointConfigName']}, "
            f"variant {variant['VariantName']}, package v{version}"
        )

    def show_predictions(self, number: int, endpoint: str) -> None:
        """The deploy job's smoke test: real predictions next to the true labels."""
        log = self.mlci("logs", str(number), f"{endpoint}/{endpoint}-deploy")
        lines = smoke_lines(log)
        if not lines:
            self.fail(f"the deploy job of {endpoint} printed no smoke test")
        self.progress.note(f"predictions of {endpoint} for rows of its test split:")
        for line in lines:
            self.progress.note("  " + line.strip())


def smoke_lines(log: str) -> list[str]:
    """The table the example's smoke test prints (header and rows), from a job log."""
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("smoke test of"):
            table = []
            for row in lines[index + 1 :]:
                if not row.startswith("  "):
                    break
                table.append(row)
            return table
    return []
