"""mlci.named_tuple.NamedTuple makes the same classes typing.NamedTuple makes."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from mlci import named_tuple


def define(base: typing.Any) -> typing.Any:
    class Point(base):  # type: ignore[misc, valid-type]
        """A point."""

        x: int
        y: int = 0
        label: str = "origin"

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

        @property
        def pair(self) -> tuple[int, int]:
            return (self.x, self.y)

        def __str__(self) -> str:
            return f"{self.label}({self.x}, {self.y})"

    return Point


OURS = define(named_tuple.NamedTuple)
TYPINGS = define(typing.NamedTuple)


@pytest.mark.parametrize("args", [(1,), (1, 2), (3, -4, "p"), ()])
def test_construction_fields_and_methods_match(args: tuple[typing.Any, ...]) -> None:
    def describe(cls: typing.Any) -> typing.Any:
        try:
            value = cls(*args)
        except TypeError as exc:
            return ("TypeError", str(exc))
        return (
            tuple(value), repr(value), str(value), value.norm(), value.pair, value._asdict(),
            value._replace(x=9), hash(value) == hash(tuple(value)), value == tuple(value),
        )  # fmt: skip

    assert describe(OURS) == describe(TYPINGS)


def test_class_attributes_match() -> None:
    for name in ("_fields", "_field_defaults", "__doc__", "__name__", "__qualname__"):
        assert getattr(OURS, name) == getattr(TYPINGS, name), name
    assert list(OURS.__annotations__) == list(TYPINGS.__annotations__)  # typing wraps the texts
    assert OURS.__mro__[1:] == (tuple, object)
    assert OURS.__module__ == __name__


def test_keyword_construction_and_make() -> None:
    assert OURS(x=1, label="a") == TYPINGS(x=1, label="a")
    assert OURS._make([5, 6, "m"]).pair == (5, 6)


def test_a_field_without_default_after_one_with_default_is_refused() -> None:
    with pytest.raises(TypeError, match="'b' follows a default field"):

        class Bad(named_tuple.NamedTuple):
            a: int = 1
            b: int


@pytest.mark.parametrize("name", ["_replace", "__new__", "_fields"])
def test_redefining_what_a_named_tuple_provides_is_refused(name: str) -> None:
    with pytest.raises(AttributeError, match=f"cannot overwrite NamedTuple attribute {name}"):
        type(named_tuple._base)("Bad", (named_tuple._base,), {
            "__module__": __name__, "__annotations__": {"a": "int"}, name: lambda self: None,
        })  # fmt: skip


def test_the_functional_form_is_refused() -> None:
    with pytest.raises(TypeError, match="only the class syntax"):
        named_tuple.NamedTuple("Point", [("x", int)])


def test_instances_pickle() -> None:
    from mlci.pipeline.errors import Location

    location = Location("config.yml", 3, 7)
    assert pickle.loads(pickle.dumps(location)) == location


def test_importing_it_loads_neither_typing_nor_re() -> None:
    code = "import sys, mlci.named_tuple; print({'typing', 're', 'enum'} & set(sys.modules))"
    source_root = Path(named_tuple.__file__).parents[1]
    # -S: this environment's own start-up hooks may load typing before any of mlci's code
    shown = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(source_root)},
    )  # fmt: skip
    assert shown.stdout.strip() == "set()", shown.stderr
