"""Import a Plone/CMF DCWorkflow ``definition.xml`` as a Xietong workflow mapping.

``xietong import-dcworkflow definition.xml`` prints the workflow YAML on stdout and
every message on stderr (:func:`run`); :func:`import_dcworkflow` is the pure part.

The one rule behind every choice below: **the import may lose power, never gain it.**
Whatever cannot be carried over exactly is dropped -- and named on stderr -- rather
than approximated by something that lets more people do more.  Nothing in the XML is
ever evaluated (expressions, scripts) or fetched (DTDs, entities).

Algorithm of :func:`import_dcworkflow`:

1. Read the file (at most :data:`MAX_BYTES`).  A document that declares a DOCTYPE or an
   ENTITY is refused before it is parsed (checked on the raw bytes and again by an expat
   pre-pass that stops at the first DOCTYPE, whatever the encoding), so no entity is
   ever expanded.  A missing file, bytes that are not XML and a root other than
   ``dc-workflow`` raise :class:`UnreadableDefinition` (the CLI exits 2).

2. Ids: a Plone id becomes ours by lower-casing it, replacing every character outside
   ``[a-z0-9_]`` by ``_``, prefixing the kind (``state_``, ``transition_``,
   ``worklist_``, ``workflow_``) when it does not then start with a letter, and cutting
   it to 40 characters.  A changed id is noted; two Plone ids that become one id: the
   second element is dropped.  Messages always name elements by their *Plone* id.

3. Roles are kept verbatim (``Manager``, ``Site Administrator``, ``Reviewer`` ...) and
   declared under ``roles`` with their own name as title, except three Zope roles that
   mean what ours mean and are mapped (noted once each):

   * ``Owner`` -> ``owner`` (the creator's local role);
   * ``Authenticated`` -> ``authenticated`` (every logged-in user);
   * ``Anonymous`` -> ``anonymous`` *and* ``authenticated``: in Zope every user,
     logged in or not, holds ``Anonymous``; in Xietong ``anonymous`` is only the
     requester without a login, so mapping it alone would lock logged-in users out
     of published content.

   A Plone role whose name does not fit our role-name pattern, or that is spelled like
   one of our other built-in roles (``system``, ``admin`` ...; their meaning differs),
   is dropped from every list -- removing a role only ever denies.

4. Workflow: ``id`` from ``workflow_id``; ``title`` (or the id); ``description``
   (whitespace collapsed); ``version: 1``; ``types: []`` (bind types by hand);
   ``initial`` from ``initial_state``.

5. States: id, title (or the id), description (whitespace collapsed) and
   ``permissions``: each ``permission-map`` becomes ``<permission name verbatim>:
   [mapped roles]``; a state without maps gets ``permissions: {}`` (which in Xietong
   allows no one anything).  ``acquired="True"`` (roles of the parent are added) cannot
   be represented: only the listed roles are kept, and that is noted per state and
   permission.  A permission name outside our name pattern (``Portlets: Manage
   portlets``) is dropped with its map.  ``group-map`` and variable ``assignment``
   elements are dropped.

6. Transitions: only ``trigger="USER"`` transitions (the DCWorkflow default when the
   attribute is absent) are imported.

   * ``from`` = every state listing the transition as ``exit-transition``, in document
     order; a transition no state lists is dropped (it can never be taken), and an
     ``exit-transition`` naming no transition is dropped.
   * ``to`` = ``new_state``; an empty ``new_state`` ("stay") becomes ``to`` = the
     source state when there is exactly one, and the transition is dropped when there
     are several (we cannot express "stay wherever you are").  A ``new_state`` that is
     not a state: dropped.
   * ``roles``: DCWorkflow's guard requires *one of* its ``guard-permission`` elements
     AND *one of* its ``guard-role`` elements AND a group AND the expression.  So, with
     R = the mapped guard-roles and P(s) = every role holding one of the
     guard-permissions in source state s:

     - only guard-roles: ``roles`` = R;
     - only guard-permissions: ``roles`` = the intersection of P(s) over all source
       states (noted when they differ), so no state lets in more than Plone did;
     - both: ``roles`` = R intersected with that -- a user holding one role in both
       sets passes both of Plone's checks (noted when this narrows either set).

     "Holding permission p in state s" is read from s's ``permission-map`` for p.  When
     the workflow does not manage p at all (it is not among its ``permission``
     elements, e.g. ``Review portal content`` or ``Request review`` in Plone's own
     workflows), the object acquires p from the site, so P comes from ``site_rolemap``
     -- by default :data:`PLONE_SITE_ROLEMAP`, the entries of Plone's default
     ``rolemap.xml`` -- and that is noted once per permission with the roles used.  A
     managed permission without a map in s, or an unknown one: no role.
   * A transition with a ``guard-expression`` or a ``guard-group`` is dropped whole:
     neither can be represented, and keeping the transition on its roles alone would
     let more people take it.  Expressions are named on stderr, never evaluated.
   * A transition whose roles come out empty is dropped (Xietong is deny by default:
     every transition names roles) -- this includes a transition with no guard at
     all, which in Plone anyone may take.
   * ``AUTOMATIC`` (and any unknown) trigger: dropped.  ``before_script`` /
     ``after_script`` and ``assignment``: dropped, the transition is kept (they add
     side effects, not permission).  The ``action`` (menu label and URL) is not carried:
     Xietong draws its own buttons from the transition title.
   * ``comment: optional``; title (or the id) and description are carried.

7. Worklists: id, title (the title, or else the description, the action label, the
   id); ``states`` from ``match name="<state_variable>"`` (``;``-separated).  Roles as
   for transitions, with the matched states as the "source" states.  A worklist is
   dropped whole when it has no roles, a guard-expression or guard-group, a match on
   another variable or a match value that is an expression or ``%(...)s`` format.

8. Variables, workflow-level ``script`` and managed ``group`` elements,
   ``instance-creation-conditions`` and ``manager_bypass="True"``: dropped, each named.

9. States no longer reachable from the initial state over the transitions that remain
   are removed (the validator rejects unreachable states), with the transitions and
   worklist entries that depended on them.  Roles are declared only if still used.

10. Nothing usable: no state, an initial state that is missing or was dropped, or a
    source that has transitions of which none survived -> ``mapping`` is ``None`` and
    ``errors`` says why.  (A source without transitions at all, such as Plone's
    ``one_state_workflow``, imports fine.)  Otherwise the mapping is validated with
    :func:`~xietong.workflow.definition.parse_workflow` and its errors returned.

Trade-offs: the result is never more permissive than the source, so it can be *less*
useful -- an expression-guarded transition must be re-added by hand (with a registered
guard), a group guard by roles.  Guard permissions the workflow does not manage are read
from Plone's *default* site role map; a site that changed its ``rolemap.xml`` must check
the noted roles (or pass its own ``site_rolemap``; ``{}`` drops such transitions).
Acquired permissions are narrowed to the listed roles.  Plone's role and permission
names are kept, so ``Reviewer`` and our ``reviewer`` stay distinct roles, and a map for
``View`` grants nothing where Xietong checks ``view``, until someone renames them by hand.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import os
import re
from types import MappingProxyType
from typing import Mapping
import xml.etree.ElementTree as ET
import xml.parsers.expat

import yaml

from ..roles import BUILTIN_ROLES
from .definition import DefinitionError, parse_workflow
from .guards import default_actions, default_guards

MAX_BYTES = 2 * 1024 * 1024
MAX_TEXT = 500  # the schema's TEXT maxLength

ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]{0,59}$")  # schema.NAME: roles and permissions

#: Zope roles whose meaning is one of ours (step 3 of the module docstring).
ROLE_MAP = MappingProxyType({
    "Owner": ("owner",),
    "Authenticated": ("authenticated",),
    "Anonymous": ("anonymous", "authenticated"),
})

#: Who holds a permission the workflow does not manage: the entries of Plone's default
#: site role map (Products.CMFPlone profiles/default/rolemap.xml) that workflows use as
#: guards.  Manager holds every permission at the Zope root.
PLONE_SITE_ROLEMAP = MappingProxyType({
    "Review portal content": ("Manager", "Site Administrator", "Reviewer"),
    "Request review": ("Manager", "Site Administrator", "Owner", "Editor"),
    "Modify portal content": ("Manager", "Site Administrator", "Editor", "Owner"),
    "View": ("Manager", "Site Administrator", "Reader", "Editor", "Contributor"),
    "Access contents information": ("Manager", "Site Administrator", "Reader", "Editor", "Contributor"),
    "Add portal content": ("Manager", "Site Administrator", "Owner", "Contributor"),
    "Delete objects": ("Manager", "Site Administrator", "Owner", "Editor"),
    "List folder contents": ("Manager", "Site Administrator", "Owner", "Reviewer", "Editor", "Contributor"),
})

_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_TALES_RE = re.compile(r"^\s*[A-Za-z_]\w*:")


class UnreadableDefinition(Exception):
    """The file is missing, not XML, declares a DTD/entity, or is not a ``dc-workflow``."""


@dataclass(frozen=True)
class ImportResult:
    mapping: dict | None  # the workflow in our format, or None when nothing usable remains
    dropped: list[str] = field(default_factory=list)  # "<element>: <why>", one per dropped element
    notes: list[str] = field(default_factory=list)  # carried over, but changed or narrowed
    errors: list[DefinitionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mapping is not None and not self.errors


# --------------------------------------------------------------------------- reading


def _read(source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "<bytes>"
    path = os.fspath(source)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UnreadableDefinition("no such file") from None
    except OSError as exc:
        raise UnreadableDefinition(exc.strerror or str(exc)) from None
    if len(data) > MAX_BYTES:
        raise UnreadableDefinition(f"larger than {MAX_BYTES} bytes")
    return data, str(path)


class _Refused(Exception):
    pass


def _refuse(*_args):
    raise _Refused()


def _parse(data: bytes) -> ET.Element:
    if _DOCTYPE_RE.search(data):
        raise UnreadableDefinition("declares a DOCTYPE or ENTITY (refused: DTDs and entities are never read)")
    scanner = xml.parsers.expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _refuse
    scanner.EntityDeclHandler = _refuse
    scanner.ExternalEntityRefHandler = _refuse
    try:
        scanner.Parse(data, True)
    except _Refused:
        raise UnreadableDefinition("declares a DOCTYPE or ENTITY (refused: DTDs and entities are never read)") \
            from None
    except xml.parsers.expat.ExpatError as exc:
        raise UnreadableDefinition(f"not XML: {exc}") from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:  # pragma: no cover - the scan above has already parsed it
        raise UnreadableDefinition(f"not XML: {exc}") from None
    if root.tag != "dc-workflow":
        raise UnreadableDefinition(f"the root element is <{root.tag}>, not <dc-workflow>")
    return root


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _description(element: ET.Element) -> str:
    child = element.find("description")
    text = element.get("description") or ("".join(child.itertext()) if child is not None else "")
    return _collapse(text)


def _texts(element: ET.Element | None, tag: str) -> list[str]:
    """The texts of ``tag`` children, ``;``-lists split, blanks skipped, order kept, no repeats."""
    if element is None:
        return []
    found: dict[str, None] = {}
    for child in element.findall(tag):
        for part in "".join(child.itertext()).split(";"):
            if part.strip():
                found[part.strip()] = None
    return list(found)


@dataclass
class _Guard:
    permissions: list[str]
    roles: list[str]
    groups: list[str]
    expression: str

    @classmethod
    def of(cls, element: ET.Element) -> "_Guard":
        guard = element.find("guard")
        expr = guard.find("guard-expression") if guard is not None else None
        return cls(_texts(guard, "guard-permission"), _texts(guard, "guard-role"), _texts(guard, "guard-group"),
                   _collapse("".join(expr.itertext())) if expr is not None else "")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ordered(items) -> list:
    return list(dict.fromkeys(items))


def _intersection(sets: list[list[str]]) -> list[str]:
    if not sets:
        return []
    rest = [set(s) for s in sets[1:]]
    return [item for item in sets[0] if all(item in s for s in rest)]


def _fmt(roles) -> str:
    return ", ".join(roles) if roles else "(none)"


# --------------------------------------------------------------------------- importing


@dataclass
class _State:
    plone_id: str
    id: str
    element: ET.Element
    exits: list[str]
    maps: dict[str, list[str]]  # permission -> mapped roles, as listed (acquired ones too)


class _Importer:
    def __init__(self, root: ET.Element, source: str, site_rolemap: Mapping):
        self.root, self.source, self.site_rolemap = root, source, site_rolemap
        self.dropped: list[str] = []
        self.notes: list[str] = []
        self._noted: set[str] = set()
        self._bad_roles: set[str] = set()
        self._site_uses: dict[str, list[str]] = {}  # permission -> elements reading the site role map
        self.managed = _texts(root, "permission")
        self.state_var = root.get("state_variable") or "review_state"

    # helpers ------------------------------------------------------------------

    def drop(self, element: str, why: str) -> None:
        self.dropped.append(f"{element}: {why}")

    def note(self, text: str) -> None:
        if text not in self._noted:
            self._noted.add(text)
            self.notes.append(text)

    def text(self, value: str, where: str) -> str:
        if len(value) > MAX_TEXT:
            self.note(f"{where} cut to {MAX_TEXT} characters")
            return value[: MAX_TEXT - 1] + "…"
        return value

    def convert_id(self, raw: str, kind: str, taken: dict[str, str]) -> str | None:
        """Our id for the Plone id ``raw`` or None (dropped, with the reason)."""
        raw = (raw or "").strip()
        if not raw:
            self.drop(f"{kind} without an id", "cannot be named; dropped")
            return None
        new = re.sub(r"[^a-z0-9_]", "_", raw.lower())
        if not new[0].isascii() or not new[0].isalpha():
            new = f"{kind}_{new}"
        new = new[:40]
        if new in taken:
            self.drop(f"{kind} {raw}", f"its id becomes {new!r}, already used by {kind} {taken[new]}; dropped")
            return None
        taken[new] = raw
        if new != raw:
            self.note(f"{kind} {raw} is imported with the id {new}")
        assert ID_RE.match(new), new
        return new

    def roles(self, names, where: str) -> list[str]:
        """Plone role names -> ours (step 3), unusable names left out and reported once."""
        result = []
        for name in names:
            if name in ROLE_MAP:
                mapped = ROLE_MAP[name]
                self.note(f"role {name} is imported as {' + '.join(mapped)}" + (
                    " (in Zope every user, logged in or not, holds Anonymous)" if name == "Anonymous" else ""))
                result.extend(mapped)
            elif not NAME_RE.match(name) or name in BUILTIN_ROLES:
                if name not in self._bad_roles:
                    self._bad_roles.add(name)
                    why = ("its name does not fit Xietong's role-name pattern" if not NAME_RE.match(name)
                           else "it is spelled like a Xietong built-in role with another meaning")
                    self.drop(f"role {name}", f"{why}; removed from every list (first seen in {where})")
            else:
                result.append(name)
        return _ordered(result)

    def holders(self, permission: str, state: _State, user: str) -> list[str]:
        """The roles holding ``permission`` in ``state`` (step 6, roles)."""
        if permission in state.maps:
            return state.maps[permission]
        if permission not in self.managed and permission in self.site_rolemap:
            self._site_uses.setdefault(permission, [])
            if user not in self._site_uses[permission]:
                self._site_uses[permission].append(user)
            return self.roles(self.site_rolemap[permission], f"the site role map for {permission!r}")
        if permission in self.managed:
            self.note(f"{user}: state {state.plone_id} has no permission map for {permission!r} "
                      "(Plone would acquire it from the parent); no role is assumed to hold it")
        else:
            self.note(f"{user}: permission {permission!r} is neither managed by this workflow nor in the "
                      "site role map; no role is assumed to hold it")
        return []

    def guard_roles(self, guard: _Guard, states: list[_State], user: str) -> tuple[list[str], str]:
        """The role list for a guard over ``states`` and, when empty, why."""
        roles = self.roles(guard.roles, user)
        if not guard.permissions:
            if not guard.roles:
                return [], "it has no role or permission guard (in Plone anyone who can see the item may use it)"
            return roles, "none of its guard-roles can be carried over"
        per_state = {s.plone_id: _ordered(r for p in guard.permissions for r in self.holders(p, s, user))
                     for s in states}
        held = _intersection(list(per_state.values()))
        perms = ", ".join(repr(p) for p in guard.permissions)
        if len({frozenset(v) for v in per_state.values()}) > 1:
            detail = "; ".join(f"{sid}: {_fmt(v)}" for sid, v in per_state.items())
            self.note(f"{user}: the roles holding {perms} differ between its states ({detail}); "
                      f"kept the roles common to all: {_fmt(held)}")
        if not guard.roles:
            return held, f"no role holds {perms} in every one of its states"
        both = [r for r in roles if r in held]
        if both != roles or set(both) != set(held):
            self.note(f"{user}: its guard needs one of the roles {_fmt(roles)} and one holding {perms} "
                      f"({_fmt(held)}); kept the roles in both: {_fmt(both)}")
        return both, f"no role is both among its guard-roles and holds {perms}"

    # the steps ----------------------------------------------------------------

    def run(self) -> tuple[dict | None, list[DefinitionError]]:
        root = self.root
        plone_wf_id = root.get("workflow_id") or ""
        wf_id = self.convert_id(plone_wf_id, "workflow", {})
        if wf_id is None:
            return None, [DefinitionError(self.source, "id", "the dc-workflow element has no workflow_id")]
        self.drop_workflow_level()
        states = self.import_states()
        transitions, source_count = self.import_transitions(states)
        initial_raw = root.get("initial_state") or ""
        if not states:
            return None, [DefinitionError(self.source, "states", "nothing usable remains: no state could be imported")]
        if initial_raw not in states:
            return None, [DefinitionError(self.source, "initial", f"nothing usable remains: the initial state "
                                          f"{initial_raw!r} is not among the imported states")]
        self.prune_unreachable(states, transitions, initial_raw)
        if source_count and not transitions:
            return None, [DefinitionError(self.source, "transitions", f"nothing usable remains: none of the "
                                          f"{source_count} transitions could be carried over")]
        worklists = self.import_worklists(states)
        self.drop_variables()
        if self.root.find("transition/action") is not None or self.root.find("worklist/action") is not None:
            self.note("the action elements (menu labels and URLs) are not carried over: Xietong draws its own "
                      "buttons from the transition titles")
        for permission, users in self._site_uses.items():
            self.note(f"guard-permission {permission!r} ({', '.join(users)}) is not managed by this workflow: "
                      f"its roles come from Plone's default site role map "
                      f"({_fmt(self.site_rolemap[permission])}); check them against your site's rolemap.xml")
        return self.assemble(wf_id, plone_wf_id, states, transitions, worklists, initial_raw), []

    def drop_workflow_level(self) -> None:
        root = self.root
        if (root.get("manager_bypass") or "").strip().lower() in ("true", "1", "yes"):
            self.drop("manager_bypass", "in Plone Manager may take every transition; Xietong grants transitions "
                                        "by their roles only")
        icc = root.find("instance-creation-conditions")
        if icc is not None:
            guard = _Guard.of(icc)
            extra = f" (expression {_short(guard.expression)!r}, never evaluated)" if guard.expression else ""
            self.drop("instance-creation-conditions", "Xietong decides who may create content elsewhere" + extra)
        for group in _texts(root, "group"):
            self.drop(f"group {group}", "Xietong workflows grant roles, not groups")
        for script in root.findall("script"):
            self.drop(f"script {script.get('script_id') or '(no id)'}",
                      f"a {script.get('type') or 'workflow'} script is never run; Xietong actions are "
                      "registered names, not scripts")
        known = {"permission", "state", "transition", "worklist", "variable", "script", "group",
                 "instance-creation-conditions", "description"}
        for child in root:
            if isinstance(child.tag, str) and child.tag not in known:
                self.drop(f"element {child.tag}", "not part of the DCWorkflow format this importer knows")

    def import_states(self) -> dict[str, _State]:
        states: dict[str, _State] = {}
        taken: dict[str, str] = {}
        for element in self.root.findall("state"):
            plone_id = (element.get("state_id") or "").strip()
            if plone_id in states:
                self.drop(f"state {plone_id}", "a second state with this id; dropped")
                continue
            new_id = self.convert_id(plone_id, "state", taken)
            if new_id is None:
                continue
            exits = _ordered(e.get("transition_id", "").strip() for e in element.findall("exit-transition"))
            maps: dict[str, list[str]] = {}
            for pmap in element.findall("permission-map"):
                name = (pmap.get("name") or "").strip()
                listed = _texts(pmap, "permission-role")
                if not NAME_RE.match(name):
                    self.drop(f"permission-map {name!r} in state {plone_id}",
                              "the name does not fit Xietong's permission-name pattern; nobody holds it there")
                    continue
                if (pmap.get("acquired") or "").strip().lower() in ("true", "1", "yes"):
                    self.note(f"permission {name} in state {plone_id}: acquired roles from the parent are "
                              "not carried over")
                maps[name] = self.roles(listed, f"state {plone_id}")
            for gmap in element.findall("group-map"):
                self.drop(f"group-map {gmap.get('name')} in state {plone_id}",
                          "Xietong workflows grant roles, not groups")
            for assignment in element.findall("assignment"):
                self.drop(f"assignment of variable {assignment.get('name')} in state {plone_id}",
                          "Xietong workflows have no variables")
            states[plone_id] = _State(plone_id, new_id, element, exits, maps)
        return states

    def import_transitions(self, states: dict[str, _State]) -> tuple[list[dict], int]:
        elements: dict[str, ET.Element] = {}
        for element in self.root.findall("transition"):
            tid = (element.get("transition_id") or "").strip()
            if tid in elements:
                self.drop(f"transition {tid}", "a second transition with this id; dropped")
                continue
            elements[tid] = element
        for state in states.values():
            for tid in state.exits:
                if tid not in elements:
                    self.drop(f"exit-transition {tid} in state {state.plone_id}", "there is no such transition")
        taken: dict[str, str] = {}
        result = []
        for tid, element in elements.items():
            entry = self.import_transition(tid, element, states, taken)
            if entry is not None:
                result.append(entry)
        return result, len(elements)

    def import_transition(self, tid: str, element: ET.Element, states: dict[str, _State],
                          taken: dict[str, str]) -> dict | None:
        what = f"transition {tid}"
        blockers: list[tuple[str, str]] = []  # (element, why): each one drops the transition
        for kind in ("before_script", "after_script"):
            script = (element.get(kind) or "").strip()
            if script:
                self.drop(f"script {script} on transition {tid}",
                          f"{kind} is never run; Xietong actions are registered names, not scripts "
                          "(the transition is kept without it)")
        for assignment in element.findall("assignment"):
            expr = _collapse("".join(assignment.itertext()))
            self.drop(f"assignment of variable {assignment.get('name')} on transition {tid}",
                      f"Xietong workflows have no variables (expression {_short(expr)!r} never evaluated)")
        trigger = (element.get("trigger") or "USER").strip()
        if trigger == "AUTOMATIC":
            blockers.append((f"AUTOMATIC trigger {tid}", "Xietong fires transitions only when a user asks "
                                                          "(or a state deadline fires one)"))
        elif trigger != "USER":
            blockers.append((what, f"unknown trigger {trigger!r}"))
        guard = _Guard.of(element)
        alone = ("keeping the transition on its roles alone would let more people take it"
                 if guard.roles or guard.permissions else "without it the transition names no roles")
        if guard.expression:
            blockers.append((f"guard-expression on transition {tid}",
                             f"{_short(guard.expression)!r} is never evaluated, and {alone}"))
        for group in guard.groups:
            blockers.append((f"guard-group {group} on transition {tid}",
                             f"Xietong grants transitions to roles, not groups, and {alone}"))
        sources = [s for s in states.values() if tid in s.exits]
        if not sources:
            blockers.append((what, "no state lists it as an exit-transition, so it can never be taken"))
        new_state = (element.get("new_state") or "").strip()
        if not new_state:
            if len(sources) == 1:
                dest = sources[0]
                self.note(f"{what}: an empty new_state (stay) is imported as to = {dest.id}")
            else:
                dest = None
                if sources:
                    blockers.append((what, "its new_state is empty (stay in the current state) and it leaves "
                                           f"{len(sources)} states; one 'to' cannot say that"))
        else:
            dest = states.get(new_state)
            if dest is None:
                blockers.append((what, f"its new_state {new_state!r} is not an imported state"))
        if not blockers:
            roles, why_empty = self.guard_roles(guard, sources, what)
            if not roles:
                blockers.append((what, f"{why_empty}; Xietong transitions are deny by default and must name "
                                       "roles"))
        if blockers:
            for head, why in blockers:
                self.drop(head, f"{why}; transition {tid} dropped")
            return None
        new_id = self.convert_id(tid, "transition", taken)
        if new_id is None:
            return None
        entry = {"id": new_id, "title": self.text(element.get("title") or tid, f"title of {what}")}
        description = _description(element)
        if description:
            entry["description"] = self.text(description, f"description of {what}")
        entry["from"] = [s.id for s in sources]
        entry["to"] = dest.id
        entry["roles"] = roles
        entry["comment"] = "optional"
        entry["_plone"] = tid
        return entry

    def prune_unreachable(self, states: dict[str, _State], transitions: list[dict], initial: str) -> None:
        """Step 9: remove states the remaining transitions cannot reach, and what hangs on them."""
        by_id = {s.id: s for s in states.values()}
        reached, queue = {states[initial].id}, deque([states[initial].id])
        while queue:
            current = queue.popleft()
            for entry in transitions:
                if current in entry["from"] and entry["to"] not in reached:
                    reached.add(entry["to"])
                    queue.append(entry["to"])
        for state_id, state in by_id.items():
            if state_id not in reached:
                self.drop(f"state {state.plone_id}", f"cannot be reached from the initial state {initial} once "
                                                     "the dropped transitions are gone; removed")
                del states[state.plone_id]
        for entry in list(transitions):
            kept = [s for s in entry["from"] if s in reached]
            if not kept:
                self.drop(f"transition {entry['_plone']}", "all its source states were removed as unreachable; "
                                                           f"transition {entry['_plone']} dropped")
                transitions.remove(entry)
            elif kept != entry["from"]:
                self.note(f"transition {entry['_plone']}: leaves only {', '.join(kept)} now "
                          "(its other source states were removed)")
                entry["from"] = kept

    def import_worklists(self, states: dict[str, _State]) -> dict[str, dict]:
        result: dict[str, dict] = {}
        taken: dict[str, str] = {}
        for element in self.root.findall("worklist"):
            wid = (element.get("worklist_id") or "").strip()
            what = f"worklist {wid}"
            problems: list[str] = []
            matched: list[str] = []
            for match in element.findall("match"):
                name, values = match.get("name") or "", match.get("values") or ""
                if name != self.state_var:
                    problems.append(f"it matches the variable {name!r} (Xietong lists by state only)")
                    continue
                if _TALES_RE.match(values) or "%(" in values:
                    problems.append(f"its {name} match {_short(values)!r} is an expression or a format, "
                                    "never evaluated")
                    continue
                matched.extend(v.strip() for v in values.split(";") if v.strip())
            guard = _Guard.of(element)
            if guard.expression:
                problems.append(f"its guard-expression {_short(guard.expression)!r} is never evaluated")
            if guard.groups:
                problems.append(f"its guard-group {', '.join(guard.groups)} cannot be mapped")
            listed = [states[s] for s in _ordered(matched) if s in states]
            for gone in _ordered(s for s in matched if s not in states):
                self.note(f"{what}: state {gone} is not among the imported states; left out")
            if not listed and not problems:
                problems.append("it matches none of the imported states")
            roles, why_empty = self.guard_roles(guard, listed, what) if listed and not problems else ([], "")
            if not problems and not roles:
                problems.append(f"{why_empty}; a Xietong worklist must name its roles")
            if problems:
                self.drop(what, "; ".join(problems) + "; dropped")
                continue
            new_id = self.convert_id(wid, "worklist", taken)
            if new_id is None:
                continue
            action = element.find("action")
            label = _collapse("".join(action.itertext())) if action is not None else ""
            title = _collapse(element.get("title")) or _description(element) or label or wid
            result[new_id] = {"title": self.text(title, f"title of {what}"), "states": [s.id for s in listed],
                              "roles": roles}
        return result

    def drop_variables(self) -> None:
        for element in self.root.findall("variable"):
            vid = element.get("variable_id") or "(no id)"
            default = element.find("default")
            expr = default.find("expression") if default is not None else None
            default_expr = _collapse("".join(expr.itertext())) if expr is not None else ""
            guard = _Guard.of(element)
            if default_expr or guard.expression:
                shown = default_expr or guard.expression
                self.drop(f"variable {vid} (expression)",
                          f"{_short(shown)!r} is never evaluated; Xietong workflows have no variables")
            else:
                self.drop(f"variable {vid}", "Xietong workflows have no variables")

    def assemble(self, wf_id: str, plone_wf_id: str, states: dict[str, _State], transitions: list[dict],
                 worklists: dict[str, dict], initial: str) -> dict:
        used: dict[str, None] = {}
        out_states = {}
        for state in states.values():
            entry = {"title": self.text(state.element.get("title") or state.plone_id,
                                        f"title of state {state.plone_id}")}
            description = _description(state.element)
            if description:
                entry["description"] = self.text(description, f"description of state {state.plone_id}")
            entry["permissions"] = {name: list(roles) for name, roles in state.maps.items()}
            for roles in state.maps.values():
                used.update(dict.fromkeys(roles))
            out_states[state.id] = entry
        out_transitions = []
        for entry in transitions:
            entry = {k: v for k, v in entry.items() if k != "_plone"}
            if len(entry["from"]) == 1:
                entry["from"] = entry["from"][0]
            used.update(dict.fromkeys(entry["roles"]))
            out_transitions.append(entry)
        for worklist in worklists.values():
            used.update(dict.fromkeys(worklist["roles"]))
        mapping: dict = {"id": wf_id, "title": self.text(self.root.get("title") or plone_wf_id, "workflow title")}
        description = _description(self.root)
        if description:
            mapping["description"] = self.text(description, "workflow description")
        mapping["version"] = 1
        mapping["types"] = []
        mapping["initial"] = states[initial].id
        declared = {role: role for role in used if role not in BUILTIN_ROLES}
        if declared:
            mapping["roles"] = declared
        mapping["states"] = out_states
        mapping["transitions"] = out_transitions
        if worklists:
            mapping["worklists"] = worklists
        return mapping


def import_dcworkflow(source, *, site_rolemap: Mapping = PLONE_SITE_ROLEMAP) -> ImportResult:
    """Import a DCWorkflow ``definition.xml`` (bytes, or a path to read); see the module docstring.

    Raises :class:`UnreadableDefinition` when there is no DCWorkflow to read.  Never
    prints, never evaluates anything from the file.
    """
    data, name = _read(source)
    root = _parse(data)
    importer = _Importer(root, name, site_rolemap)
    mapping, errors = importer.run()
    if mapping is not None:
        _workflow, errors = parse_workflow(mapping, name, guards=default_guards(), actions=default_actions())
    return ImportResult(mapping=mapping, dropped=importer.dropped, notes=importer.notes, errors=list(errors))


def to_yaml(mapping: dict, source_name: str) -> str:
    """The YAML text printed by ``xietong import-dcworkflow``: one comment line, then the mapping."""
    shown = " ".join(str(source_name).split())
    return (f"# imported from {shown} by xietong import-dcworkflow\n"
            + yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False))


def run(argv_path: str, stdout, stderr, *, site_rolemap: Mapping = PLONE_SITE_ROLEMAP) -> int:
    """``xietong import-dcworkflow PATH``: YAML on ``stdout`` (only on success), messages on ``stderr``.

    Exit status: 0 a valid workflow was printed; 1 nothing usable remains or the result
    does not validate (nothing printed); 2 the file cannot be read as a DCWorkflow.
    """
    def say(line: str) -> None:
        print(line, file=stderr)

    try:
        result = import_dcworkflow(argv_path, site_rolemap=site_rolemap)
    except UnreadableDefinition as exc:
        say(f"error: cannot read {argv_path}: {exc}")
        return 2
    for line in result.dropped:
        say(f"dropped: {line}")
    for line in result.notes:
        say(f"note: {line}")
    for error in result.errors:
        say(f"error: {error}")
    if not result.ok:
        say(f"{argv_path}: nothing written ({_count(result.dropped, 'element')} dropped)")
        return 1
    stdout.write(to_yaml(result.mapping, argv_path))
    mapping = result.mapping
    say(f"{argv_path}: imported workflow {mapping['id']}: {_count(mapping['states'], 'state')}, "
        f"{_count(mapping['transitions'], 'transition')}, {_count(mapping.get('worklists', ()), 'worklist')}; "
        f"{_count(result.dropped, 'element')} dropped, {_count(result.notes, 'note')}")
    return 0


def _count(items, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
