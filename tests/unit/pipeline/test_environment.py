"""Environment levels, what a job inherits from your session, built-ins, masking."""

from __future__ import annotations

from mlci.pipeline.environment import (
    MASK,
    JobIdentity,
    Masker,
    builtin_variables,
    layered,
    session_environment,
)
from mlci.pipeline.setup_run import expand_variables


def test_later_levels_win() -> None:
    assert layered({"A": "1", "B": "1"}, {"B": "2"}, {"C": "3"}) == {"A": "1", "B": "2", "C": "3"}


def test_a_job_keeps_only_the_session_variables_it_needs() -> None:
    session = {
        "PATH": "/bin",
        "HOME": "/home/me",
        "LC_ALL": "C.UTF-8",
        "PIP_INDEX_URL": "http://mirror",
        "AWS_PROFILE": "prod",
        "DJANGO_SETTINGS": "x",
    }
    assert session_environment(session, real_aws=False) == {
        "PATH": "/bin",
        "HOME": "/home/me",
        "LC_ALL": "C.UTF-8",
        "PIP_INDEX_URL": "http://mirror",
    }
    assert session_environment(session, real_aws=True)["AWS_PROFILE"] == "prod"


def test_builtins() -> None:
    identity = JobIdentity(
        branch="feature", tag=None, revision="abc", build_num=7, job_name="train",
        workflow_id="w", workflow_job_id="j", pipeline_number=3, repository_url="/r",
        project_name="r", username="me", working_directory="/s/project",
    )  # fmt: skip
    variables = builtin_variables(identity)
    assert variables["CI"] == variables["CIRCLECI"] == "true"
    assert variables["CIRCLE_BRANCH"] == "feature"
    assert variables["CIRCLE_BUILD_NUM"] == "7"
    assert variables["CIRCLE_JOB"] == "train"
    assert "CIRCLE_TAG" not in variables
    tagged = builtin_variables(identity._replace(branch=None, tag="v1"))
    assert tagged["CIRCLE_TAG"] == "v1" and "CIRCLE_BRANCH" not in tagged


def test_masking_longest_first_and_short_values_left_alone() -> None:
    masker = Masker(["abc", "token-1234", "token-1234-extended", "p|a.s*s"])
    assert masker.mask("x token-1234-extended y token-1234 z abc") == (f"x {MASK} y {MASK} z abc")
    assert masker.mask("regex chars p|a.s*s stay literal: pXa.s") == (
        f"regex chars {MASK} stay literal: pXa.s"
    )
    assert masker.with_secrets(["more-secret"]).mask("more-secret token-1234") == f"{MASK} {MASK}"
    assert not Masker(["ab"])
    assert Masker().mask("unchanged") == "unchanged"


def test_expand_variables_as_circleci_env_subst() -> None:
    env = {"BASE": "main", "X": "1"}
    assert expand_variables("$BASE-${X}-$MISSING.", env) == "main-1-."
