"""Instantiating a job definition with arguments: executor, environment, steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlci.pipeline import model
from mlci.pipeline.definitions import Definition, Namespace, as_str_map
from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.parameters import bind_arguments, scope_values
from mlci.pipeline.schema import check_map, child, items_of, optional_text, scalar_text
from mlci.pipeline.steps import StepBuilder
from mlci.pipeline.substitution import Scope, substitute
from mlci.pipeline.yaml_loader import YamlList, YamlMap

Path = tuple[str, ...]


def instantiate_job(
    definition: Definition,
    name: str,
    arguments: Mapping[Any, Any],
    path: Path,
    at: Location,
    steps: StepBuilder,
    *,
    pre_steps: Any = None,
    post_steps: Any = None,
    entry_namespace: Namespace | None = None,
) -> model.Job | None:
    """The job `name` (as the workflow refers to it) with its parameters bound.

    Problems go to `steps.problems`; None if the job cannot be built at all.
    """
    problems = steps.problems
    label = f"job '{name}'"
    bound = bind_arguments(definition.parameters, arguments, label, path, at, problems)
    scope = Scope(scope_values("parameters.", bound), ("parameters.",), final=True)
    job_path = ("jobs", name)
    body = substitute(definition.body, scope, problems, job_path)
    if not check_map(body, "job", job_path, definition.location, problems):
        return None
    executor = resolve_executor(body, definition.namespace, job_path, problems)
    where = entry_namespace or definition.namespace
    built = []
    if pre_steps is not None:
        built += steps.build(pre_steps, child(path, "pre-steps"), at, where)
    steps_at = body.value_location("steps")
    built += steps.build(
        body.get("steps"), child(job_path, "steps"), steps_at, definition.namespace
    )
    if post_steps is not None:
        built += steps.build(post_steps, child(path, "post-steps"), at, where)
    if executor is None:
        return None
    return model.Job(
        name=name,
        executor=executor,
        steps=tuple(built),
        location=definition.location,
        environment=model.frozen_map(as_str_map(body.get("environment"))),
        working_directory=optional_text(body.get("working_directory"))
        or executor.working_directory
        or model.DEFAULT_WORKING_DIRECTORY,
        shell=optional_text(body.get("shell")) or executor.shell,
        resource_class=optional_text(body.get("resource_class")) or executor.resource_class,
        parallelism=_parallelism(body.get("parallelism", 1)),
        parameters=model.frozen_map(bound),
    )


def resolve_executor(
    body: YamlMap, namespace: Namespace, path: Path, problems: Problems
) -> model.Executor | None:
    """The job's executor: inline docker/machine, or a named executor with arguments."""
    reference = body.get("executor")
    if reference is None:
        if "docker" not in body and "machine" not in body:
            problems.add(
                path, "a job needs an executor: one of executor, docker or machine", body.location
            )
            return None
        return build_executor(body, None, path, problems)
    at = body.value_location("executor")
    if isinstance(reference, YamlMap):
        name = reference.get("name")
        arguments = YamlMap(reference.location)
        for key, value in reference.items():
            if key != "name":
                arguments.put(
                    key, value, reference.key_location(key), reference.value_location(key)
                )
    else:
        name, arguments = reference, YamlMap(at)
    if not isinstance(name, str):
        problems.add(
            child(path, "executor"), "an executor reference is a name or a map with 'name'", at
        )
        return None
    definition = namespace.resolve("executor", name)
    if definition is None:
        known = ", ".join(namespace.names("executor")) or "none are defined"
        problems.add(child(path, "executor"), f"unknown executor '{name}' (executors: {known})", at)
        return None
    bound = bind_arguments(
        definition.parameters, arguments, definition.label, child(path, "executor"), at, problems
    )
    scope = Scope(scope_values("parameters.", bound), ("parameters.",), final=True)
    executor_path = ("executors", definition.name)
    executor_body = substitute(definition.body, scope, problems, executor_path)
    if not check_map(executor_body, "executor", executor_path, definition.location, problems):
        return None
    return build_executor(executor_body, definition.name, executor_path, problems)


def build_executor(
    body: YamlMap, name: str | None, path: Path, problems: Problems
) -> model.Executor:
    images = []
    for index, image, at in items_of(body.get("docker")):
        image_path = (*path, f"docker[{index}]")
        if check_map(image, "docker-image", image_path, at, problems) and "image" in image:
            images.append(
                model.DockerImage(
                    image=scalar_text(image["image"]),
                    name=optional_text(image.get("name")),
                    environment=model.frozen_map(as_str_map(image.get("environment"))),
                    entrypoint=_words(image.get("entrypoint")),
                    command=_words(image.get("command")),
                    user=optional_text(image.get("user")),
                )
            )
    machine = body.get("machine")
    machine_image = optional_text(machine.get("image")) if isinstance(machine, YamlMap) else None
    return model.Executor(
        kind="docker" if "docker" in body else "machine",
        images=tuple(images),
        machine_image=machine_image,
        resource_class=optional_text(body.get("resource_class")),
        shell=optional_text(body.get("shell")),
        working_directory=optional_text(body.get("working_directory")),
        environment=model.frozen_map(as_str_map(body.get("environment"))),
        name=name,
    )


def _parallelism(value: Any) -> int:
    # A wrong type was reported by check_map; the trial compile still needs a number.
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, YamlList):
        return tuple(scalar_text(v) for v in value)
    return () if value is None else (scalar_text(value),)
