"""What `mlci changes` was asked, turned into a ChangesResult.

Mapping and exclude arguments are, as in the orb, either a file path or the text itself. With
no mapping given, the settings come from the setup config's `path-filtering/filter` job, so in
a repository like the article's `mlci changes` answers with no arguments at all.
"""

from __future__ import annotations

import os

from mlci.named_tuple import NamedTuple
from mlci.pipeline import git, git_prefetch
from mlci.pipeline.changes import DEFAULT_CONFIG_PATH, ChangesResult, compute_changes
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.mapping import ExcludeRule, parse_excludes, parse_mapping

TYPE_CHECKING = False  # typing's would load typing: this module is on `mlci changes`'s path
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mlci.pipeline.git import RepoPath

DEFAULT_BASE = "main"
SETUP_CONFIG = ".circleci/config.yml"


class ChangesRequest(NamedTuple):
    repo: RepoPath
    base_revision: str | None = None
    head: str = "HEAD"
    mapping: str | None = None  # a file path or the mapping text
    excludes: tuple[str, ...] = ()  # each a file path or exclude text
    config_path: str | None = None
    since_last_run: bool = False
    setup_config: str = SETUP_CONFIG


class FilterSettings(NamedTuple):
    """The path-filtering settings in effect (from arguments, else from the setup config)."""

    base_revision: str = DEFAULT_BASE
    mapping: str = ""
    mapping_source: str = "--mapping"
    excludes: tuple[tuple[str, str], ...] = ()  # (text, source name)
    config_path: str = DEFAULT_CONFIG_PATH
    origin: str = "command line"
    notes: tuple[str, ...] = ()


def read_file_or_text(value: str, root: Callable[[], Path], flag: str) -> tuple[str, str]:
    """(text, source name): the file's content if `value` names a file (relative to the
    current directory, else to the repository root), else `value` itself."""
    if "\n" in value:
        return value, flag
    path = value
    if not os.path.isfile(path):
        path = os.path.join(root(), value)
    if not os.path.isfile(path):
        return value, flag
    try:
        with open(path, encoding="utf-8") as text:
            return text.read(), value
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineError(f"cannot read {flag} file {value}: {exc}") from None


def settings_for(request: ChangesRequest, root: Callable[[], Path]) -> FilterSettings:
    if request.mapping is None:
        from mlci.pipeline.orbs.path_filtering import settings_from_setup_config

        settings = settings_from_setup_config(root(), request.setup_config)
    else:
        text, source = read_file_or_text(request.mapping, root, "--mapping")
        settings = FilterSettings(mapping=text, mapping_source=source)
    excludes = tuple(read_file_or_text(value, root, "--exclude") for value in request.excludes)
    return FilterSettings(
        base_revision=request.base_revision or settings.base_revision,
        mapping=settings.mapping,
        mapping_source=settings.mapping_source,
        excludes=settings.excludes + excludes,
        config_path=request.config_path or settings.config_path,
        origin=settings.origin,
        notes=settings.notes,
    )


def run_changes(request: ChangesRequest) -> tuple[ChangesResult, FilterSettings]:
    # git answers the same from any directory of the work tree, so the root is looked up
    # only when a file must be found relative to it (one git process fewer otherwise).
    root = _once(lambda: git.repository_root(request.repo))
    try:
        settings = settings_for(request, root)
        # Let git resolve, find the merge-base and diff while the mapping is parsed (a no-op
        # if `mlci changes` started it already); whatever the prefetcher holds is dropped at
        # the end, so no answer outlives this call.
        git_prefetch.start(os.fspath(request.repo), settings.base_revision, request.head)
        return _run_changes(request, settings, root)
    finally:
        git_prefetch.discard()


def _run_changes(
    request: ChangesRequest, settings: FilterSettings, root: Callable[[], Path]
) -> tuple[ChangesResult, FilterSettings]:
    rules = parse_mapping(settings.mapping, settings.mapping_source)
    excludes: list[ExcludeRule] = []
    for text, source in settings.excludes:
        excludes.extend(parse_excludes(text, source))
    last_run = None
    if request.since_last_run:
        from mlci.pipeline import run_history

        last_run = run_history.last_successful_revision(root(), settings.base_revision)
    result = compute_changes(
        request.repo,
        settings.base_revision,
        rules,
        excludes,
        head=request.head,
        config_path=settings.config_path,
        last_run_revision=last_run,
    )
    return result, settings


def _once(compute: Callable[[], Path]) -> Callable[[], Path]:
    """`compute`, run on the first call only (functools.cache, without loading functools)."""
    known: list[Path] = []

    def value() -> Path:
        if not known:
            known.append(compute())
        return known[0]

    return value


def write_parameters(path: Path, result: ChangesResult) -> None:
    """Write the parameters JSON as the orb's output file, atomically."""
    from mlci.files import write_atomically

    write_atomically(path, result.parameters_json())
