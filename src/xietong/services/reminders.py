"""Milestone reminders, sent by ``xietong sweep``: "due within N days" and "overdue", once each.

For every milestone not done on a task not completed (China dates):

* **due soon** — ``today <= due_date <= today + days``;
* **overdue** — ``due_date < today`` (the same rule as
  :func:`xietong.services.tasks.overdue_milestone_clause`).

Each (milestone, kind, due_date) is remembered in ``milestone_reminders`` (a unique
key), so a second sweep the same day — or every day after — sends nothing new; a
milestone moved by an approved delay has a new due date and is reminded again.

The units concerned are the task's lead and cooperating units: their staff and heads
get an in-app notification and an e-mail after commit
(:func:`xietong.services.notifications.notify`).  The candidates are found in one
query for all reminded tasks.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, exists, select

from ..formatting import format_date
from ..i18n import _
from ..models import KeyTask, LocalRole, Milestone, MilestoneReminder, User
from . import notifications
from ..i18n import translate

DEFAULT_DAYS = 7
CONCERNED_ROLES = ("lead", "contributor")


@dataclass
class ReminderReport:
    due_soon: list[int] = field(default_factory=list)  # milestone ids
    overdue: list[int] = field(default_factory=list)
    notified: int = 0  # notifications written


def _not_reminded(kind: str):
    return ~exists(select(MilestoneReminder.id).where(and_(
        MilestoneReminder.milestone_id == Milestone.id, MilestoneReminder.kind == kind,
        MilestoneReminder.due_date == Milestone.due_date)))


def _due(dbsession, kind: str, condition) -> list[tuple[Milestone, KeyTask]]:
    return list(dbsession.execute(
        select(Milestone, KeyTask).join(KeyTask, KeyTask.id == Milestone.task_id)
        .where(Milestone.done_date.is_(None), KeyTask.state != "completed", KeyTask.trashed_at.is_(None),
               condition, _not_reminded(kind))
        .order_by(Milestone.due_date, Milestone.id)).all())


def _concerned(dbsession, task_ids: set[int]) -> dict[int, list[User]]:
    """task id -> active staff and heads of its lead and cooperating units."""
    if not task_ids:
        return {}
    rows = dbsession.execute(
        select(LocalRole.node_id, User).join(User, User.unit_id == LocalRole.unit_id)
        .where(LocalRole.node_id.in_(sorted(task_ids)), LocalRole.role.in_(CONCERNED_ROLES),
               User.active.is_(True), User.unit_role.in_(("staff", "head")))
        .order_by(LocalRole.node_id, User.id)).all()
    result: dict[int, list[User]] = {}
    for task_id, user in rows:
        if user not in result.setdefault(task_id, []):
            result[task_id].append(user)
    return result


def _message(kind: str, task: KeyTask, milestone: Milestone) -> str:
    mapping = {"number": task.number, "task": task.title, "milestone": milestone.title,
               "date": format_date(milestone.due_date)}
    if kind == "overdue":
        text = _("Overdue: key task ${number} “${task}”, milestone “${milestone}” was due on ${date}",
                 mapping=mapping)
    else:
        text = _("Due soon: key task ${number} “${task}”, milestone “${milestone}” is due on ${date}",
                 mapping=mapping)
    return translate(notifications.default_localizer(), text)


def remind(dbsession, today: date, days: int = DEFAULT_DAYS) -> ReminderReport:
    report = ReminderReport()
    found = [("overdue", m, t) for m, t in _due(dbsession, "overdue", Milestone.due_date < today)]
    found += [("due_soon", m, t) for m, t in _due(dbsession, "due_soon", and_(
        Milestone.due_date >= today, Milestone.due_date <= today + timedelta(days=days)))]
    people = _concerned(dbsession, {t.id for _k, _m, t in found})
    for kind, milestone, task in found:
        dbsession.add(MilestoneReminder(milestone_id=milestone.id, kind=kind, due_date=milestone.due_date))
        (report.overdue if kind == "overdue" else report.due_soon).append(milestone.id)
        message = _message(kind, task, milestone)
        report.notified += notifications.notify(dbsession, task, [(u, message) for u in people.get(task.id, [])])
    dbsession.flush()
    return report
