"""Key tasks: loading them from the seed, reading them as summaries, delays, milestones, escalation.

Loading (:func:`load_tasks`, run by ``xietong load-seed``) reads ``data/key_tasks.yaml``
and creates or updates one ``key_task`` node per entry, matched by its ``number``:

* "市政府各部门" expands to every active city department and "各区县人民政府" to every
  district and county government, each time leaving out the task's own lead units;
  any other name must be a unit's short name (an unknown one stops the load);
* lead units get the local role ``lead``, cooperating units ``contributor``; rows
  missing are added, rows granted since on the sharing page are kept;
* milestones are matched by position; a milestone whose seed date changed moves, one
  whose date was moved by an approved delay keeps it.  Loading twice changes nothing.

Overdue is derived (:func:`overdue_milestone_clause`, :func:`is_overdue`): a milestone
not done whose due date is before today (China time) on a task not completed.

Summaries (:func:`task_summaries`) read every task in five statements whatever their
number, all of plain columns (no ORM objects: the seed's "市政府各部门" makes a few
thousand local-role rows, and building them as objects cost more than the SQL): the tasks,
their milestones, their lead and cooperating units, the unit names and the newest
submitted progress per task.  ``where`` narrows the tasks (the dashboards pass the
permission predicate, so no second statement is needed to drop the tasks a reader may
not see).  With ``workflows``, the progress statement names the progress reports'
workflow, which lets SQLite read the (workflow_id, state, ...) index instead of every
node in a reported state (1 ms instead of 13 ms at 100k documents).

A delay (:func:`request_delay`) is a :class:`~xietong.models.DelayRequest` plus the
``request_delay`` transition, in one savepoint; the leadership group's
``approve_delay`` / ``refuse_delay`` settle it in :mod:`xietong.services.rules`, inside
the transition's transaction.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
import re

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
import yaml

from ..formatting import china_today
from ..i18n import _
from ..models import (DelayRequest, KeyTask, LocalRole, Milestone, Node, ProgressReport,
                      RectificationOrder, Unit, utcnow)
from . import ServiceError
from .rules import pending_delay, record_change  # noqa: F401 (pending_delay: read by the task pages)
from .workflow import SYSTEM, Actor, create_document, fire

ALL_DEPARTMENTS = "市政府各部门"
ALL_COUNTIES = "各区县人民政府"
LEADERSHIP_UNIT = "lingdaoxiaozu"
REPORTED_STATES = ("submitted", "acknowledged")
_MONTH_END = re.compile(r"(\d{4})年(\d{1,2})月底前")


def month_end(phrase: str) -> date:
    """"2018年1月底前" -> 2018-01-31 (the month's last day)."""
    match = _MONTH_END.search(phrase)
    if match is None:
        raise ValueError(f"not a month-end deadline: {phrase}")
    year, month = int(match.group(1)), int(match.group(2))
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def seed_tasks() -> list[dict]:
    text = resources.files("xietong.data").joinpath("key_tasks.yaml").read_text("utf-8")
    return yaml.safe_load(text)["tasks"]


def node_name(number: str) -> str:
    """URL name of a task: "1".."10", "3-1".."3-7" for 三(一)..三(七)."""
    match = re.fullmatch(r"三\((.)\)", number)
    return f"3-{'一二三四五六七'.index(match.group(1)) + 1}" if match else number


# -- loading ---------------------------------------------------------------------------------------

def _expand(names: list[str], units: list[Unit], leave_out: set[int]) -> list[Unit]:
    by_name = {u.short_name: u for u in units}
    result: list[Unit] = []
    for name in names:
        if name == ALL_DEPARTMENTS:
            chosen = [u for u in units if u.kind == "department" and u.active]
        elif name == ALL_COUNTIES:
            chosen = [u for u in units if u.kind in ("district", "county") and u.active]
        elif name in by_name:
            chosen = [by_name[name]]
        else:
            raise ServiceError(_("The seed names a unit that does not exist: ${name}", mapping={"name": name}))
        result.extend(u for u in chosen if u.id not in leave_out and u not in result)
    return result


def task_units(entry: dict, units: list[Unit]) -> tuple[list[Unit], list[Unit]]:
    """(lead units, cooperating units) of a seed entry, expanded, in the units' order."""
    lead = _expand(entry["lead"], units, set())
    cooperating = _expand(entry.get("cooperating") or [], units, {u.id for u in lead})
    return lead, cooperating


def _milestone_dates(entry: dict) -> list[tuple[str, date]]:
    return [(m["title"], m["due"] if "due" in m else month_end(m["phrase"])) for m in entry.get("milestones") or []]


def _sync_milestones(task: KeyTask, wanted: list[tuple[str, date]]) -> bool:
    changed = False
    for order, (title, due) in enumerate(wanted):
        if order < len(task.milestones):
            milestone = task.milestones[order]
            if milestone.title != title:
                milestone.title, changed = title, True
            if milestone.original_due_date != due:
                if milestone.due_date == milestone.original_due_date:
                    milestone.due_date = due
                milestone.original_due_date, changed = due, True
        else:
            task.milestones.append(Milestone(sort_order=order, title=title, due_date=due, original_due_date=due))
            changed = True
    return changed


def _sync_roles(task: KeyTask, role: str, units: list[Unit]) -> bool:
    held = set(task.units_holding(role))
    missing = [u for u in units if u.id not in held]
    task.local_role_rows.extend(LocalRole(unit_id=u.id, role=role) for u in missing)
    return bool(missing)


def load_tasks(dbsession, workflows) -> tuple[int, int]:
    """Create or update the seed's tasks; returns (created, updated)."""
    units = list(dbsession.scalars(select(Unit).order_by(Unit.sort_order, Unit.id)))
    home = next((u for u in units if u.code == LEADERSHIP_UNIT), None)
    existing = {t.number: t for t in dbsession.scalars(select(KeyTask))}
    created = updated = 0
    for order, entry in enumerate(seed_tasks()):
        lead, cooperating = task_units(entry, units)
        task = existing.get(entry["number"])
        is_new = task is None
        if is_new:
            name = node_name(entry["number"])
            task = KeyTask(name=name, path=f"/tasks/{name}/", number=entry["number"], title=entry["title"],
                           section=entry["section"], sort_order=order, body=entry["body"],
                           unit_id=home.id if home else None)
        changed = False
        for attr in ("title", "section", "body"):
            if getattr(task, attr) != entry[attr]:
                setattr(task, attr, entry[attr])
                changed = True
        if task.sort_order != order:
            task.sort_order, changed = order, True
        changed |= _sync_milestones(task, _milestone_dates(entry))
        changed |= _sync_roles(task, "lead", lead)
        changed |= _sync_roles(task, "contributor", cooperating)
        task.search_text = f"{task.title}\n{task.body}"
        if is_new:
            create_document(dbsession, workflows, task, SYSTEM)
            created += 1
        elif changed:
            updated += 1
    dbsession.flush()
    return created, updated


# -- reading ---------------------------------------------------------------------------------------

def overdue_milestone_clause(today: date):
    """SQL over ``Milestone`` joined to its task's ``Node``: not done, past due, task not completed."""
    return and_(Milestone.done_date.is_(None), Milestone.due_date < today, Node.state != "completed")


def is_overdue(milestone: Milestone, task_state: str, today: date) -> bool:
    return milestone.done_date is None and milestone.due_date < today and task_state != "completed"


@dataclass(frozen=True)
class MilestoneView:
    id: int
    title: str
    due_date: date
    original_due_date: date
    done_date: date | None
    overdue: bool

    @property
    def delayed(self) -> bool:
        return self.due_date != self.original_due_date


@dataclass(frozen=True)
class TaskSummary:
    id: int
    number: str
    title: str
    section: str
    state: str
    lead_units: list[str]
    cooperating_units: list[str]
    milestones: list[MilestoneView]
    overdue: bool
    progress: int | None
    next_milestone: MilestoneView | None


def of_workflow(entity, workflows, type_name: str):
    """SQL: ``entity`` (``Node`` or a subclass, or an alias) is in the workflow bound to ``type_name``.

    Documents live in the workflow of their type (:func:`xietong.services.workflow.create_document`);
    saying so in a statement lets SQLite start from the (workflow_id, state, ...) indexes.
    Without ``workflows``: the type itself.
    """
    compiled = workflows.for_type(type_name) if workflows is not None else None
    return entity.workflow_id == compiled.id if compiled is not None else entity.type == type_name


def latest_progress(dbsession, task_ids=None, workflows=None) -> dict[int, int]:
    """task id -> percentage of its newest submitted or acknowledged progress report."""
    reported = aliased(ProgressReport)
    newest = (select(func.max(reported.id))
              .where(of_workflow(reported, workflows, "progress_report"), reported.state.in_(REPORTED_STATES),
                     reported.trashed_at.is_(None))
              # task_id + 0: not in the order of ix_progress_reports_task_id, which made SQLite read
              # every report's nodes row for its state (dashboards.grouping_key says more)
              .group_by(reported.task_id + 0))
    query = select(ProgressReport.task_id, ProgressReport.percentage).where(ProgressReport.id.in_(newest))
    if task_ids is not None:
        query = query.where(ProgressReport.task_id.in_(list(task_ids)))
    return dict(dbsession.execute(query).all())


def _summary(task, milestones, role_units: dict[str, list[int]], names: dict[int, str], progress: int | None,
             today: date) -> TaskSummary:
    """``task``: anything with id, number, title, section, state; ``milestones``: rows with id,
    title, due_date, original_due_date, done_date in display order; ``role_units``: role ->
    unit ids."""
    views = [MilestoneView(m.id, m.title, m.due_date, m.original_due_date, m.done_date,
                           is_overdue(m, task.state, today)) for m in milestones]
    pending = sorted((m for m in views if m.done_date is None), key=lambda m: (m.due_date, m.id))
    position = {unit_id: i for i, unit_id in enumerate(names)}
    shown = {role: [names[i] for i in sorted(role_units.get(role, ()), key=position.__getitem__)]
             for role in ("lead", "contributor")}
    return TaskSummary(task.id, task.number, task.title, task.section, task.state, shown["lead"],
                       shown["contributor"], views, any(m.overdue for m in views), progress,
                       pending[0] if pending else None)


def summarize(task: KeyTask, names: dict[int, str], progress: int | None, today: date) -> TaskSummary:
    """The summary of one loaded task (its milestones and local roles as loaded with it)."""
    return _summary(task, task.milestones, {role: task.units_holding(role) for role in ("lead", "contributor")},
                    names, progress, today)


def unit_names(dbsession) -> dict[int, str]:
    """unit id -> short name, in the units' display order."""
    return dict(dbsession.execute(select(Unit.id, Unit.short_name).order_by(Unit.sort_order, Unit.id)).all())


TASK_ROLES = ("lead", "contributor")


def task_summaries(dbsession, today: date | None = None, where=(), workflows=None,
                   roles: tuple[str, ...] = TASK_ROLES) -> list[TaskSummary]:
    """Every task not in the trash (and meeting the conditions ``where`` on ``KeyTask``), in order.

    ``roles``: whose units to name (``("lead",)``: the cooperating units stay empty — the
    leadership group's page shows only the lead units, and "every city department"
    cooperates on most tasks, thousands of rows at scale).
    """
    today = today or china_today()
    conditions = [KeyTask.trashed_at.is_(None), *where]
    if workflows is not None:
        conditions.append(of_workflow(KeyTask, workflows, "key_task"))
    tasks = dbsession.execute(select(KeyTask.id, KeyTask.number, KeyTask.title, KeyTask.section, KeyTask.state)
                              .where(*conditions).order_by(KeyTask.sort_order, KeyTask.id)).all()
    if not tasks:
        return []
    ids = [t.id for t in tasks]
    milestones: dict[int, list] = {}
    for row in dbsession.execute(
            select(Milestone.task_id, Milestone.id, Milestone.title, Milestone.due_date, Milestone.original_due_date,
                   Milestone.done_date)
            .where(Milestone.task_id.in_(ids)).order_by(Milestone.task_id, Milestone.sort_order, Milestone.id)):
        milestones.setdefault(row.task_id, []).append(row)
    held: dict[int, dict[str, list[int]]] = {}
    for node_id, role, unit_id in dbsession.execute(
            select(LocalRole.node_id, LocalRole.role, LocalRole.unit_id)
            .where(LocalRole.node_id.in_(ids), LocalRole.role.in_(roles),
                   LocalRole.unit_id.is_not(None))):
        held.setdefault(node_id, {}).setdefault(role, []).append(unit_id)
    names = unit_names(dbsession)
    progress = latest_progress(dbsession, workflows=workflows)
    return [_summary(t, milestones.get(t.id, []), held.get(t.id, {}), names, progress.get(t.id), today)
            for t in tasks]


def task_summary(dbsession, task: KeyTask, today: date | None = None) -> TaskSummary:
    return summarize(task, unit_names(dbsession), latest_progress(dbsession, [task.id]).get(task.id),
                     today or china_today())


def delay_requests(dbsession, task_id: int) -> list[DelayRequest]:
    return list(dbsession.scalars(select(DelayRequest).where(DelayRequest.task_id == task_id)
                                  .order_by(DelayRequest.id.desc())))


# -- writing ---------------------------------------------------------------------------------------

def _milestone_of(task: KeyTask, milestone_id) -> Milestone:
    milestone = next((m for m in task.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise ServiceError(_("Choose one of this task's milestones"), "milestone")
    return milestone


def request_delay(dbsession, workflows, task: KeyTask, milestone_id: int, new_date: date, reason: str,
                  actor: Actor) -> DelayRequest:
    """A lead unit asks to move a milestone to ``new_date``; the task goes to ``delay_requested``."""
    milestone = _milestone_of(task, milestone_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the delay"), "reason")
    if new_date <= milestone.due_date:
        raise ServiceError(_("The new date must be after the current one"), "new_date")
    with dbsession.begin_nested():
        request = DelayRequest(task_id=task.id, milestone_id=milestone.id, requested_due_date=new_date,
                               reason=reason, requested_by_id=actor.user.id if actor.user else None)
        dbsession.add(request)
        dbsession.flush()
        fire(dbsession, workflows, task.id, "request_delay", actor, comment=reason)
    return request


def mark_milestone_done(dbsession, task: KeyTask, milestone_id: int, done: date, actor: Actor) -> Milestone:
    """Record a milestone as reached on ``done`` (lead units and the leadership group)."""
    from ..security import roles_on

    if not roles_on(actor.user, task) & {"lead", "leader"}:
        raise ServiceError(_("Only the lead units and the leadership group may mark a milestone reached"), "role")
    milestone = _milestone_of(task, milestone_id)
    if done > china_today():
        raise ServiceError(_("The date cannot be in the future"), "done_date")
    if milestone.done_date != done:
        record_change(dbsession, task, actor, "milestone", f"{milestone.title}: {milestone.done_date or ''}",
                      f"{milestone.title}: {done}")
        milestone.done_date = done
        task.modified_at = utcnow()
        dbsession.flush()
    return milestone


def escalate(dbsession, workflows, task: KeyTask, unit_id: int, actor: Actor) -> RectificationOrder:
    """Turn an overdue task into a draft rectification order to one of its units, for the leadership
    group to complete (document number) and issue."""
    from .content import create, may_create

    today = china_today()
    summary = task_summary(dbsession, task, today)
    if not summary.overdue:
        raise ServiceError(_("Only an overdue task can be escalated"), "task")
    if not may_create(actor.user, "rectification_order"):
        raise ServiceError(_("Only the information office's reviewers and the leadership group may escalate"),
                           "role")
    if unit_id not in set(task.units_holding("lead")) | set(task.units_holding("contributor")):
        raise ServiceError(_("Choose one of the task's lead or cooperating units"), "unit")
    late = "；".join(f"{m.title}（{m.due_date.year}年{m.due_date.month}月{m.due_date.day}日）"
                    for m in summary.milestones if m.overdue)
    data = {"title": f"关于重点任务{task.number}逾期的整改通知", "target_unit": unit_id,
            "basis": f"《黄山市政务信息系统整合共享实施方案》重点任务{task.number}：{task.title}",
            "findings": f"以下节点逾期未完成：{late}", "due_date": today + timedelta(days=30), "doc_number": ""}
    return create(dbsession, workflows, "rectification_order", data, actor)
