"""Steps: built-in steps, command invocations (expanded), `when`/`unless` steps (decided).

One builder serves two passes. Lenient, over definitions at load time: it checks keys,
shapes and that every command invoked exists with the arguments it declares, accepting
`<< … >>` templates wherever a value goes. Strict, when a job is instantiated: arguments
are type-checked, commands expanded with their parameters, and `when` conditions decided
(both branches are still built, so a mistake in the branch not taken is reported too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlci.pipeline import model
from mlci.pipeline.conditions import parse_condition
from mlci.pipeline.definitions import Namespace, as_str_map, qualified
from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.expressions import ExpressionError
from mlci.pipeline.orbs.native import NATIVE_STEPS
from mlci.pipeline.parameters import bind_arguments, scope_values
from mlci.pipeline.schema import (
    LEVELS,
    UNSUPPORTED,
    check_map,
    child,
    is_template,
    item,
    items_of,
    optional_text,
    scalar_text,
)
from mlci.pipeline.substitution import Scope, substitute
from mlci.pipeline.yaml_loader import YamlList, YamlMap

Path = tuple[str, ...]
RUN_WHEN = ("on_success", "on_fail", "always")
BUILTIN_STEPS = (
    "checkout",
    "run",
    "when",
    "unless",
    "persist_to_workspace",
    "attach_workspace",
    "store_artifacts",
    "store_test_results",
)


@dataclass
class StepBuilder:
    problems: Problems
    environment: Mapping[str, Any]  # pipeline values and parameters, for `when` conditions
    lenient: bool = False

    def build(
        self, node: Any, path: Path, at: Location, namespace: Namespace, stack: tuple[str, ...] = ()
    ) -> list[model.Step]:
        """The steps of a `steps:` list, in order."""
        if not isinstance(node, YamlList):
            if not (self.lenient and is_template(node)):
                self.problems.add(path, "must be a list of steps", at)
            return []
        steps: list[model.Step] = []
        for index, value, where in items_of(node):
            steps.extend(self.step(value, item(path, index), where, namespace, stack))
        return steps

    def step(
        self, value: Any, path: Path, at: Location, namespace: Namespace, stack: tuple[str, ...]
    ) -> list[model.Step]:
        if isinstance(value, str):
            if self.lenient and is_template(value):
                return []  # a `steps` parameter, spliced in when the job is instantiated
            return self.dispatch(value, None, path, at, at, namespace, stack)
        if isinstance(value, YamlMap) and len(value) == 1:
            kind, args = next(iter(value.items()))
            return self.dispatch(
                str(kind), args, path, value.key_location(kind), value.value_location(kind),
                namespace, stack,
            )  # fmt: skip
        shown = (
            f"a map with keys {', '.join(map(str, value))}"
            if isinstance(value, dict)
            else repr(value)
        )
        self.problems.add(
            path, f"a step is a step name or a one-key map {{name: arguments}}, not {shown}", at
        )
        return []

    def dispatch(
        self,
        kind: str,
        args: Any,
        path: Path,
        key_at: Location,
        at: Location,
        namespace: Namespace,
        stack: tuple[str, ...],
    ) -> list[model.Step]:
        here = child(path, kind)
        builtin = _BUILTINS.get(kind)
        if builtin is not None:
            return builtin(self, args, here, at, namespace, stack)
        native = NATIVE_STEPS.get(kind)
        if native is not None and namespace.native:
            return self.native(native, args, here, at)
        if kind in UNSUPPORTED and namespace.resolve("command", kind) is None:
            self.problems.add(here, UNSUPPORTED[kind], key_at)
            return []
        return self.invoke(kind, args, here, key_at, at, namespace, stack)

    # --- built-in steps ----------------------------------------------------------------

    def checkout(self, args: Any, path: Path, at: Location, *_: Any) -> list[model.Step]:
        if args is None:
            return [] if self.lenient else [model.Checkout(at)]
        checked = self.usable(args, "checkout", path, at)
        return [] if checked is None else [model.Checkout(at, optional_text(checked.get("path")))]

    def run(self, args: Any, path: Path, at: Location, *_: Any) -> list[model.Step]:
        if isinstance(args, str):
            return [] if self.lenient else [model.Run(str(args), default_run_name(args), at)]
        if not check_map(args, "run", path, at, self.problems, lenient=self.lenient):
            return []
        when = args.get("when", "on_success")
        if when not in RUN_WHEN and not (self.lenient and is_template(when)):
            where = args.value_location("when")
            self.problems.add(
                child(path, "when"), f"must be one of {', '.join(RUN_WHEN)}, not {when!r}", where
            )
        if self.lenient or "command" not in args:
            return []
        command = str(args["command"])
        return [
            model.Run(
                command=command,
                name=str(args.get("name") or default_run_name(command)),
                location=at,
                shell=optional_text(args.get("shell")),
                environment=model.frozen_map(as_str_map(args.get("environment"))),
                background=bool(args.get("background", False)),
                working_directory=optional_text(args.get("working_directory")),
                no_output_timeout=optional_text(args.get("no_output_timeout")),
                when=str(when),
            )
        ]

    def conditional(
        self,
        args: Any,
        path: Path,
        at: Location,
        namespace: Namespace,
        stack: tuple[str, ...],
        *,
        negate: bool,
    ) -> list[model.Step]:
        if not check_map(args, "when-step", path, at, self.problems, lenient=self.lenient):
            return []
        if "steps" not in args:
            return []  # reported as a missing key
        steps_at = args.value_location("steps")
        steps = self.build(args["steps"], child(path, "steps"), steps_at, namespace, stack)
        raw = args.get("condition")
        if self.lenient and is_template(raw):
            return []
        condition = parse_condition(
            raw, child(path, "condition"), args.value_location("condition"), self.problems
        )
        if condition is None or self.lenient:
            return []
        try:
            decided = condition.evaluate(self.environment)
        except ExpressionError as exc:
            self.problems.add(
                child(path, "condition"),
                f"cannot evaluate: {exc}",
                args.value_location("condition"),
            )
            return []
        return steps if decided != negate else []

    def when(
        self, args: Any, path: Path, at: Location, namespace: Namespace, stack: tuple[str, ...]
    ) -> list[model.Step]:
        return self.conditional(args, path, at, namespace, stack, negate=False)

    def unless(
        self, args: Any, path: Path, at: Location, namespace: Namespace, stack: tuple[str, ...]
    ) -> list[model.Step]:
        return self.conditional(args, path, at, namespace, stack, negate=True)

    def usable(self, args: Any, level: str, path: Path, at: Location) -> YamlMap | None:
        """`args` if a step can be built from it: checked, strict pass, required keys there."""
        if not check_map(args, level, path, at, self.problems, lenient=self.lenient):
            return None
        required = [key for key, spec in LEVELS[level].items() if spec.required]
        if self.lenient or any(key not in args for key in required):
            return None
        return args

    def persist_to_workspace(
        self, args: Any, path: Path, at: Location, *_: Any
    ) -> list[model.Step]:
        checked = self.usable(args, "persist_to_workspace", path, at)
        if checked is None or not isinstance(checked["paths"], list):
            return []
        paths = tuple(scalar_text(p) for p in checked["paths"])
        return [model.PersistToWorkspace(scalar_text(checked["root"]), paths, at)]

    def attach_workspace(self, args: Any, path: Path, at: Location, *_: Any) -> list[model.Step]:
        checked = self.usable(args, "attach_workspace", path, at)
        return [] if checked is None else [model.AttachWorkspace(scalar_text(checked["at"]), at)]

    def store_artifacts(self, args: Any, path: Path, at: Location, *_: Any) -> list[model.Step]:
        checked = self.usable(args, "store_artifacts", path, at)
        if checked is None:
            return []
        destination = optional_text(checked.get("destination"))
        return [model.StoreArtifacts(scalar_text(checked["path"]), at, destination)]

    def store_test_results(self, args: Any, path: Path, at: Location, *_: Any) -> list[model.Step]:
        checked = self.usable(args, "store_test_results", path, at)
        return [] if checked is None else [model.StoreTestResults(scalar_text(checked["path"]), at)]

    # --- native orb steps and command invocations ----------------------------------------

    def native(
        self, build: Callable[[YamlMap, Location], model.Step], args: Any, path: Path, at: Location
    ) -> list[model.Step]:
        # Only the native orbs' own definitions use these steps, always with a map.
        arguments = args if isinstance(args, YamlMap) else YamlMap(at)
        return [] if self.lenient else [build(arguments, at)]

    def invoke(
        self,
        name: str,
        args: Any,
        path: Path,
        key_at: Location,
        at: Location,
        namespace: Namespace,
        stack: tuple[str, ...],
    ) -> list[model.Step]:
        definition = namespace.resolve("command", name)
        if definition is None:
            known = ", ".join([*BUILTIN_STEPS, *namespace.names("command")])
            self.problems.add(path, f"unknown step or command '{name}' (known: {known})", key_at)
            return []
        if args is not None and not isinstance(args, YamlMap):
            self.problems.add(
                path, f"arguments of command '{name}' must be a map, not {args!r}", at
            )
            return []
        arguments: Mapping[Any, Any] = args if args is not None else {}
        label = f"command '{name}'"
        if self.lenient:  # names, required ones and the types of literal values
            bind_arguments(
                definition.parameters, arguments, label, path, at, self.problems, lenient=True
            )
            return []
        identity = qualified(definition.namespace, definition.name.rpartition("/")[2])
        if identity in stack:
            cycle = " → ".join([*stack[stack.index(identity) :], identity])
            self.problems.add(path, f"commands invoke each other in a cycle: {cycle}", key_at)
            return []
        bound = bind_arguments(definition.parameters, arguments, label, path, at, self.problems)
        scope = Scope(scope_values("parameters.", bound), ("parameters.",), final=True)
        body = substitute(definition.body, scope, self.problems, ("commands", name))
        body_path = ("commands", name, "steps")
        return self.build(
            body.get("steps"),
            body_path,
            body.value_location("steps"),
            definition.namespace,
            (*stack, identity),
        )


def default_run_name(command: str) -> str:
    """CircleCI names an unnamed run step after its command; we use its first line."""
    lines = [line for line in command.strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else "run"


_BUILTINS: dict[str, Callable[..., list[model.Step]]] = {
    "checkout": StepBuilder.checkout,
    "run": StepBuilder.run,
    "when": StepBuilder.when,
    "unless": StepBuilder.unless,
    "persist_to_workspace": StepBuilder.persist_to_workspace,
    "attach_workspace": StepBuilder.attach_workspace,
    "store_artifacts": StepBuilder.store_artifacts,
    "store_test_results": StepBuilder.store_test_results,
}
