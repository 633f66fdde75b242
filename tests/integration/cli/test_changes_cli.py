"""`mlci changes` as a user runs it, on a copy of the article's repository layout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlci.pipeline import run_history
from tests.unit.pipeline.gitrepo import GitRepo

ARTICLE = Path(__file__).resolve().parents[2] / "fixtures" / "article" / ".circleci"


def mlci(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlci", "changes", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """The article's monorepo: its two configs and two model folders, on a feature branch."""
    repository = GitRepo(tmp_path / "monorepo")
    shutil.copytree(ARTICLE, repository.root / ".circleci")
    repository.git("add", ".circleci")
    repository.commit(
        {"abalone_model/train_register.py": "1\n", "churn_model/train_register.py": "1\n"},
        "initial",
    )
    repository.branch("feature")
    repository.commit({"abalone_model/train_register.py": "2\n"}, "tune abalone")
    return repository


def test_json_prints_exactly_the_parameters_object(repo: GitRepo) -> None:
    result = mlci(repo.root, "--json")
    assert result.stdout == '{"deploy-abalone": true}\n'
    assert result.stderr == ""


def test_settings_come_from_the_setup_config_by_default(repo: GitRepo) -> None:
    out = mlci(repo.root).stdout.splitlines()
    assert out[0].startswith("Comparing ") and out[0].endswith("(merge-base of main and HEAD)")
    assert out[1:] == [
        "1 files changed (1 modified)",
        "  deploy-abalone = true",
        "Continue with: .circleci/dynamic_config.yml",
    ]


def test_explain_says_which_file_set_which_parameter(repo: GitRepo) -> None:
    repo.commit({"abalone_model/deploy.py": "d\n", "docs/readme.md": "x\n"}, "more")
    out = mlci(repo.root, "--explain", "--exclude", "docs/.*").stdout
    assert "Settings from .circleci/config.yml, job path-filtering/filter" in out
    assert "3 files changed (2 added, 1 modified), 1 excluded" in out
    assert "  excluded docs/readme.md by --exclude:1:1 'docs/.*'" in out
    assert (
        "  deploy-abalone = true  ← .circleci/config.yml (path-filtering/filter mapping):1:1"
        " 'abalone_model/.*' matched abalone_model/deploy.py"
    ) in out
    assert (
        "Mapping lines that matched nothing:\n  line 2 'churn_model/.*' → deploy-churn true" in out
    )


def test_mapping_text_or_file_and_output_file(repo: GitRepo, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.txt"
    mapping.write_text('# models\nabalone_model/.* model "abalone"\n', encoding="utf-8")
    output = tmp_path / "out" / "pipeline-parameters.json"
    result = mlci(repo.root, "--mapping", str(mapping), "--json", "--output", str(output))
    assert json.loads(result.stdout) == {"model": "abalone"}
    assert output.read_text(encoding="utf-8") == '{"model": "abalone"}'
    text = mlci(repo.root, "--mapping", "churn_model/.* churn true", "--json").stdout
    assert text == "{}\n"


def test_since_last_run_on_the_base_branch(repo: GitRepo) -> None:
    repo.checkout("main")
    last_success = repo.head()
    repo.commit({"churn_model/train_register.py": "2\n"}, "churn")
    repo.commit({"abalone_model/train_register.py": "3\n"}, "abalone")
    assert mlci(repo.root, "--json").stdout == '{"deploy-abalone": true}\n'
    run_history.record_successful_pipeline(repo.root, "main", last_success)
    both = mlci(repo.root, "--json", "--since-last-run").stdout
    assert json.loads(both) == {"deploy-abalone": True, "deploy-churn": True}


def test_errors_are_one_message_and_exit_1_with_nothing_written(
    repo: GitRepo, tmp_path: Path
) -> None:
    output = tmp_path / "never.json"
    bad = mlci(
        repo.root, "--mapping", "ok/.* a true\n(broken b true", "--output", str(output), check=False
    )
    assert bad.returncode == 1
    assert "invalid mapping regex '(broken': missing ), unterminated subpattern" in bad.stderr
    assert "--mapping:2:" in bad.stderr
    assert not output.exists()
    missing = mlci(repo.root, "--base", "develop", "--json", check=False)
    assert missing.returncode == 1 and missing.stdout == ""
    assert "base revision 'develop' is not a branch, tag or commit" in missing.stderr
    both = mlci(repo.root, "--json", "--explain", check=False)
    assert both.returncode == 2 and "--json prints only the parameters" in both.stderr


def test_without_a_setup_config_a_mapping_is_required(tmp_path: Path) -> None:
    bare = GitRepo(tmp_path / "bare")
    bare.commit({"a.txt": "a\n"})
    result = mlci(bare.root, check=False)
    assert result.returncode == 1
    assert "no mapping given and no setup config at .circleci/config.yml" in result.stderr


def test_a_broken_setup_config_reports_its_problems(repo: GitRepo) -> None:
    config = repo.root / ".circleci" / "config.yml"
    config.write_text(config.read_text().replace("base-revision: main", "base-revison: main"))
    result = mlci(repo.root, check=False)
    assert result.returncode == 1
    assert "job 'path-filtering/filter' has no parameter 'base-revison'" in result.stderr
    assert ".circleci/config.yml:14:11" in result.stderr


def test_changes_does_not_import_the_cloud_or_boto3() -> None:
    code = (
        "import sys; from mlci.cli import main\n"
        "try:\n    main(['changes', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')"
        " or m.startswith('mlci.cloud')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_mapping_files_relative_to_the_repository_root_and_unreadable_ones(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.write({".circleci/mapping.txt": "abalone_model/.* from-root-file true\n"})
    subdir = repo.root / "abalone_model"
    result = subprocess.run(
        [sys.executable, "-m", "mlci", "changes", "--mapping", ".circleci/mapping.txt", "--json"],
        cwd=subdir, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout == '{"from-root-file": true}\n'
    (repo.root / "bad.txt").write_bytes(b"\xff\xfe mapping\n")
    unreadable = mlci(repo.root, "--mapping", str(repo.root / "bad.txt"), check=False)
    assert unreadable.returncode == 1 and "cannot read --mapping file" in unreadable.stderr


def test_outside_a_repository(tmp_path: Path) -> None:
    result = mlci(tmp_path, "--mapping", "a/.* a true", check=False)
    assert result.returncode == 1 and "not a git repository" in result.stderr


def test_explain_lists_lines_that_only_choose_a_config(repo: GitRepo) -> None:
    mapping = "abalone_model/.* .circleci/abalone.yml\nabalone_model/.* deploy-abalone true\n"
    out = mlci(repo.root, "--explain", "--mapping", mapping).stdout
    assert (
        "Lines without a parameter that matched:\n"
        "  line 1 'abalone_model/.*' (config .circleci/abalone.yml) matched"
        " abalone_model/train_register.py"
    ) in out
    assert out.rstrip().endswith("Continue with: .circleci/abalone.yml")
