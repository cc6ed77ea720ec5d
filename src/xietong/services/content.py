"""Documents: create, edit (every changed field recorded), trash and restore, copy a blocked filing.

The content types are described once in :data:`TYPES` (model, folder in the unit's
path, schema, which fields are searched); HTML forms, the JSON API and the CLI all go
through the functions here.  Validation is the schema's; this module checks only what
needs the database (a system of another unit, one plan per unit and year).

Every save compares each field before and after and appends a :class:`FieldChange` for
those that differ — so an amount changed after review leaves a trace beside the
transitions.  Nothing is deleted: ``trash`` sets ``trashed_at`` (recorded the same way),
``restore`` clears it.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from ..generation import cached
from ..i18n import _
from ..models import (AggregateReport, AnnualReport, FieldChange, Filing, InformationSystem, IntegrationPlan, KeyTask,
                      LocalRole, Node, PlanItem, ProgressReport, RectificationOrder, Unit, utcnow)
from ..schemas import documents as schemas
from ..schemas import tasks as task_schemas
from . import ServiceError
from .reports import REPORTING_KINDS, aggregate_due_date, annual_due_date
from .workflow import Actor, create_document


@dataclass(frozen=True)
class ContentType:
    name: str
    title: object
    model: type
    folder: str  # the unit folder holding these documents: /units/<unit>/<folder>/<name>
    fields: tuple[str, ...]  # the editable fields, in form order (API names)
    text_fields: tuple[str, ...]  # searched besides the title
    schema: Callable


TYPES = {t.name: t for t in (
    ContentType("information_system", _("Information system"), InformationSystem, "systems",
                ("title", "function", "usage_scope", "usage_frequency", "approving_department", "approval_date",
                 "funding_source", "status", "network", "connected_to_exchange", "catalogued", "zombie_detached",
                 "zombie_replaceable", "zombie_idle", "zombie_unmaintained", "zombie_low_use", "integrated_into"),
                ("function", "usage_scope"), schemas.system_schema),
    ContentType("filing", _("Project filing"), Filing, "filings",
                ("title", "year", "project_type", "funding_kind", "amount", "funding_source", "build_mode",
                 "description", "contact_person", "contact_phone", "systems", "compliance"),
                ("description",), schemas.filing_schema),
    ContentType("integration_plan", _("Integration plan"), IntegrationPlan, "plans",
                ("title", "year", "description", "items"), ("description",), schemas.plan_schema),
    ContentType("rectification_order", _("Rectification order"), RectificationOrder, "orders",
                ("title", "target_unit", "basis", "findings", "due_date", "doc_number"),
                ("basis", "findings", "doc_number"), schemas.rectification_schema),
    ContentType("key_task", _("Key task"), KeyTask, "tasks", ("title", "body"), ("body",),
                task_schemas.task_schema),
    ContentType("progress_report", _("Progress report"), ProgressReport, "progress",
                ("title", "task", "percentage", "text"), ("text",), task_schemas.progress_schema),
    ContentType("annual_report", _("Annual report"), AnnualReport, "annual-reports",
                ("title", "year", "catalogue", "platform", "sharing"), ("catalogue", "platform", "sharing"),
                task_schemas.annual_schema),
    ContentType("aggregate_report", _("Aggregate report"), AggregateReport, "aggregate-reports",
                ("title", "year", "summary"), ("summary",), task_schemas.aggregate_schema),
)}

COMPLIANCE = ("network", "connected_to_exchange", "catalogued", "duplicates_existing")

#: Who may create each type (in their own unit): a unit's staff and head file its systems,
#: filings and integration plan; reviewers and the leadership group issue rectification orders.
CREATORS = {
    "information_system": frozenset({"staff", "head"}),
    "filing": frozenset({"staff", "head"}),
    "integration_plan": frozenset({"staff", "head"}),
    "rectification_order": frozenset({"reviewer", "leader"}),
    "progress_report": frozenset({"staff", "head"}),  # and their unit leads or cooperates on the task
    "annual_report": frozenset({"staff", "head"}),
    "aggregate_report": frozenset({"reviewer"}),
    # key tasks come from the seed (xietong load-seed), nobody creates one by hand
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: object = None

    def __bool__(self) -> bool:
        return self.allowed


def may_create(user, type_name: str) -> Decision:
    """May ``user`` create a document of ``type_name`` (in their own unit)?  With the reason if not."""
    from ..roles import ROLE_TITLES

    needed = CREATORS.get(type_name, frozenset())
    held = {user.unit_role, *user.roles} if user is not None else set()
    if type_name == "annual_report" and user is not None and user.unit.kind not in REPORTING_KINDS:
        return Decision(False, _("Only the city departments and the district and county governments report "
                                 "on their year"))
    if needed & held:
        return Decision(True)
    info = TYPES.get(type_name)
    return Decision(False, _("Only these roles may create ${type}: ${roles}", mapping={
        "type": info.title if info else type_name, "roles": [ROLE_TITLES.get(r, r) for r in sorted(needed)]}))


def content_type(name: str) -> ContentType:
    try:
        return TYPES[name]
    except KeyError:
        raise ServiceError(_("Unknown document type: ${type}", mapping={"type": str(name)[:40]}), "type") from None


# -- choices that depend on the database -----------------------------------------------------------

def system_choices(dbsession, unit_id: int) -> list[tuple[int, str]]:
    return [(i, t) for i, t in dbsession.execute(
        select(InformationSystem.id, InformationSystem.title).where(
            InformationSystem.unit_id == unit_id, InformationSystem.trashed_at.is_(None))
        .order_by(InformationSystem.title))]


def unit_choices(dbsession) -> list[tuple[int, str]]:
    """(id, short name) of every unit, for the unit filters of listings and search (cached until the next write)."""
    return cached(dbsession, ("unit_choices",), lambda: [
        (i, n) for i, n in dbsession.execute(select(Unit.id, Unit.short_name).order_by(Unit.sort_order))])


def task_choices(dbsession, unit_id: int) -> list[tuple[int, str]]:
    """The key tasks on which ``unit_id`` is a lead or cooperating unit (it may report on them)."""
    reporting = select(LocalRole.node_id).where(LocalRole.unit_id == unit_id,
                                                LocalRole.role.in_(("lead", "contributor")))
    rows = dbsession.execute(select(KeyTask.id, KeyTask.number, KeyTask.title).where(
        KeyTask.trashed_at.is_(None), KeyTask.id.in_(reporting)).order_by(KeyTask.sort_order))
    return [(i, f"{n} {t}") for i, n, t in rows]


def schema_for(dbsession, type_name: str, unit_id: int, request=None, csrf=True):
    """The colander schema of a type, bound to the choices of ``unit_id`` (the document's unit)."""
    info = content_type(type_name)
    if type_name == "rectification_order":
        return info.schema(request, unit_choices(dbsession), csrf=csrf)
    if type_name == "progress_report":
        return info.schema(request, task_choices(dbsession, unit_id), csrf=csrf)
    if type_name in ("key_task", "annual_report", "aggregate_report"):
        return info.schema(request, (), csrf=csrf)
    return info.schema(request, system_choices(dbsession, unit_id), csrf=csrf)


# -- reading and writing fields --------------------------------------------------------------------

def field_values(document) -> dict:
    """The document's editable fields as plain values (API shape, also what edits compare)."""
    info = TYPES[document.type]
    values = {}
    for field in info.fields:
        if field == "amount":
            values[field] = document.amount
        elif field == "systems":
            values[field] = [s.id for s in document.systems]
        elif field == "compliance":
            values[field] = {name: getattr(document, name) for name in COMPLIANCE}
        elif field == "items":
            values[field] = [{"system": i.system_id, "action": i.action, "target_system": i.target_system_id,
                              "due_date": i.due_date, "done_date": i.done_date, "evidence": i.evidence}
                             for i in document.items]
        elif field in ("integrated_into", "target_unit", "task"):
            values[field] = getattr(document, f"{field}_id")
        else:
            values[field] = getattr(document, field)
    return values


def _apply(dbsession, document, data: dict) -> None:
    for field, value in data.items():
        if field == "amount":
            document.amount = value
        elif field == "systems":
            document.systems = list(dbsession.scalars(
                select(InformationSystem).where(InformationSystem.id.in_(value or [])))) if value else []
        elif field == "compliance":
            for name in COMPLIANCE:
                setattr(document, name, value[name])
        elif field == "items":
            document.items = [PlanItem(system_id=i["system"], action=i["action"], target_system_id=i["target_system"],
                                       due_date=i["due_date"], done_date=i["done_date"], evidence=i["evidence"])
                              for i in value]
        elif field == "integrated_into":
            if value is not None and value == document.id:
                raise ServiceError(_("A system cannot be integrated into itself"), field)
            document.integrated_into_id = value
        elif field == "target_unit":
            document.target_unit_id = value
        elif field == "task":
            if document.task_id is not None and document.task_id != value:
                raise ServiceError(_("A progress report stays with its task"), field)
            document.task_id = value
        else:
            setattr(document, field, value)
    if isinstance(document, (AnnualReport, AggregateReport)) and document.year:
        # the seed's 三(二): units report by 10 January, the leadership group by 20 January
        due = annual_due_date if isinstance(document, AnnualReport) else aggregate_due_date
        document.due_date = due(document.year)
    info = TYPES[document.type]
    parts = [document.title or ""] + [str(getattr(document, f) or "") for f in info.text_fields]
    document.search_text = "\n".join(p for p in parts if p)


def _grant_target_unit(document, previous_target: int | None = None) -> None:
    """The unit ordered to rectify holds ``contributor`` on the order (it answers it).

    When the target changes, only the previous target's row goes: grants made on the
    sharing page stay.
    """
    if not isinstance(document, RectificationOrder):
        return
    if previous_target is not None and previous_target != document.target_unit_id:
        document.local_role_rows = [r for r in document.local_role_rows
                                    if not (r.role == "contributor" and r.unit_id == previous_target)]
    if not any(r.role == "contributor" and r.unit_id == document.target_unit_id for r in document.local_role_rows):
        document.local_role_rows.append(LocalRole(unit_id=document.target_unit_id, role="contributor"))


def _check_unique_plan(dbsession, unit_id: int, year: int, document=None) -> None:
    clash = dbsession.scalar(select(IntegrationPlan.id).where(
        IntegrationPlan.unit_id == unit_id, IntegrationPlan.year == year, IntegrationPlan.trashed_at.is_(None),
        IntegrationPlan.id != (document.id if document is not None else -1)))
    if clash is not None:
        raise ServiceError(_("Your unit already has an integration plan for ${year}", mapping={"year": year}),
                           "year")


def _check_unique_report(dbsession, model, year: int, unit_id: int | None, document=None) -> None:
    """One annual report per unit and year; one aggregate report per year."""
    conditions = [model.year == year, model.trashed_at.is_(None), model.id != (document.id if document else -1)]
    if unit_id is not None:
        conditions.append(model.unit_id == unit_id)
    if dbsession.scalar(select(model.id).where(*conditions)) is not None:
        message = (_("Your unit already has an annual report for ${year}", mapping={"year": year})
                   if unit_id is not None else _("There is already an aggregate report for ${year}",
                                                  mapping={"year": year}))
        raise ServiceError(message, "year")


def _check_reporting_unit(dbsession, task_id: int, actor: Actor) -> KeyTask:
    """A progress report is written by a lead or cooperating unit of its task."""
    from ..security import roles_on

    task = dbsession.get(KeyTask, task_id)
    if task is None or not roles_on(actor.user, task) & {"lead", "contributor"}:
        raise ServiceError(_("Your unit is neither a lead nor a cooperating unit of this task"), "task")
    return task


def _next_name(dbsession, info: ContentType, unit_id: int, year: int, parent_id: int | None = None) -> str:
    """``2018-001``: the unit's next number of the type in the year, free among its siblings too.

    A progress report lives under its task, where several units' reports meet: the unit's
    next number may already name another unit's report there (UNIQUE(parent_id, name)).
    """
    count = dbsession.scalar(select(func.count(Node.id)).where(Node.type == info.name, Node.unit_id == unit_id,
                                                               Node.name.like(f"{year}-%")))
    number = count + 1
    while parent_id is not None and dbsession.scalar(select(Node.id).where(
            Node.name == f"{year}-{number:03d}",
            or_(Node.parent_id == parent_id, and_(Node.type == info.name, Node.unit_id == unit_id)))) is not None:
        number += 1  # taken under the task, or (after such a skip) by the unit's own earlier report
    return f"{year}-{number:03d}"


def create(dbsession, workflows, type_name: str, data: dict, actor: Actor, unit: Unit | None = None):
    """Create a document of ``type_name`` from validated ``data`` in ``unit`` (default: the actor's)."""
    info = content_type(type_name)
    unit = unit or actor.user.unit
    year = data.get("year") or (data.get("due_date") or date.today()).year
    task = None
    if type_name == "integration_plan":
        _check_unique_plan(dbsession, unit.id, year)
    elif type_name == "annual_report":
        _check_unique_report(dbsession, AnnualReport, year, unit.id)
    elif type_name == "aggregate_report":
        _check_unique_report(dbsession, AggregateReport, year, None)
    elif type_name == "progress_report":
        task = _check_reporting_unit(dbsession, data.get("task"), actor)
    name = _next_name(dbsession, info, unit.id, year, task.id if task is not None else None)
    document = info.model(name=name, path=f"/units/{unit.url_name}/{info.folder}/{name}/", title="",
                          unit_id=unit.id, owner=actor.user)
    _apply(dbsession, document, data)
    _grant_target_unit(document)
    if task is not None:
        # the task's lead units follow their partners' reports (the workflow's "lead" role)
        document.parent_id = task.id
        document.local_role_rows.extend(LocalRole(unit_id=u, role="lead") for u in task.units_holding("lead"))
    return create_document(dbsession, workflows, document, actor)


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_shown(v)}" for k, v in value.items())
    if isinstance(value, (date, Decimal)):
        return str(value)
    return "" if value is None else str(value)


def record_changes(dbsession, document, before: dict, after: dict, actor: Actor) -> list[FieldChange]:
    changes = []
    for field, old in before.items():
        new = after.get(field)
        if _shown(old) != _shown(new):
            change = FieldChange(node_id=document.id, actor_id=actor.user.id if actor.user else None,
                                 actor_unit_id=actor.user.unit_id if actor.user else None, state=document.state,
                                 field=field, old_value=_shown(old), new_value=_shown(new))
            dbsession.add(change)
            changes.append(change)
    return changes


class EditConflict(ServiceError):
    """Someone saved the document meanwhile (its version moved on): reload and edit again."""


def _flush_or_conflict(dbsession) -> None:
    # StaleDataError is "retryable" to zope.sqlalchemy: letting it escape would make
    # pyramid_retry re-run the request and overwrite the other person's save.
    try:
        dbsession.flush()
    except StaleDataError:
        raise EditConflict(_("This document was changed by someone else meanwhile; reload it")) from None


def edit(dbsession, document, data: dict, actor: Actor) -> list[FieldChange]:
    """Apply validated ``data``; returns the recorded field changes (none: nothing saved)."""
    if isinstance(document, IntegrationPlan) and "year" in data:
        _check_unique_plan(dbsession, document.unit_id, data["year"], document)
    if isinstance(document, AnnualReport) and "year" in data:
        _check_unique_report(dbsession, AnnualReport, data["year"], document.unit_id, document)
    if isinstance(document, AggregateReport) and "year" in data:
        _check_unique_report(dbsession, AggregateReport, data["year"], None, document)
    before = field_values(document)
    _apply(dbsession, document, data)
    changes = record_changes(dbsession, document, before, field_values(document), actor)
    if changes:
        _grant_target_unit(document, before.get("target_unit"))
        document.modified_at = utcnow()
    _flush_or_conflict(dbsession)
    return changes


def trash(dbsession, document, actor: Actor) -> None:
    if document.trashed_at is not None:
        return
    document.trashed_at = utcnow()
    record_changes(dbsession, document, {"trashed": False}, {"trashed": True}, actor)
    _flush_or_conflict(dbsession)


def restore(dbsession, document, actor: Actor) -> None:
    if document.trashed_at is None:
        return
    document.trashed_at = None
    record_changes(dbsession, document, {"trashed": True}, {"trashed": False}, actor)
    _flush_or_conflict(dbsession)


def copy_filing(dbsession, workflows, filing: Filing, actor: Actor) -> Filing:
    """Start a new filing from a blocked one (the blocked one stays final), linked to it."""
    if filing.state != "funding_blocked":
        raise ServiceError(_("Only a filing whose funding was blocked can be started again"), "state")
    if actor.user is None or actor.user.unit_id != filing.unit_id or not may_create(actor.user, "filing"):
        raise ServiceError(_("Only the staff and head of the filing's unit can start it again"), "unit")
    data = {k: v for k, v in field_values(filing).items()}
    data["title"] = filing.title
    new = create(dbsession, workflows, "filing", data, actor, unit=filing.unit)
    new.copied_from_id = filing.id
    dbsession.flush()
    return new


def changes_of(dbsession, node_id: int) -> list[FieldChange]:
    return list(dbsession.scalars(select(FieldChange).where(FieldChange.node_id == node_id).order_by(FieldChange.id)))


def trashed(dbsession, limit: int = 200) -> list[Node]:
    return list(dbsession.scalars(select(Node).where(Node.trashed_at.is_not(None))
                                  .order_by(Node.trashed_at.desc()).limit(limit)))
