"""Path filtering as circleci/path-filtering does it, plus what the orb gets wrong.

The orb: compare HEAD with the merge-base of the base revision and HEAD; if that is HEAD
itself (building the base branch), compare with HEAD~1, or with the empty tree on a first
commit. Drop changed files matching an `exclude` regex, then, for each mapping line in order,
the line applies if any remaining file matches its regex; a parameter set by several lines
takes the last one's value. The parameters object is what the orb writes to its output file.

Beyond the orb, without changing any of the above: a renamed file counts under its old and
its new path (the orb's `git diff --name-only` shows only the new one); deleted files count;
root files can be mapped like any other; nothing matching is a normal outcome (`{}`); and on
the base branch, `last_run_revision` replaces HEAD~1 so a push of several commits is seen
whole.
"""

from __future__ import annotations

from mlci.named_tuple import NamedTuple
from mlci.pipeline import git, git_commands
from mlci.pipeline.errors import GitError
from mlci.pipeline.git import Diff
from mlci.pipeline.mapping import ExcludeRule, MappingRule, first_exclude, first_matches

TYPE_CHECKING = False  # typing's would load typing: this module is on `mlci changes`'s path
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from mlci.pipeline.git import RepoPath

DEFAULT_CONFIG_PATH = ".circleci/continue_config.yml"


class Comparison(NamedTuple):
    """Which two revisions were compared, and why that base was chosen."""

    base_revision: str  # as the user gave it, e.g. "main"
    base: str  # the commit (or empty tree) diffed against
    head: str
    reason: str  # "merge-base", "parent", "empty-tree" or "last-run"
    note: str  # one human sentence explaining the choice

    def describe(self) -> str:
        return f"Comparing {self.base[:12]}...{self.head[:12]} ({self.note})"


class RuleMatch(NamedTuple):
    """A mapping line and the first changed path (sorted order) it matched, if any."""

    rule: MappingRule
    path: str | None


class ChangesResult(NamedTuple):
    """What path filtering found. The matches are kept as columns (each mapping line, the
    first path it matched, the line each parameter's value came from) and made into RuleMatch
    records only when asked for: `mlci changes --json` on a 2,000-line mapping needs none."""

    comparison: Comparison
    changes: Diff
    considered: tuple[str, ...]  # changed paths left after excludes, sorted
    excluded: tuple[tuple[str, ExcludeRule], ...]
    rules: tuple[MappingRule, ...]  # the mapping, in its order
    first_paths: tuple[str | None, ...]  # per rule: the first path it matched, if any
    parameters: dict[str, Any]
    winners: dict[str, int]  # parameter -> index of the rule whose value it took
    config_files: tuple[str, ...]

    @property
    def matches(self) -> tuple[RuleMatch, ...]:
        """One per mapping line, in mapping order."""
        return tuple(map(RuleMatch, self.rules, self.first_paths))

    @property
    def parameter_sources(self) -> dict[str, RuleMatch]:
        """The line whose value won, per parameter (the last matching line that sets it)."""
        return {
            name: RuleMatch(self.rules[index], self.first_paths[index])
            for name, index in self.winners.items()
        }

    def parameters_json(self) -> str:
        """Exactly what the orb writes to its output-path file: `json.dumps` of the parameters."""
        return parameters_json(self.parameters)


def parameters_json(parameters: dict[str, Any]) -> str:
    """`json.dumps(parameters)`, written out here for the usual keys and values (plain text,
    booleans, whole numbers) so that `mlci changes` need not load json (and `re`) for them."""
    items = []
    for key, value in parameters.items():
        text = _plain_json(value)
        if text is None or not _plain(key):
            import json

            return json.dumps(parameters)
        items.append(f'"{key}": {text}')
    return "{" + ", ".join(items) + "}"


def _plain_json(value: Any) -> str | None:
    """json.dumps(value) for null, booleans, integers and plain text; None for the rest."""
    if value is None or type(value) is bool:
        return "null" if value is None else "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str and _plain(value):
        return f'"{value}"'
    return None


def _plain(text: str) -> bool:
    """True if json.dumps writes `text` as it is, between quotes (printable ASCII, no `"`, `\\`)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def changed_paths(diff: Diff) -> list[str]:
    """Every path a change touches (a rename touches two), unique and sorted."""
    renamed = [old for index, old in diff.old_paths.items() if diff.statuses[index] == "R"]
    if not renamed:
        return sorted(diff.paths)  # a diff lists each path once, already (nearly) in order
    return sorted(set(diff.paths).union(renamed))


def choose_comparison(
    repo: RepoPath, base_revision: str, head: str = "HEAD", last_run_revision: str | None = None
) -> Comparison:
    # One git process resolves every name the decision may need.
    names = git_commands.comparison_names(base_revision, head)
    head_commit, local_base, origin_base, parent = git.resolve_commits(repo, names)
    remote_base = names[2]
    if head_commit is None:
        raise GitError(f"head revision {head!r} is not a commit in {repo}")
    # The orb runs `git checkout <base>` first, which also finds a branch only the remote has.
    base_commit, base_name = (
        (local_base, base_revision) if local_base else (origin_base, remote_base)
    )
    if base_commit is None:
        raise GitError(f"base revision {base_revision!r} is not a branch, tag or commit in {repo}")
    common = git.merge_base(repo, base_commit, head_commit)
    if common is None:
        raise GitError(_no_merge_base_message(repo, base_name, head))
    if common != head_commit:
        note = f"merge-base of {base_name} and {head}"
        return Comparison(base_revision, common, head_commit, "merge-base", note)
    if last_run_revision is not None:
        since = _since_last_run(repo, base_revision, head_commit, last_run_revision)
        if since is not None:
            return since
    if parent is not None:
        note = f"{head} is on {base_revision}: compared with its parent, as the orb does"
        return Comparison(base_revision, parent, head_commit, "parent", note)
    return _empty_tree_comparison(repo, base_revision, head_commit)


def _no_merge_base_message(repo: RepoPath, base_name: str, head: str) -> str:
    if git.is_shallow(repo):
        return (
            f"{base_name} and {head} have no common ancestor in this shallow clone;"
            " fetch more history (git fetch --unshallow) so the merge-base can be found"
        )
    return f"{base_name} and {head} have no common history, so there is no merge-base to compare"


def _since_last_run(
    repo: RepoPath, base_revision: str, head: str, last_run: str
) -> Comparison | None:
    last_commit = git.resolve_commit(repo, last_run)
    if last_commit is None or not git.is_ancestor(repo, last_commit, head):
        return None  # rewritten history or a pruned commit: fall back to the orb's choice
    note = f"since the last successful pipeline on {base_revision} ({last_commit[:12]})"
    return Comparison(base_revision, last_commit, head, "last-run", note)


def _empty_tree_comparison(repo: RepoPath, base_revision: str, head: str) -> Comparison:
    if git.is_shallow_boundary(repo, head):
        note = (
            "shallow clone without the parent commit: compared with the empty tree, as the orb does"
        )
    else:
        note = "first commit: compared with the empty tree, every file counts"
    return Comparison(base_revision, git.empty_tree(repo), head, "empty-tree", note)


def apply_mapping(
    comparison: Comparison,
    changes: Diff,
    rules: Sequence[MappingRule],
    excludes: Sequence[ExcludeRule] = (),
    config_path: str = DEFAULT_CONFIG_PATH,
) -> ChangesResult:
    """Excludes first, then every mapping line against what is left; the last value wins."""
    considered = changed_paths(changes)
    excluded: list[tuple[str, ExcludeRule]] = []
    if excludes:
        kept: list[str] = []
        for path in considered:
            exclude = first_exclude(excludes, path)
            if exclude is None:
                kept.append(path)
            else:
                excluded.append((path, exclude))
        considered = kept
    rules = tuple(rules)  # kept in the result, as given
    found = first_matches([rule.pattern for rule in rules], considered)
    parameters: dict[str, Any] = {}
    winners: dict[str, int] = {}
    config_files: list[str] = []
    for index, (rule, first) in enumerate(zip(rules, found, strict=True)):
        if first is None:
            continue
        if rule.parameter is not None:
            parameters[rule.parameter] = rule.value
            winners[rule.parameter] = index
        if rule.config_file is not None and rule.config_file not in config_files:
            config_files.append(rule.config_file)
    return ChangesResult(
        comparison=comparison,
        changes=changes,
        considered=tuple(considered),
        excluded=tuple(excluded),
        rules=rules,
        first_paths=tuple(found),
        parameters=parameters,
        winners=winners,
        config_files=tuple(config_files) or (config_path,),
    )


def compute_changes(
    repo: RepoPath,
    base_revision: str,
    rules: Sequence[MappingRule],
    excludes: Sequence[ExcludeRule] = (),
    *,
    head: str = "HEAD",
    config_path: str = DEFAULT_CONFIG_PATH,
    last_run_revision: str | None = None,
) -> ChangesResult:
    """Everything `mlci changes` (and the native path-filtering/filter job) needs."""
    comparison = choose_comparison(repo, base_revision, head, last_run_revision)
    changes = git.diff_name_status(repo, comparison.base, comparison.head)
    return apply_mapping(comparison, changes, rules, excludes, config_path)
