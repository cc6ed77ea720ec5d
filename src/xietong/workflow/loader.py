"""Read every ``*.yaml`` of a folder into a :class:`WorkflowSet`, or report every error.

Besides each file's own checks (:mod:`xietong.workflow.definition`) this checks what
only the folder shows: YAML syntax, duplicate keys (which PyYAML would silently let
the last one win), two files with one workflow id, a content type bound by two
workflows.  Files are read with a safe loader: YAML tags that build objects are refused.
"""
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from .definition import DefinitionError, InvalidWorkflow, Workflow, parse_workflow
from .guards import default_actions, default_guards
from .machine import CompiledWorkflow, compile_workflow


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys in a mapping (a duplicate state id, say)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> tuple[object, list[DefinitionError]]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [DefinitionError(str(path), "", f"cannot read the file: {exc}")]
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), []  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [DefinitionError(str(path), where, f"not valid YAML: {problem}")]


def load_file(path: Path, guards: Mapping | None = None,
              actions: Mapping | None = None) -> tuple[Workflow | None, list[DefinitionError]]:
    raw, errors = read_yaml(path)
    if errors:
        return None, errors
    return parse_workflow(raw, str(path), default_guards() if guards is None else guards,
                          default_actions() if actions is None else actions)


@dataclass(frozen=True)
class WorkflowSet:
    """The application's workflows, by id and by the content type they bind."""

    workflows: Mapping[str, CompiledWorkflow]
    by_type: Mapping[str, str]
    guards: Mapping
    actions: Mapping

    def get(self, workflow_id: str | None) -> CompiledWorkflow | None:
        return self.workflows.get(workflow_id) if workflow_id else None

    def __getitem__(self, workflow_id: str) -> CompiledWorkflow:
        return self.workflows[workflow_id]

    def __iter__(self):
        return iter(self.workflows.values())

    def for_type(self, content_type: str) -> CompiledWorkflow | None:
        return self.get(self.by_type.get(content_type))


def build_set(definitions: list[Workflow], guards: Mapping | None = None,
              actions: Mapping | None = None) -> tuple[WorkflowSet | None, list[DefinitionError]]:
    errors, by_id, by_type = [], {}, {}
    for workflow in definitions:
        if workflow.id in by_id:
            errors.append(DefinitionError(workflow.source, "id", f"workflow id {workflow.id!r} is also used by "
                                                                 f"{by_id[workflow.id].source}"))
            continue
        by_id[workflow.id] = workflow
        for index, content_type in enumerate(workflow.types):
            if content_type in by_type:
                errors.append(DefinitionError(workflow.source, f"types[{index}]",
                                              f"type {content_type!r} is already bound to workflow "
                                              f"{by_type[content_type]!r}"))
            by_type.setdefault(content_type, workflow.id)
    if errors:
        return None, errors
    compiled = {wid: compile_workflow(w) for wid, w in by_id.items()}
    return WorkflowSet(MappingProxyType(compiled), MappingProxyType(by_type),
                       default_guards() if guards is None else guards,
                       default_actions() if actions is None else actions), []


def load_directory(directory, guards: Mapping | None = None,
                   actions: Mapping | None = None) -> tuple[WorkflowSet | None, list[DefinitionError]]:
    """Every ``*.yaml``/``*.yml`` in ``directory``; the set, or None and every error found."""
    folder = Path(directory)
    if not folder.is_dir():
        return None, [DefinitionError(str(folder), "", "not a folder")]
    definitions, errors = [], []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        workflow, file_errors = load_file(path, guards, actions)
        errors.extend(file_errors)
        if workflow is not None:
            definitions.append(workflow)
    if errors:
        return None, errors
    return build_set(definitions, guards, actions)


def load_or_fail(directory, guards: Mapping | None = None, actions: Mapping | None = None) -> WorkflowSet:
    workflows, errors = load_directory(directory, guards, actions)
    if errors:
        raise InvalidWorkflow(errors)
    return workflows
