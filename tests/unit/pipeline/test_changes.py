"""Path filtering on real git repositories, against the path-filtering orb's documented rules."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.pipeline import run_history
from mlci.pipeline.changes import compute_changes, parameters_json
from mlci.pipeline.errors import ConfigError, GitError, PipelineError
from mlci.pipeline.mapping import (
    compile_path_pattern,
    first_matches,
    parse_excludes,
    parse_mapping,
    parse_value,
)

from .gitrepo import GitRepo

ARTICLE_MAPPING = """\
abalone_model/.* deploy-abalone true
churn_model/.* deploy-churn true
"""


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """main: two model folders and a README; nothing else."""
    repository = GitRepo(tmp_path / "repo")
    repository.commit(
        {
            "abalone_model/train_register.py": "train abalone\n",
            "churn_model/train_register.py": "train churn\n",
            "README.md": "models\n",
        },
        "initial",
    )
    return repository


def changes(repo: GitRepo, mapping: str = ARTICLE_MAPPING, **kwargs: object):  # type: ignore[no-untyped-def]
    excludes = kwargs.pop("excludes", "")
    return compute_changes(
        repo.root,
        str(kwargs.pop("base", "main")),
        parse_mapping(mapping),
        parse_excludes(str(excludes)),
        **kwargs,  # type: ignore[arg-type]
    )


# --- which revisions are compared --------------------------------------------------------


def test_branch_compares_with_the_merge_base_not_the_tip_of_main(repo: GitRepo) -> None:
    repo.branch("feature")
    repo.commit({"abalone_model/train_register.py": "better\n"})
    repo.checkout("main")
    repo.commit({"churn_model/train_register.py": "changed on main meanwhile\n"})
    repo.checkout("feature")
    result = changes(repo)
    assert result.comparison.reason == "merge-base"
    assert result.comparison.base == repo.git("merge-base", "main", "feature")
    assert result.parameters == {"deploy-abalone": True}
    assert result.parameters_json() == '{"deploy-abalone": true}'


def test_on_the_base_branch_compares_with_the_parent(repo: GitRepo) -> None:
    repo.commit({"churn_model/train_register.py": "v2\n"})
    repo.commit({"abalone_model/train_register.py": "v2\n"})
    result = changes(repo)
    assert result.comparison.reason == "parent"
    assert result.comparison.base == repo.git("rev-parse", "HEAD~1")
    assert result.parameters == {"deploy-abalone": True}  # the churn commit is not seen


def test_a_merge_into_main_compares_with_the_first_parent(repo: GitRepo) -> None:
    repo.branch("feature")
    repo.commit({"churn_model/data.csv": "1,2\n"})
    repo.checkout("main")
    repo.merge("feature")
    assert changes(repo).parameters == {"deploy-churn": True}


def test_first_commit_compares_with_the_empty_tree(repo: GitRepo) -> None:
    result = changes(repo)
    assert result.comparison.reason == "empty-tree"
    assert result.comparison.base == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    assert "first commit" in result.comparison.note
    assert result.parameters == {"deploy-abalone": True, "deploy-churn": True}


def test_since_last_run_sees_every_commit_of_a_push(repo: GitRepo) -> None:
    pushed_from = repo.head()
    repo.commit({"abalone_model/train_register.py": "v2\n"})
    repo.commit({"churn_model/train_register.py": "v2\n"})
    repo.commit({"README.md": "docs\n"})
    assert changes(repo).parameters == {}  # the orb sees only HEAD~1..HEAD
    run_history.record_successful_pipeline(repo.root, "main", pushed_from)
    last = run_history.last_successful_revision(repo.root, "main")
    result = changes(repo, last_run_revision=last)
    assert result.comparison.reason == "last-run"
    assert result.comparison.base == pushed_from
    assert result.parameters == {"deploy-abalone": True, "deploy-churn": True}


def test_since_last_run_falls_back_to_the_parent_when_history_was_rewritten(
    repo: GitRepo,
) -> None:
    repo.branch("elsewhere")
    orphan = repo.commit({"churn_model/x.py": "x\n"})
    repo.checkout("main")
    repo.commit({"abalone_model/train_register.py": "v2\n"})
    result = changes(repo, last_run_revision=orphan)
    assert result.comparison.reason == "parent"
    assert changes(repo, last_run_revision="no-such-revision").comparison.reason == "parent"


def test_since_last_run_does_not_apply_off_the_base_branch(repo: GitRepo) -> None:
    start = repo.head()
    repo.branch("feature")
    repo.commit({"abalone_model/a.py": "a\n"})
    result = changes(repo, last_run_revision=start)
    assert result.comparison.reason == "merge-base"


def test_base_branch_only_on_the_remote_is_found(repo: GitRepo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.root), str(clone)], check=True)
    cloned = GitRepo.__new__(GitRepo)
    cloned.root = clone
    cloned.branch("feature")
    cloned.git("branch", "-D", "main")
    cloned.commit({"churn_model/y.py": "y\n"})
    result = changes(cloned)
    assert result.comparison.note == "merge-base of origin/main and HEAD"
    assert result.parameters == {"deploy-churn": True}


def test_unknown_base_head_and_unrelated_history_are_errors(repo: GitRepo) -> None:
    with pytest.raises(GitError, match="base revision 'develop' is not a branch, tag or commit"):
        changes(repo, base="develop")
    with pytest.raises(GitError, match="head revision 'nope' is not a commit"):
        changes(repo, head="nope")
    repo.git("checkout", "-q", "--orphan", "unrelated")
    repo.commit({"other/file.txt": "x\n"})
    with pytest.raises(GitError, match="main and HEAD have no common history"):
        changes(repo)


def test_shallow_clone_of_main_compares_with_the_empty_tree(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit({"abalone_model/train_register.py": "v2\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True
    )
    result = compute_changes(clone, "main", parse_mapping(ARTICLE_MAPPING))
    assert result.comparison.reason == "empty-tree"
    assert "shallow clone" in result.comparison.note
    assert result.parameters == {"deploy-abalone": True, "deploy-churn": True}


def test_shallow_clone_without_the_merge_base_says_to_fetch_more(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.branch("feature")
    repo.commit({"abalone_model/a.py": "1\n"})
    repo.commit({"abalone_model/a.py": "2\n"})
    repo.checkout("main")
    repo.commit({"churn_model/b.py": "1\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo.root}",
         str(clone)],
        check=True,
    )  # fmt: skip
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "feature"], check=True)
    with pytest.raises(GitError, match=r"shallow clone.*git fetch --unshallow"):
        compute_changes(clone, "main", parse_mapping(ARTICLE_MAPPING))


# --- what counts as changed --------------------------------------------------------------


def test_deleted_files_count(repo: GitRepo) -> None:
    repo.commit({"churn_model/train_register.py": None})
    assert changes(repo).parameters == {"deploy-churn": True}
    assert [c.status for c in changes(repo).changes.entries()] == ["D"]


def test_a_renamed_file_counts_under_its_old_and_new_path(repo: GitRepo) -> None:
    repo.rename("abalone_model/train_register.py", "churn_model/train_abalone.py")
    result = changes(repo)
    assert [(c.status, c.old_path, c.path) for c in result.changes.entries()] == [
        ("R", "abalone_model/train_register.py", "churn_model/train_abalone.py")
    ]
    assert result.considered == (
        "abalone_model/train_register.py",
        "churn_model/train_abalone.py",
    )
    assert result.parameters == {"deploy-abalone": True, "deploy-churn": True}


def test_root_files_can_be_mapped(repo: GitRepo) -> None:
    repo.commit({"README.md": "new\n", "abalone_model/notes.md": "n\n"})
    result = changes(repo, "[^/]+ root-changed true\n.*\\.md docs true\n")
    assert result.parameters == {"root-changed": True, "docs": True}
    assert result.parameter_sources["root-changed"].path == "README.md"
    repo.commit({"abalone_model/notes.md": "again\n"})
    assert changes(repo, "[^/]+ root-changed true\n").parameters == {}


def test_unicode_and_spaced_file_names(repo: GitRepo) -> None:
    repo.commit({"модель/данные 1.csv": "1\n", "模型/训练.py": "x\n"})
    mapping = "модель/.* russian true\n模型/训练\\.py chinese true\nabalone_model/.* a true\n"
    result = changes(repo, mapping)
    assert result.parameters == {"russian": True, "chinese": True}
    assert result.parameter_sources["russian"].path == "модель/данные 1.csv"
    assert '"russian": true' in result.parameters_json()


def test_no_match_is_an_empty_object_not_a_failure(repo: GitRepo) -> None:
    repo.commit({"README.md": "only docs\n"})
    result = changes(repo)
    assert result.parameters == {}
    assert result.parameters_json() == "{}"
    assert [m.path for m in result.matches] == [None, None]


# --- mapping semantics -------------------------------------------------------------------


def test_regexes_must_match_the_whole_path(repo: GitRepo) -> None:
    repo.commit({"abalone_model/train_register.py": "v2\n"})
    assert changes(repo, "abalone x true\n").parameters == {}
    assert changes(repo, "model/.* x true\n").parameters == {}
    assert changes(repo, "abalone_model/train.* x true\n").parameters == {"x": True}
    # the whole alternation is anchored, not just its first and last branch
    assert changes(repo, "nothing|abalone x true\n").parameters == {}
    assert changes(repo, "nothing|abalone_model/.* x true\n").parameters == {"x": True}


def test_values_are_json_when_they_parse_else_strings(repo: GitRepo) -> None:
    repo.commit({"abalone_model/a.py": "v2\n"})
    mapping = "\n".join(
        [
            "abalone_model/.* flag true",
            "abalone_model/.* off false",
            "abalone_model/.* count 3",
            'abalone_model/.* quoted "text"',
            "abalone_model/.* bare word",
            'abalone_model/.* object {"k":1}',
            "abalone_model/.* nan NaN",
            "abalone_model/.* nothing null",
        ]
    )
    result = changes(repo, mapping)
    assert result.parameters == {
        "flag": True,
        "off": False,
        "count": 3,
        "quoted": "text",
        "bare": "word",
        "object": {"k": 1},
        "nan": "NaN",
        "nothing": None,
    }
    assert result.parameters_json().startswith('{"flag": true, "off": false, "count": 3')


def test_the_last_matching_line_wins(repo: GitRepo) -> None:
    repo.commit({"abalone_model/a.py": "v2\n"})
    mapping = (
        'abalone_model/.* target "first"\n'
        'churn_model/.* target "unmatched"\n'
        'abalone_model/a\\.py target "last"\n'
    )
    result = changes(repo, mapping)
    assert result.parameters == {"target": "last"}
    assert result.parameter_sources["target"].rule.line == 3


def test_one_to_four_field_lines(repo: GitRepo) -> None:
    repo.commit({"abalone_model/a.py": "v2\n", "churn_model/b.py": "v2\n"})
    mapping = """\
# comment lines and blank lines are skipped

abalone_model/.*
abalone_model/.* .circleci/abalone.yml
churn_model/.* deploy-churn true
churn_model/.* deploy-churn-too 1 .circleci/churn.yml
abalone_model/.* again true .circleci/abalone.yml
docs/.* docs true .circleci/docs.yml
"""
    result = changes(repo, mapping, config_path=".circleci/fallback.yml")
    assert [m.rule.line for m in result.matches if m.path] == [3, 4, 5, 6, 7]
    assert result.parameters == {"deploy-churn": True, "deploy-churn-too": 1, "again": True}
    assert result.config_files == (".circleci/abalone.yml", ".circleci/churn.yml")
    plain = changes(repo, "abalone_model/.* a true\n", config_path=".circleci/fallback.yml")
    assert plain.config_files == (".circleci/fallback.yml",)


def test_excludes_drop_files_before_matching(repo: GitRepo) -> None:
    repo.commit({"abalone_model/README.md": "docs\n", "churn_model/model.py": "code\n"})
    result = changes(repo, excludes=".*\\.md\n\n")
    assert result.parameters == {"deploy-churn": True}
    assert [(path, rule.location.line) for path, rule in result.excluded] == [
        ("abalone_model/README.md", 1)
    ]
    assert result.considered == ("churn_model/model.py",)


# --- bad input ---------------------------------------------------------------------------


def test_every_bad_mapping_line_is_reported_with_file_line_and_column() -> None:
    text = "ok/.* a true\n\n  bad(/.* b true\nx y z w v\n[z-a] c 1\n"
    with pytest.raises(ConfigError) as caught:
        parse_mapping(text, ".circleci/mapping.txt")
    messages = [str(problem) for problem in caught.value.problems]
    assert len(messages) == 3
    assert messages[0].startswith("invalid mapping regex 'bad(/.*': missing ), unterminated")
    assert messages[0].endswith(".circleci/mapping.txt:3:6")
    assert messages[1] == (
        "a mapping line has 1 to 4 fields (path-regex [parameter value] [config-file]),"
        " this one has 5, .circleci/mapping.txt:4:1"
    )
    assert messages[2].startswith("invalid mapping regex '[z-a]': bad character range z-a")
    assert messages[2].endswith(".circleci/mapping.txt:5:2")


def test_bad_exclude_regex_is_reported() -> None:
    with pytest.raises(
        ConfigError, match=r"invalid exclude regex '\*\.md': nothing to repeat.*, --exclude:2:1"
    ):
        parse_excludes("docs/.*\n*.md\n", "--exclude")


def test_corrupt_history_file_is_an_error(repo: GitRepo) -> None:
    path = run_history.history_file(repo.root)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"cannot read .*last-successful\.json"):
        run_history.last_successful_revision(repo.root, "main")
    path.write_text('{"something": 1}', encoding="utf-8")
    with pytest.raises(PipelineError, match="has no 'branches' object"):
        run_history.last_successful_revision(repo.root, "main")
    path.unlink()
    assert run_history.last_successful_revision(repo.root, "main") is None


# --- the fast matcher agrees with the regex engine ---------------------------------------

SEGMENTS = st.sampled_from(["a", "b", "ab", "a.b", "x-y", "model_1", "é", "", "a\nb"])
PATTERNS = st.sampled_from(
    ["a/.*", "a", "a\\.b/.*", "ab?/.*", "a.b", "ab*", "a|b/.*", "(a|b)/.*", "[^/]+", "a/.*\\.py",
     "ab+", "model_\\d/.*", "(?i)A/.*", "é/.*", "a\\-?b", ".*", "x-y/.*/ab"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(PATTERNS, st.lists(SEGMENTS, min_size=1, max_size=3))
def test_fast_matching_equals_regex_fullmatch(pattern: str, segments: list[str]) -> None:
    path = "/".join(segments)
    compiled = compile_path_pattern(pattern)
    assert compiled.matches(path) == (re.fullmatch(pattern, path) is not None)
    assert compiled.first_match(sorted([path, "zzz", "0"])) == next(
        (p for p in sorted([path, "zzz", "0"]) if re.fullmatch(pattern, p)), None
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERNS, max_size=6), st.lists(st.lists(SEGMENTS, min_size=1, max_size=3)))
def test_matching_many_patterns_at_once_answers_as_each_one_alone(
    patterns: list[str], paths: list[list[str]]
) -> None:
    compiled = [compile_path_pattern(pattern) for pattern in patterns]
    ordered = sorted({"/".join(segments) for segments in paths})
    assert first_matches(compiled, ordered) == [p.first_match(ordered) for p in compiled]


# --- values and the parameters JSON, read and written without loading json ------------------


def json_or_text(raw: str) -> object:
    """The orb's reading of a mapping value, with json itself."""

    def reject(name: str) -> object:
        raise ValueError(name)

    try:
        return json.loads(raw, parse_constant=reject)
    except ValueError:
        return raw


VALUE_TEXTS = st.one_of(
    st.sampled_from(["true", "false", "null", "0", "-0", "01", "-1", "12", "1.5", "1e3", "NaN",
                     "-Infinity", '"x"', "[1]", '{"a":1}', "tru", "nul", "-", "²", "٣", "x"]),
    st.text(alphabet="0123456789-+.eE", min_size=1, max_size=5),
    st.text(min_size=1, max_size=8).filter(lambda text: not any(c.isspace() for c in text)),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(VALUE_TEXTS)
def test_a_value_reads_as_json_reads_it(raw: str) -> None:
    value = parse_value(raw)
    expected = json_or_text(raw)
    assert (type(value), value) == (type(expected), expected)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(), JSON_VALUES, max_size=5))
def test_the_parameters_json_is_what_json_dumps_writes(parameters: dict[str, object]) -> None:
    assert parameters_json(parameters) == json.dumps(parameters)
