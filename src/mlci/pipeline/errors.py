"""Errors of the pipeline half, each naming what was wrong and where.

A `ConfigError` carries every problem found in one pass over a config, so a user fixes them
all at once instead of one per run. Each problem reads
`workflows → abalone-model → jobs[1] → requires: unknown job 'train', .circleci/x.yml:112:13`.
"""

from __future__ import annotations

from mlci.named_tuple import NamedTuple

TYPE_CHECKING = False  # typing's own would load typing; `mlci changes` loads this module
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

PATH_SEPARATOR = " → "


class Location(NamedTuple):
    """A place in a source file; line and column are 1-based, as editors show them.

    NamedTuples rather than dataclasses here and in the changes modules: every value of a
    config carries a Location, and `mlci changes` should cost little more than its `git diff`
    (for which reason too they come from mlci.named_tuple, not typing).
    """

    file: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        if self.column:
            return f"{self.file}:{self.line}:{self.column}"
        return f"{self.file}:{self.line}"


class Problem(NamedTuple):
    """One thing wrong with an input: where in the document tree, what, and where in the file."""

    path: tuple[str, ...]
    message: str
    location: Location | None = None

    def __str__(self) -> str:
        text = PATH_SEPARATOR.join(self.path)
        text = f"{text}: {self.message}" if text else self.message
        return f"{text}, {self.location}" if self.location else text


class PipelineError(Exception):
    """Base of the expected errors of the pipeline half: the CLI prints them and exits 1."""


class ConfigError(PipelineError):
    """A config (or mapping, or parameter set) is invalid; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def single(cls, message: str, location: Location | None = None, *path: str) -> ConfigError:
        return cls([Problem(tuple(path), message, location)])


class GitError(PipelineError):
    """A git command failed; the message says which and what git answered."""


class Problems:
    """Collects problems during a pass; `raise_if_any` turns them into one ConfigError."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: Iterable[str], message: str, location: Location | None = None) -> None:
        self.items.append(Problem(tuple(path), message, location))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            # The same mistake can be found by two passes (a definition checked on its own,
            # then instantiated); report it once.
            unique = {str(problem): problem for problem in self.items}
            raise ConfigError(sorted(unique.values(), key=_problem_order))


def _problem_order(problem: Problem) -> tuple[str, int, int]:
    # Report in file order, so the output reads top to bottom like the config itself.
    loc = problem.location
    return (loc.file, loc.line, loc.column) if loc else ("", 0, 0)
