"""Workflow introspection pages and the document page (fields, state, actions, one timeline, diagram).

The transition buttons post to one view that calls :func:`xietong.services.workflow.fire`
— the same function the API, bulk actions and the sweeper call.  A transition whose
comment is ``required`` opens a Bootstrap modal (``data-bs-toggle``, no inline script)
holding the required comment box and the confirming button; a disabled button keeps
showing why.

The history is one timeline: the workflow's history rows and the recorded field
changes (``services.content.changes_of``), merged by time; the changes of one save
(same person, within two seconds) form one entry listing "field old → new".
"""
from dataclasses import dataclass, field
from datetime import date, datetime
import re

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..db import SAFE_METHODS
from ..formatting import format_date
from ..i18n import _, translate
from ..models import Filing, IntegrationPlan, Unit, User
from ..roles import ROLE_TITLES
from ..services import content, history, privacy
from ..services.attachments import attachments_of
from ..workflow.guards import sharing_problems
from . import documents
from ..services.workflow import (Actor, DocumentNotFound, TransitionError, available_transitions, document_statement,
                                 fire, lock_document)


COMMENT_TITLES = {"required": _("required"), "optional": _("optional"), "none": _("no comment")}


def workflows_of(request):
    return request.registry["workflows"]


def document_factory(request):
    """The route's context: the document named by ``{id}`` (404 when missing or trashed)."""
    raw = request.matchdict["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 15):  # SQLite integers end at 2**63
        raise HTTPNotFound()
    # with its type's columns in one statement (``get`` then loaded those lazily); a request
    # that writes locks the row as it reads it, and the service's own lock_document reuses it
    if request.method in SAFE_METHODS:
        document = request.dbsession.execute(document_statement(), {"document_id": int(raw)}).scalar_one_or_none()
    else:
        try:
            document = lock_document(request.dbsession, int(raw))
        except DocumentNotFound:
            raise HTTPNotFound() from None
    if document is None or document.trashed_at is not None or document.workflow_id is None:
        raise HTTPNotFound()
    return document


def permission_matrix(definition):
    """(permissions, roles, rows) where rows[state] = {(permission, role): bool}."""
    permissions = sorted({p for s in definition.states.values() for p in s.permissions})
    roles = sorted({r for s in definition.states.values() for rs in s.permissions.values() for r in rs})
    rows = {sid: {(p, r): r in state.roles_for(p) for p in permissions for r in roles}
            for sid, state in definition.states.items()}
    return permissions, roles, rows


@view_config(route_name="workflows", renderer="workflows.jinja2")
def list_workflows(request):
    return {"workflows": [c.definition for c in workflows_of(request)]}


@view_config(route_name="workflow", renderer="workflow.jinja2")
def show_workflow(request):
    compiled = workflows_of(request).get(request.matchdict["id"])
    if compiled is None:
        raise HTTPNotFound()
    permissions, roles, rows = permission_matrix(compiled.definition)
    return {"workflow": compiled.definition, "diagram": compiled.diagram(), "permissions": permissions,
            "roles": roles, "matrix": rows, "role_titles": ROLE_TITLES, "comment_titles": COMMENT_TITLES}


def _document_page(request, document, error=None):
    """Everything the document page shows: fields, compliance, state, actions, one timeline."""
    workflows = workflows_of(request)
    compiled = workflows.get(document.workflow_id)
    definition = compiled.definition if compiled else None
    dbsession = request.dbsession
    entries = history.entries(dbsession, document.id)
    changes = content.changes_of(dbsession, document.id)
    actor_ids = {e.actor_id for e in entries if e.actor_id} | {c.actor_id for c in changes if c.actor_id}
    unit_ids = {e.actor_unit_id for e in entries if e.actor_unit_id} | \
        {c.actor_unit_id for c in changes if c.actor_unit_id}
    people = {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(actor_ids))
                                                 .options(lazyload(User.role_rows)))} if actor_ids else {}
    units = {u.id: u for u in dbsession.scalars(select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    problems = sharing_problems(document) if isinstance(document, Filing) else []
    return {
        "document": document, "definition": definition, "error": error,
        "state": definition.states.get(document.state) if definition else None,
        "transitions": available_transitions(workflows, document, Actor.of(request.identity.user)),
        "history": entries, "people": people, "units": units,
        "timeline": timeline(request, document, entries, changes, people, units),
        "diagram": compiled.diagram(document.state) if compiled else "",
        "type_title": documents.type_title(document.type),
        "fields": documents.document_fields(document, request.identity.user),
        "sharing_problems": problems,
        "zombie_criteria": documents.zombie_criteria(document),
        "overdue": documents.is_overdue(document),
        "attachments": attachments_of(dbsession, document.id),
        "choice_title": documents.choice_title,
        "item_rows": list(document.items) if isinstance(document, IntegrationPlan) else None,
        "may_edit": bool(request.has_permission("edit", document)),
        "may_delete": bool(request.has_permission("delete", document)),
        "may_manage": bool(request.has_permission("manage", document)),
        "may_copy": documents.may_copy(request, document),
        "title_of": lambda thing: documents.localized_title(request, thing),
        "task": _task_part(request, document),
    }


def _task_part(request, document):
    from ..models import KeyTask
    from .tasks import task_context

    return task_context(request, document) if isinstance(document, KeyTask) else None


# -- the timeline: transitions and field changes in one list ------------------------------------------

@dataclass(frozen=True)
class Change:
    label: object
    old: str
    new: str


@dataclass
class TimelineItem:
    time: datetime
    kind: str  # created, transition, edit, trash, restore
    action: object
    from_state: str
    to_state: str
    actor: str
    unit: str
    comment: str = ""
    changes: list = field(default_factory=list)


ITEM_RE = re.compile(r"system=(?P<system>\d*); action=(?P<action>\w*); target_system=(?P<target_system>\d*); "
                     r"due_date=(?P<due_date>[\d-]*); done_date=(?P<done_date>[\d-]*); "
                     r"evidence=(?P<evidence>.*?)(?=, system=\d*; action=|$)", re.S)


class _ChangeWriter:
    """Field changes as a person reads them: field titles, choice titles, dates, names.

    The values are stored as the strings ``services.content`` wrote (``_shown``); this
    turns them back into something readable and falls back to the raw text.
    """

    def __init__(self, request, document, changes):
        self.request, self.document = request, document
        self.labels = documents.field_labels(document.type)
        ids = set()
        for change in changes:
            if change.field in ("systems", "integrated_into", "items"):
                ids.update(int(i) for i in re.findall(r"\d+", f"{change.old_value} {change.new_value}")
                           if len(i) < 10)
        self.systems = documents.system_titles(request.dbsession, ids)

    def t(self, message) -> str:
        return translate(self.request.localizer, message)

    def value(self, field_name: str, raw: str) -> str:
        if raw == "":
            return "—"
        if privacy.is_personal(self.document, field_name):
            return privacy.shown(self.request.identity.user, self.document, field_name, raw)
        if field_name in documents.CHOICE_FIELDS or field_name == "action":
            return self.t(documents.choice_title(field_name, raw))
        if field_name in documents.DATE_FIELDS:
            try:
                return format_date(date.fromisoformat(raw), self.request.locale_name)
            except ValueError:
                return raw
        if raw in ("True", "False"):
            return self.t(_("yes") if raw == "True" else _("no"))
        if field_name in ("systems", "integrated_into", "system", "target_system"):
            names = [self.systems.get(int(i), i) if i.isdecimal() and len(i) < 10 else i for i in raw.split(", ")]
            return "、".join(names)
        if field_name == "target_unit" and raw.isdecimal() and len(raw) < 10:
            return documents.unit_name(self.request.dbsession, int(raw)) or raw
        return raw

    def label(self, name: str) -> str:
        return self.t(self.labels.get(name, name))

    def lines(self, change) -> list[Change]:
        name, old, new = change.field, change.old_value, change.new_value
        if name == "compliance":
            before, after = _pairs(old), _pairs(new)
            return [Change(self.label(k), self.value(k, before.get(k, "")), self.value(k, after.get(k, "")))
                    for k in after if before.get(k) != after.get(k)] or [Change(self.label(name), old, new)]
        if name == "items":
            return self.item_lines(old, new)
        return [Change(self.label(name), self.value(name, old), self.value(name, new))]

    def item_lines(self, old: str, new: str) -> list[Change]:
        before = [m.groupdict() for m in ITEM_RE.finditer(old)]
        after = [m.groupdict() for m in ITEM_RE.finditer(new)]
        lines = []
        for number in range(max(len(before), len(after))):
            a = before[number] if number < len(before) else None
            b = after[number] if number < len(after) else None
            system = self.value("system", (b or a)["system"])
            prefix = f"{self.label('items')} {number + 1}（{system}）"
            if a is None or b is None:
                lines.append(Change(prefix, "—" if a is None else self.t(_("listed")),
                                    "—" if b is None else self.t(_("listed"))))
                continue
            for key in ("system", "action", "target_system", "due_date", "done_date", "evidence"):
                if a[key] != b[key]:
                    lines.append(Change(f"{prefix} · {self.label('item.' + key)}", self.value(key, a[key]),
                                        self.value(key, b[key])))
        return lines or [Change(self.label("items"), old, new)]


def _pairs(text: str) -> dict:
    pairs = {}
    for part in text.split("; "):
        key, _sep, value = part.partition("=")
        pairs[key] = value
    return pairs


def timeline(request, document, entries, changes, people, units) -> list[TimelineItem]:
    """History rows and field changes, oldest first; the changes of one save form one item."""
    workflows = workflows_of(request)

    def state_title(workflow_id, state_id):
        compiled = workflows.get(workflow_id)
        state = compiled.definition.states.get(state_id) if compiled and state_id else None
        return documents.localized_title(request, state) if state else (state_id or "")

    def person(actor_id):
        return people[actor_id].display_name if actor_id in people else translate(request.localizer, _("system"))

    def unit(unit_id):
        return units[unit_id].short_name if unit_id in units else ""

    items = []
    for e in entries:
        if e.transition:
            compiled = workflows.get(e.workflow_id)
            transition = compiled.definition.transition(e.transition) if compiled else None
            action = documents.localized_title(request, transition) if transition else e.transition
            kind = "transition"
        else:
            action, kind = _("Created"), "created"
        items.append((e.created_at, 0, e.id, TimelineItem(
            e.created_at, kind, action, state_title(e.workflow_id, e.from_state),
            state_title(e.workflow_id, e.to_state), person(e.actor_id), unit(e.actor_unit_id), e.comment)))

    writer = _ChangeWriter(request, document, changes)
    current = None
    for c in changes:
        if c.field == "trashed":
            kind = "trash" if c.new_value == "True" else "restore"
            action = _("Moved to the trash") if kind == "trash" else _("Restored from the trash")
            current = None
            items.append((c.created_at, 1, c.id, TimelineItem(
                c.created_at, kind, action, "", state_title(document.workflow_id, c.state), person(c.actor_id),
                unit(c.actor_unit_id))))
            continue
        if current is not None and current.actor == person(c.actor_id) and \
                abs((c.created_at - current.time).total_seconds()) < 2:
            current.changes.extend(writer.lines(c))
            continue
        current = TimelineItem(c.created_at, "edit", _("Edited"), "", state_title(document.workflow_id, c.state),
                               person(c.actor_id), unit(c.actor_unit_id), changes=writer.lines(c))
        items.append((c.created_at, 1, c.id, current))
    items.sort(key=lambda row: row[:3])
    return [row[3] for row in items]


@view_config(route_name="document", renderer="document.jinja2", permission="view")
def show_document(request):
    return _document_page(request, request.context)


@view_config(route_name="document_transition", request_method="POST", renderer="document.jinja2",
             permission="view")
def take_transition(request):
    document = request.context
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        expected = None
    try:
        fire(request.dbsession, workflows_of(request), document.id, request.matchdict["transition"],
             Actor.of(request.identity.user), comment=request.POST.get("comment", "")[:2000],
             expected_version=expected)
    except DocumentNotFound:
        raise HTTPNotFound() from None
    except TransitionError as exc:
        request.tm.doom()  # nothing of a refused transition may be committed
        request.response.status = exc.status
        request.dbsession.refresh(document)
        return _document_page(request, document, error=translate(request.localizer, exc.reason))
    request.session.flash(translate(request.localizer, _("Done: ${transition}", mapping={
        "transition": workflows_of(request)[document.workflow_id].definition.transition(
            request.matchdict["transition"]).title})), "success")
    return HTTPSeeOther(request.route_path("document", id=document.id))
