"""Pipeline values: what CircleCI knows about a pipeline before any job runs.

They are referenced as `<< pipeline.git.branch >>` in config and as `pipeline.git.branch` in
expressions. A value that does not apply (the tag of a branch pipeline) is None: `<< >>` turns
it into an empty string and expressions treat it as undefined.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.pipeline import git


@dataclass(frozen=True)
class PipelineValues:
    number: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    git_branch: str | None = None
    git_tag: str | None = None
    git_revision: str = ""
    git_base_revision: str | None = None
    git_branch_is_default: bool | None = None
    project_git_url: str = ""
    project_type: str = "local"
    trigger_source: str = "local"  # CircleCI: webhook, api, scheduled_pipeline
    schedule_name: str | None = None
    schedule_id: str | None = None

    def environment(self) -> dict[str, Any]:
        """The values by the names config and expressions use."""
        return {
            "pipeline.id": self.id,
            "pipeline.number": self.number,
            "pipeline.git.branch": self.git_branch,
            "pipeline.git.branch.is_default": self.git_branch_is_default,
            "pipeline.git.tag": self.git_tag,
            "pipeline.git.revision": self.git_revision,
            "pipeline.git.base_revision": self.git_base_revision,
            "pipeline.project.git_url": self.project_git_url,
            "pipeline.project.type": self.project_type,
            "pipeline.trigger_source": self.trigger_source,
            "pipeline.schedule.name": self.schedule_name,
            "pipeline.schedule.id": self.schedule_id,
        }

    @classmethod
    def from_repository(
        cls, repo: Path, *, number: int = 1, tag: str | None = None, default_branch: str = "main"
    ) -> PipelineValues:
        """Values for the checked-out revision of a local repository."""
        revision = git.resolve_commit(repo, "HEAD") or ""
        branch = None if tag else git.current_branch(repo)
        return cls(
            number=number,
            git_branch=branch,
            git_tag=tag,
            git_revision=revision,
            git_branch_is_default=None if branch is None else branch == default_branch,
            project_git_url=str(repo),
        )
