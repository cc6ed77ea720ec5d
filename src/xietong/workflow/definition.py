"""Workflow definitions: read a ``workflows/*.yaml`` mapping into frozen objects, or say
everything that is wrong with it.

Validation runs in two passes and reports every error found, each with the file,
the path of the offending key (``transitions[2].roles``) and the reason:

1. shape — the JSON Schema of :mod:`xietong.workflow.schema`;
2. meaning — the initial state exists; every ``from``/``to`` exists; no duplicate
   transition ids; every transition names roles (deny by default); every role is
   built in or declared under ``roles`` (declaring a built-in is an error); guard and
   action names are registered (names only: never import paths or expressions);
   durations parse; a deadline's ``fire`` names a transition that leaves that state
   and that the ``system`` role may take; worklists name existing states; every
   state can be reached from the initial state.

The objects are immutable: a definition is configuration, read once at start-up and
shared by every request (Substance D validates its workflows the same way).
"""
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Mapping

import jsonschema

from ..roles import BUILTIN_ROLES
from .durations import DurationError, parse_duration
from .schema import WORKFLOW_SCHEMA


COMMENT_MODES = ("required", "optional", "none")


@dataclass(frozen=True)
class DefinitionError:
    source: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path or '(top)'}: {self.message}"


class InvalidWorkflow(Exception):
    """One or more definitions are invalid; ``errors`` lists every problem."""

    def __init__(self, errors: list[DefinitionError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class Deadline:
    after: timedelta | None = None  # from entering the state ...
    field: str | None = None  # ... or a date field of the document
    fire: str | None = None  # a transition the sweeper fires as ``system`` when overdue


@dataclass(frozen=True)
class State:
    id: str
    title: str
    title_en: str = ""
    description: str = ""
    permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    deadline: Deadline | None = None

    def roles_for(self, permission: str) -> frozenset[str]:
        return self.permissions.get(permission, frozenset())


@dataclass(frozen=True)
class Transition:
    id: str
    title: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    title_en: str = ""
    description: str = ""
    guards: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    comment: str = "optional"


@dataclass(frozen=True)
class Worklist:
    id: str
    title: str
    states: tuple[str, ...]
    roles: frozenset[str]
    title_en: str = ""


@dataclass(frozen=True)
class Workflow:
    id: str
    title: str
    version: int
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    title_en: str = ""
    description: str = ""
    types: tuple[str, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)
    worklists: Mapping[str, Worklist] = field(default_factory=dict)
    source: str = ""

    def transition(self, transition_id: str) -> Transition | None:
        return next((t for t in self.transitions if t.id == transition_id), None)

    def transitions_from(self, state_id: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state_id in t.sources)

    def all_roles(self) -> frozenset[str]:
        return frozenset(BUILTIN_ROLES) | frozenset(self.roles)


def _json_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _schema_errors(raw, source: str) -> list[DefinitionError]:
    validator = jsonschema.Draft202012Validator(WORKFLOW_SCHEMA)
    errors = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        message = error.message
        if error.validator == "oneOf" and error.context:
            message = "; ".join(sorted({c.message for c in error.context}))
        errors.append(DefinitionError(source, _json_path(error.absolute_path), message))
    return errors


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Checker:
    """The meaning checks (pass 2).  Defensive: runs even when the shape had errors."""

    def __init__(self, raw: dict, source: str, guards: Mapping, actions: Mapping):
        self.raw, self.source, self.guards, self.actions = raw, source, guards, actions
        self.errors: list[DefinitionError] = []
        states = raw.get("states")
        self.states = states if isinstance(states, dict) else {}
        declared = raw.get("roles") if isinstance(raw.get("roles"), dict) else {}
        self.known_roles = set(BUILTIN_ROLES) | set(declared)
        self.transitions = [t for t in _as_list(raw.get("transitions")) if isinstance(t, dict)]

    def error(self, path: str, message: str) -> None:
        self.errors.append(DefinitionError(self.source, path, message))

    def check_roles(self, path: str, roles) -> None:
        for role in _as_list(roles):
            if isinstance(role, str) and role not in self.known_roles:
                self.error(path, f"unknown role {role!r}: use a built-in role or declare it under 'roles'")

    def run(self) -> list[DefinitionError]:
        declared = self.raw.get("roles")
        if isinstance(declared, dict):
            for role in declared:
                if role in BUILTIN_ROLES:
                    self.error(f"roles.{role}", f"{role!r} is a built-in role and cannot be redeclared")
        initial = self.raw.get("initial")
        if isinstance(initial, str) and self.states and initial not in self.states:
            self.error("initial", f"initial state {initial!r} is not among the states")
        self.check_states()
        self.check_transitions()
        self.check_worklists()
        self.check_reachable(initial)
        return self.errors

    def check_states(self) -> None:
        for state_id, state in self.states.items():
            if not isinstance(state, dict):
                continue
            permissions = state.get("permissions")
            if isinstance(permissions, dict):
                for permission, roles in permissions.items():
                    self.check_roles(f"states.{state_id}.permissions.{permission}", roles)
            self.check_deadline(state_id, state.get("deadline"))

    def check_deadline(self, state_id: str, deadline) -> None:
        if deadline is None:
            return
        path = f"states.{state_id}.deadline"
        spec = {"after": deadline} if isinstance(deadline, str) else deadline
        if not isinstance(spec, dict):
            return
        if "after" in spec and "field" in spec:
            self.error(path, "give either 'after' (a duration) or 'field' (a date field), not both")
        if isinstance(spec.get("after"), str):
            try:
                parse_duration(spec["after"])
            except DurationError as exc:
                self.error(path, str(exc))
        elif "field" not in spec:
            self.error(path, "a deadline needs 'after' (a duration such as P10D) or 'field'")
        fire = spec.get("fire")
        if isinstance(fire, str):
            leaving = [t for t in self.transitions if t.get("id") == fire and state_id in _as_list(t.get("from"))]
            if not leaving:
                self.error(f"{path}.fire", f"transition {fire!r} does not leave state {state_id!r}")
            elif "system" not in _as_list(leaving[0].get("roles")):
                self.error(f"{path}.fire", f"transition {fire!r} must name the role 'system' to be fired "
                                           "by the deadline sweeper")

    def check_transitions(self) -> None:
        seen: dict[str, int] = {}
        for index, transition in enumerate(_as_list(self.raw.get("transitions"))):
            if not isinstance(transition, dict):
                continue
            path = f"transitions[{index}]"
            tid = transition.get("id")
            if isinstance(tid, str):
                if tid in seen:
                    self.error(f"{path}.id", f"duplicate transition id {tid!r} (first at transitions[{seen[tid]}])")
                seen.setdefault(tid, index)
            for source in _as_list(transition.get("from")):
                if isinstance(source, str) and self.states and source not in self.states:
                    self.error(f"{path}.from", f"state {source!r} does not exist")
            dest = transition.get("to")
            if isinstance(dest, str) and self.states and dest not in self.states:
                self.error(f"{path}.to", f"state {dest!r} does not exist")
            roles = transition.get("roles")
            if not roles:
                self.error(f"{path}.roles", "a transition must name the roles that may take it "
                                            "(deny by default)")
            self.check_roles(f"{path}.roles", roles)
            for kind, registry in (("guards", self.guards), ("actions", self.actions)):
                for name in _as_list(transition.get(kind)):
                    if isinstance(name, str) and name not in registry:
                        known = ", ".join(sorted(registry)) or "none"
                        self.error(f"{path}.{kind}", f"unknown {kind[:-1]} {name!r} (registered: {known})")

    def check_worklists(self) -> None:
        worklists = self.raw.get("worklists")
        if not isinstance(worklists, dict):
            return
        for worklist_id, worklist in worklists.items():
            if not isinstance(worklist, dict):
                continue
            for state in _as_list(worklist.get("states")):
                if isinstance(state, str) and self.states and state not in self.states:
                    self.error(f"worklists.{worklist_id}.states", f"state {state!r} does not exist")
            if not worklist.get("roles"):
                self.error(f"worklists.{worklist_id}.roles", "a worklist must name the roles it is for")
            self.check_roles(f"worklists.{worklist_id}.roles", worklist.get("roles"))

    def check_reachable(self, initial) -> None:
        if not isinstance(initial, str) or initial not in self.states:
            return
        reached, queue = {initial}, deque([initial])
        while queue:
            current = queue.popleft()
            for transition in self.transitions:
                dest = transition.get("to")
                if current in _as_list(transition.get("from")) and isinstance(dest, str) and dest not in reached:
                    reached.add(dest)
                    queue.append(dest)
        for state_id in self.states:
            if state_id not in reached:
                self.error(f"states.{state_id}", f"state {state_id!r} cannot be reached from the initial "
                                                 f"state {initial!r}")


def _build(raw: dict, source: str) -> Workflow:
    states = {}
    for state_id, state in raw["states"].items():
        deadline = state.get("deadline")
        if deadline is not None:
            spec = {"after": deadline} if isinstance(deadline, str) else deadline
            deadline = Deadline(after=parse_duration(spec["after"]) if "after" in spec else None,
                                field=spec.get("field"), fire=spec.get("fire"))
        states[state_id] = State(
            id=state_id, title=state["title"], title_en=state.get("title_en", ""),
            description=state.get("description", ""),
            permissions=MappingProxyType({p: frozenset(r) for p, r in state["permissions"].items()}),
            deadline=deadline)
    transitions = tuple(
        Transition(id=t["id"], title=t["title"], title_en=t.get("title_en", ""),
                   description=t.get("description", ""), sources=tuple(_as_list(t["from"])), dest=t["to"],
                   roles=frozenset(t["roles"]), guards=tuple(t.get("guards", ())),
                   actions=tuple(t.get("actions", ())), comment=t.get("comment", "optional"))
        for t in raw["transitions"])
    worklists = {
        wid: Worklist(id=wid, title=w["title"], title_en=w.get("title_en", ""), states=tuple(w["states"]),
                      roles=frozenset(w["roles"]))
        for wid, w in (raw.get("worklists") or {}).items()}
    return Workflow(id=raw["id"], title=raw["title"], title_en=raw.get("title_en", ""),
                    description=raw.get("description", ""), version=raw["version"],
                    types=tuple(raw.get("types", ())), initial=raw["initial"],
                    roles=MappingProxyType(dict(raw.get("roles") or {})),
                    states=MappingProxyType(states), transitions=transitions,
                    worklists=MappingProxyType(worklists), source=source)


def parse_workflow(raw, source: str, guards: Mapping = MappingProxyType({}),
                   actions: Mapping = MappingProxyType({})) -> tuple[Workflow | None, list[DefinitionError]]:
    """Validate ``raw`` (a mapping read from YAML); return the workflow or every error."""
    if not isinstance(raw, dict):
        return None, [DefinitionError(source, "", "a workflow file must hold a mapping (id, title, states ...)")]
    errors = _schema_errors(raw, source) + _Checker(raw, source, guards, actions).run()
    if errors:
        return None, errors
    return _build(raw, source), []
