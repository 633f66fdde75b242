"""`typing.NamedTuple` for the modules `mlci changes` loads, without importing typing.

Importing typing costs more than a third of the `git diff` that `mlci changes` waits for on a
large push, nearly all of it for `re` and `enum`, which typing loads and `mlci changes` does
not otherwise need. typing.NamedTuple is a thin layer over collections.namedtuple: it reads the
field names from the class's annotations and their defaults from its assignments, then copies
the class's methods onto the named tuple. This does the same and nothing else, so the classes
are the same kind of object at run time; type checkers see typing's own NamedTuple.
tests/unit/test_named_tuple.py holds the two to the same behaviour.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's own constant would need typing
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    # Names a class body may not define, and those it defines that are not copied over.
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
        | {"_make", "_replace", "_asdict", "_source"}
    )
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _NamedTupleMeta(type):
        def __new__(mcs, name, bases, namespace):
            annotations = namespace.get("__annotations__", {})
            defaults = []
            for field in annotations:
                if field in namespace:
                    defaults.append(namespace[field])
                elif defaults:
                    raise TypeError(f"non-default field {field!r} follows a default field")
            made = namedtuple(name, annotations, defaults=defaults, module=namespace["__module__"])
            made.__annotations__ = dict(annotations)
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"cannot overwrite NamedTuple attribute {key}")
                if key not in _SPECIAL and key not in made._fields:
                    setattr(made, key, value)
            return made

    _base = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})

    def NamedTuple(typename, fields=None, /):
        raise TypeError("only the class syntax is supported: class Name(NamedTuple): ...")

    NamedTuple.__mro_entries__ = lambda bases: (_base,)
