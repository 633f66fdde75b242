"""Value kinds for SageMaker hyperparameters: how one string is parsed and range-checked.

Every hyperparameter reaches a training job as a string. A kind turns that string into a typed
value or raises an `AlgorithmError` naming the hyperparameter and what it accepts. The wording
follows the SageMaker XGBoost container ("Hyperparameter eta: 1.5 is not in [0, 1]") with the
allowed values spelled out where the container leaves them implicit.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mlci.algorithms.errors import AlgorithmError


@dataclass(frozen=True)
class Interval:
    """A numeric range; None means unbounded on that side. Printed like the container does."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_open and value == self.high))
        )

    def __str__(self) -> str:
        left = "(-inf" if self.low is None else f"{'(' if self.low_open else '['}{_num(self.low)}"
        right = (
            "+inf)" if self.high is None else f"{_num(self.high)}{')' if self.high_open else ']'}"
        )
        return f"{left}, {right}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Kind(Protocol):
    # Parse one raw string for hyperparameter `name`; raise AlgorithmError when it is not valid.
    def parse(self, name: str, raw: str) -> object: ...


@dataclass(frozen=True)
class Integer:
    interval: Interval

    def parse(self, name: str, raw: str) -> int:
        value = _parse_integer(raw)
        if value is None:
            raise AlgorithmError(
                f"Hyperparameter {name}: could not parse value {raw!r}; "
                f"expected an integer in {self.interval}"
            )
        if value not in self.interval:
            raise AlgorithmError(f"Hyperparameter {name}: {value} is not in {self.interval}")
        return value


@dataclass(frozen=True)
class Continuous:
    interval: Interval

    def parse(self, name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise AlgorithmError(
                f"Hyperparameter {name}: could not parse value {raw!r}; "
                f"expected a number in {self.interval}"
            )
        if value not in self.interval:
            raise AlgorithmError(f"Hyperparameter {name}: {raw.strip()} is not in {self.interval}")
        return value


@dataclass(frozen=True)
class Categorical:
    choices: tuple[str, ...]

    def parse(self, name: str, raw: str) -> str:
        value = raw.strip()
        if value not in self.choices:
            raise AlgorithmError(f"Hyperparameter {name}: {value!r} is not in {list(self.choices)}")
        return value


@dataclass(frozen=True)
class CommaSeparated:
    """A comma list ("auc,logloss"); `check_item` returns an error message or None."""

    check_item: Callable[[str], str | None]

    def parse(self, name: str, raw: str) -> tuple[str, ...]:
        items = tuple(item.strip() for item in raw.split(","))
        if not all(items):
            raise AlgorithmError(f"Hyperparameter {name}: {raw!r} has an empty item")
        for item in items:
            problem = self.check_item(item)
            if problem is not None:
                raise AlgorithmError(f"Hyperparameter {name}: {problem}")
        return items


@dataclass(frozen=True)
class Constraints:
    """monotone_constraints "(1,0,-1)" or interaction_constraints "[[0,1],[2,3]]"."""

    nested: bool

    def parse(self, name: str, raw: str) -> str:
        shape = "a list of lists of feature indices, e.g. [[0, 1], [2]]"
        if not self.nested:
            shape = "a tuple of -1, 0 and 1, e.g. (1,0,-1)"
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = None
        if not self._well_formed(value):
            raise AlgorithmError(
                f"Hyperparameter {name}: could not parse value {raw!r}; expected {shape}"
            )
        # xgboost takes both in their string form; normalise spacing only.
        return str(value).replace(" ", "")

    def _well_formed(self, value: object) -> bool:
        if self.nested:
            return isinstance(value, list | tuple) and all(
                isinstance(group, list | tuple)
                and all(isinstance(i, int) and i >= 0 for i in group)
                for group in value
            )
        return isinstance(value, list | tuple) and all(v in (-1, 0, 1) for v in value)


def _parse_integer(raw: str) -> int | None:
    text = raw.strip()
    try:
        return int(text)
    except ValueError:
        pass
    # "50.0" is an integer written as a float (some tools do that); "50.5" is not.
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None
