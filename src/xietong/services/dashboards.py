"""The figures of the three dashboards: the leadership group's, the finance bureau's, a unit's.

Every figure is one SQL statement — a ``GROUP BY`` aggregate, or a bounded list — never
"load the documents and count in Python".  Every statement over documents carries the
listings' predicate, ``security.permitted_clause(user, "view", workflows)`` on ``Node``
(and ``trashed_at IS NULL``), so a dashboard counts exactly the documents its reader
could open.  Results are plain dataclasses; turning them into chart options and tables
is the views' business.

Money: filings keep ``amount_cents`` (hundredths of 万元).  The statements ``SUM`` those
integers; :func:`wan` turns a sum into a ``Decimal`` of 万元 at the edge, so no float
and no database ``Numeric`` is ever involved.

What counts as what (written down because a dashboard is only as good as its
definitions):

* a milestone is *overdue* when it is not done, its due date has passed and its task
  is not completed (:func:`xietong.services.tasks.overdue_milestone_clause`);
* a task is *overdue* when one of its milestones is; the scorecard's *on time* is a
  task led by the unit with no overdue milestone (on time + overdue = tasks led);
* a rectification order is *open* when issued or responded (not draft, not 销号); it
  is *overdue* when open and past its due date;
* the finance bureau's *awaiting decision* are filings in ``reviewed``; its decisions
  are ``approved`` and ``funding_blocked``.

Speed (measured at 100k documents, ``bench/``; the figures are in ``docs/DASHBOARDS.md``):
every statement names the workflow of the type it counts (:func:`visible` with
``type_name``, :func:`xietong.services.tasks.of_workflow`).  Documents live in the
workflow bound to their type, so the answer is the same; but SQLite then starts from
the (workflow_id, state, unit_id, owner_id, trashed_at) index on the few rows of that
type (17 key tasks) instead of running the permission predicate's multi-index OR over
every document a leader may see (41 ms for the task ids alone), and the predicate
comes in the session's dialect (PostgreSQL's ``= ANY (ARRAY(...))`` spelling).
Aggregates group on ``nodes`` columns first and join the units to the grouped rows.

Two figures are not this module's own statements: the leadership group's task list is
:func:`xietong.services.tasks.task_summaries` (five statements for all tasks) with the
permission predicate as its condition; the units whose annual report is missing come from
:func:`xietong.services.reports.missing_annual_reports` and are not permission-filtered
(whether a unit has reported is the leadership group's business, not a document's).
Every function takes ``today`` (a China date): the pages pass
:func:`xietong.formatting.china_today`, tests a fixed day.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import case, distinct, false, func, select
from sqlalchemy.orm import aliased

from ..models import Filing, KeyTask, LocalRole, Milestone, Node, RectificationOrder, Unit
from ..resources import SITE_PERMISSIONS
from ..security import ByIdentity, actionable_clause, permitted_clause
from ..workflow.loader import WorkflowSet
from . import listing
from .reports import annual_due_date, missing_annual_reports
from .tasks import of_workflow, overdue_milestone_clause, task_summaries

#: Who sees which dashboard (global roles; the site permissions are the one list); everyone
#: logged in has their unit's.
LEADERSHIP_ROLES = SITE_PERMISSIONS["view_leadership_dashboard"]
FINANCE_ROLES = SITE_PERMISSIONS["view_finance_dashboard"]

AWAITING_DECISION = "reviewed"
DECISION_STATES = ("approved", "funding_blocked")
OPEN_ORDER_STATES = ("issued", "responded")
LIST_LIMIT = 100


def wan(cents: int | None) -> Decimal:
    """Hundredths of 万元 (an integer sum) as 万元 with two decimals."""
    return Decimal(int(cents or 0)).scaleb(-2)


@lru_cache(maxsize=256)
def _workflows_of_type(handle: ByIdentity, type_name: str) -> WorkflowSet | None:
    """The set holding only the workflow bound to ``type_name`` (the same compiled workflow
    object), built once per set and type: ``permitted_clause`` caches its predicate by set."""
    workflows = handle.obj
    compiled = workflows.for_type(type_name)
    if compiled is None:
        return None
    return WorkflowSet(MappingProxyType({compiled.id: compiled}),
                       MappingProxyType({t: compiled.id for t in compiled.definition.types}),
                       workflows.guards, workflows.actions)


def visible(user, workflows, type_name: str | None = None, dialect: str | None = None) -> list:
    """The conditions on ``Node`` every dashboard statement carries: not in the trash, viewable
    by ``user``; with ``type_name``, in that type's workflow — and then the permission
    predicate is compiled from that workflow alone.  On rows of one workflow the other
    workflows' terms (``workflow_id = w AND ...``) are false, so the answer is the same;
    but the predicate is a tenth of the size: cheaper to test per row, and PostgreSQL
    estimates its rows instead of expecting a handful (which made it sort all 5,128 open
    orders rather than walk the due-date index)."""
    if type_name is None:
        return [Node.trashed_at.is_(None), permitted_clause(user, "view", workflows, dialect)]
    own = _workflows_of_type(ByIdentity(workflows), type_name)
    if own is None:
        return [false()]
    return [of_workflow(Node, own, type_name), Node.trashed_at.is_(None),
            permitted_clause(user, "view", own, dialect)]


def _dialect(dbsession) -> str:
    return dbsession.get_bind().dialect.name


def grouping_key(column):
    """``column + 0``: the same value, but not the column, so no index on it can serve the GROUP BY.

    With statistics (``ANALYZE``) SQLite likes to read a subtype table in the order of an
    index on the grouped column to skip sorting the groups — and then fetches the ``nodes``
    row of *every* document of the type to test its state and the permission predicate
    (11k rectification orders: 25 ms), where starting from the covering (workflow_id,
    state, ...) index reads only the open ones and sorts a few hundred groups (4 ms).
    """
    return column + 0


def dashboard_for(user) -> str:
    """The dashboard ``/dashboards`` sends ``user`` to: leadership, finance, else their unit's."""
    roles = user.roles
    if roles & LEADERSHIP_ROLES:
        return "leadership"
    if roles & FINANCE_ROLES:
        return "finance"
    return "unit"


# -- shared: filings by state ----------------------------------------------------------------------

@dataclass(frozen=True)
class StateFigure:
    state: str
    count: int
    amount: Decimal  # 万元


def filings_by_state(dbsession, workflows, user, unit_id: int | None = None) -> list[StateFigure]:
    """Filings the user may see (of one unit, if given), counted and summed per state."""
    conditions = visible(user, workflows, "filing", _dialect(dbsession))
    if unit_id is not None:
        conditions.append(Filing.unit_id == unit_id)
    rows = dbsession.execute(
        select(Filing.state, func.count(Filing.id), func.sum(Filing.amount_cents))
        .where(*conditions).group_by(Filing.state).order_by(Filing.state))
    return [StateFigure(state, count, wan(cents)) for state, count, cents in rows]


# -- the finance bureau ----------------------------------------------------------------------------

@dataclass
class MoneyRow:
    """One unit and year: filings awaiting the decision, approved and blocked (counts and 万元)."""

    unit_id: int
    unit: str
    year: int
    awaiting_count: int = 0
    awaiting_amount: Decimal = Decimal("0.00")
    approved_count: int = 0
    approved_amount: Decimal = Decimal("0.00")
    blocked_count: int = 0
    blocked_amount: Decimal = Decimal("0.00")


@dataclass
class FinanceFigures:
    rows: list[MoneyRow]
    total: MoneyRow
    years: list[int]


_MONEY_COLUMNS = {AWAITING_DECISION: "awaiting", "approved": "approved", "funding_blocked": "blocked"}


def finance_figures(dbsession, workflows, user) -> FinanceFigures:
    """Filings awaiting decision, approved and blocked, by unit and year (one GROUP BY, on the
    filings' own columns; the units' names are joined to the few thousand groups, not to the
    tens of thousands of filings)."""
    grouped = (select(Filing.unit_id, Filing.year, Filing.state, func.count(Filing.id).label("count"),
                      func.sum(Filing.amount_cents).label("cents"))
               .where(Filing.state.in_(tuple(_MONEY_COLUMNS)), *visible(user, workflows, "filing", _dialect(dbsession)))
               .group_by(Filing.unit_id, Filing.year, Filing.state).subquery())
    rows = dbsession.execute(
        select(Unit.id, Unit.short_name, grouped.c.year, grouped.c.state, grouped.c.count, grouped.c.cents)
        .join(grouped, grouped.c.unit_id == Unit.id)
        .order_by(Unit.sort_order, Unit.id, grouped.c.year))
    by_key: dict[tuple[int, int], MoneyRow] = {}
    total = MoneyRow(0, "", 0)
    for unit_id, unit, year, state, count, cents in rows:
        row = by_key.setdefault((unit_id, year), MoneyRow(unit_id, unit, year))
        prefix = _MONEY_COLUMNS[state]
        for target in (row, total):
            setattr(target, f"{prefix}_count", getattr(target, f"{prefix}_count") + count)
            setattr(target, f"{prefix}_amount", getattr(target, f"{prefix}_amount") + wan(cents))
    return FinanceFigures(list(by_key.values()), total, sorted({year for _unit, year in by_key}))


@dataclass(frozen=True)
class FilingLine:
    id: int
    title: str
    unit: str
    year: int
    amount: Decimal


def filings_awaiting_decision(dbsession, workflows, user, limit: int = LIST_LIMIT) -> list[FilingLine]:
    rows = dbsession.execute(
        select(Filing.id, Filing.title, Unit.short_name, Filing.year, Filing.amount_cents)
        .join(Unit, Unit.id == Filing.unit_id)
        .where(Filing.state == AWAITING_DECISION, *visible(user, workflows, "filing", _dialect(dbsession)))
        .order_by(Filing.modified_at, Filing.id).limit(limit))
    return [FilingLine(id_, title, unit, year, wan(cents)) for id_, title, unit, year, cents in rows]


# -- rectification orders --------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderLine:
    id: int
    title: str
    doc_number: str
    unit: str  # the target unit
    state: str
    due_date: date
    overdue: bool


def open_orders(dbsession, workflows, user, today: date, unit_id: int | None = None,
                overdue_only: bool = False, limit: int = LIST_LIMIT) -> list[OrderLine]:
    """Open rectification orders the user may see (addressed to ``unit_id``, if given), by due date."""
    conditions = [RectificationOrder.state.in_(OPEN_ORDER_STATES),
                  *visible(user, workflows, "rectification_order", _dialect(dbsession))]
    if unit_id is not None:
        conditions.append(RectificationOrder.target_unit_id == unit_id)
    if overdue_only:
        conditions.append(RectificationOrder.due_date < today)
    # the page of orders first, then their titles and units: PostgreSQL misjudges the
    # predicate as matching a handful of rows and otherwise joins all 5,128 open orders to
    # their units before sorting (16 ms at 100k documents; 9 ms so)
    page = (select(RectificationOrder.id).where(*conditions)
            .order_by(RectificationOrder.due_date, RectificationOrder.id).limit(limit).subquery())
    rows = dbsession.execute(
        select(RectificationOrder.id, RectificationOrder.title, RectificationOrder.doc_number, Unit.short_name,
               RectificationOrder.state, RectificationOrder.due_date)
        .join(page, page.c.id == RectificationOrder.id)
        .join(Unit, Unit.id == RectificationOrder.target_unit_id)
        .order_by(RectificationOrder.due_date, RectificationOrder.id))
    return [OrderLine(id_, title, number, unit, state, due, due < today)
            for id_, title, number, unit, state, due in rows]


# -- milestones ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MilestoneLine:
    id: int
    task_id: int
    task_number: str
    task_title: str
    title: str
    due_date: date
    role: str = ""  # the unit's part in the task: lead or contributor (unit dashboard)


def overdue_milestones(dbsession, workflows, user, today: date, unit_id: int | None = None,
                       limit: int = LIST_LIMIT) -> list[MilestoneLine]:
    """Overdue milestones of tasks the user may see; with ``unit_id``, of tasks that unit leads
    or cooperates on (its part in the task given as ``role``)."""
    base = (select(Milestone.id, KeyTask.id, KeyTask.number, KeyTask.title, Milestone.title, Milestone.due_date)
            .join(KeyTask, KeyTask.id == Milestone.task_id)
            .where(overdue_milestone_clause(today), *visible(user, workflows, "key_task", _dialect(dbsession))))
    if unit_id is None:
        rows = dbsession.execute(base.order_by(Milestone.due_date, KeyTask.sort_order, Milestone.id).limit(limit))
        return [MilestoneLine(*row) for row in rows]
    # an alias: the permission predicate's own EXISTS over local_roles must not correlate to it
    part = aliased(LocalRole)
    role = func.max(part.role)  # "lead" > "contributor": a unit holding both is shown as leading
    stmt = (base.add_columns(role).join(part, part.node_id == KeyTask.id)
            .where(part.unit_id == unit_id, part.role.in_(("lead", "contributor")))
            .group_by(Milestone.id, KeyTask.id, KeyTask.number, KeyTask.title, KeyTask.sort_order,
                      Milestone.title, Milestone.due_date)
            .order_by(Milestone.due_date, KeyTask.sort_order, Milestone.id).limit(limit))
    return [MilestoneLine(*row) for row in dbsession.execute(stmt)]


# -- the leadership group --------------------------------------------------------------------------

@dataclass
class ScoreRow:
    """One unit's line of the leadership group's scorecard."""

    unit_id: int
    unit: str
    tasks_led: int = 0
    tasks_on_time: int = 0
    tasks_overdue: int = 0
    milestones_overdue: int = 0
    orders_open: int = 0
    orders_overdue: int = 0
    filings_blocked: int = 0


def task_states(dbsession, workflows, user) -> dict[str, int]:
    """Key tasks per workflow state."""
    rows = dbsession.execute(select(KeyTask.state, func.count(KeyTask.id))
                             .where(*visible(user, workflows, "key_task", _dialect(dbsession))).group_by(KeyTask.state))
    return dict(rows.all())


def scorecard(dbsession, workflows, user, today: date) -> list[ScoreRow]:
    """Per unit: tasks led (on time / overdue), overdue milestones of those tasks, open (and
    overdue) rectification orders addressed to it, its blocked filings.  Three GROUP BY
    statements and one for the units' names; units with nothing to show are left out."""
    overdue = overdue_milestone_clause(today)
    dialect = _dialect(dbsession)
    lead = aliased(LocalRole)  # not correlated by the permission predicate's EXISTS over local_roles
    tasks = dbsession.execute(
        select(lead.unit_id, func.count(distinct(KeyTask.id)),
               func.count(distinct(case((overdue, KeyTask.id)))),
               func.count(distinct(case((overdue, Milestone.id)))))
        .select_from(lead).join(KeyTask, KeyTask.id == lead.node_id)
        .outerjoin(Milestone, Milestone.task_id == KeyTask.id)
        .where(lead.role == "lead", lead.unit_id.is_not(None), *visible(user, workflows, "key_task", dialect))
        .group_by(lead.unit_id))
    target = grouping_key(RectificationOrder.target_unit_id)
    orders = dbsession.execute(
        select(target, func.count(RectificationOrder.id),
               func.count(case((RectificationOrder.due_date < today, RectificationOrder.id))))
        .where(RectificationOrder.state.in_(OPEN_ORDER_STATES), *visible(user, workflows, "rectification_order", dialect))
        .group_by(target))
    # on nodes alone (everything asked is a nodes column): read from the covering index
    blocked = dbsession.execute(
        select(Node.unit_id, func.count(Node.id))
        .where(Node.state == "funding_blocked", *visible(user, workflows, "filing", dialect)).group_by(Node.unit_id))
    figures: dict[int, dict] = {}
    for unit_id, led, late, late_milestones in tasks:
        figures.setdefault(unit_id, {}).update(tasks_led=led, tasks_on_time=led - late, tasks_overdue=late,
                                               milestones_overdue=late_milestones)
    for unit_id, count, late in orders:
        figures.setdefault(unit_id, {}).update(orders_open=count, orders_overdue=late)
    for unit_id, count in blocked:
        if unit_id is not None:
            figures.setdefault(unit_id, {})["filings_blocked"] = count
    if not figures:
        return []
    units = dbsession.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(figures))
                              .order_by(Unit.sort_order, Unit.id))
    return [ScoreRow(unit_id, name, **figures[unit_id]) for unit_id, name in units]


# -- a unit ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkItem:
    id: int
    title: str
    type: str
    due_at: object  # aware datetime or None


def worklist_items(dbsession, workflows, user, limit: int) -> listing.Page:
    """The worklist's newest ``limit`` documents and its total: the same conditions as
    :func:`xietong.services.listing.worklist`, but only the columns a dashboard shows, so
    no query joins every content type's table."""
    dialect = _dialect(dbsession)
    conditions = [Node.workflow_id.is_not(None), *visible(user, workflows, dialect=dialect),
                  actionable_clause(user, workflows, dialect)]
    total = dbsession.scalar(select(func.count(Node.id)).where(*conditions))
    rows = dbsession.execute(select(Node.id, Node.title, Node.type, Node.due_at).where(*conditions)
                             .order_by(Node.modified_at.desc(), Node.id.desc()).limit(limit))
    return listing.Page([WorkItem(*row) for row in rows], total, limit, 0)


@dataclass(frozen=True)
class UnitLine:
    """A unit as the dashboards name it: plain data, so figures may outlive their session (cached)."""
    id: int
    short_name: str
    name: str

    @classmethod
    def of(cls, unit: Unit) -> "UnitLine":
        return cls(unit.id, unit.short_name, unit.name)


@dataclass
class UnitFigures:
    unit: UnitLine
    worklist: listing.Page
    overdue_milestones: list[MilestoneLine]
    open_orders: list[OrderLine]
    filings: list[StateFigure] = field(default_factory=list)


def unit_figures(dbsession, workflows, user, today: date, worklist_limit: int = 20) -> UnitFigures:
    """The requester's own unit: their worklist, the unit's overdue milestones, the open
    rectification orders addressed to it, its filings by state."""
    unit_id = user.unit_id
    return UnitFigures(
        unit=UnitLine.of(user.unit),
        worklist=worklist_items(dbsession, workflows, user, worklist_limit),
        overdue_milestones=overdue_milestones(dbsession, workflows, user, today, unit_id=unit_id),
        open_orders=open_orders(dbsession, workflows, user, today, unit_id=unit_id),
        filings=filings_by_state(dbsession, workflows, user, unit_id=unit_id),
    )


# -- annual reports --------------------------------------------------------------------------------

def last_reporting_year(today: date) -> int:
    """The newest year whose report is already due (the year before last until 10 January)."""
    return today.year - 1 if today > annual_due_date(today.year - 1) else today.year - 2


# -- the leadership group's page -------------------------------------------------------------------

@dataclass
class LeadershipFigures:
    tasks: list  # services.tasks.TaskSummary, those the user may see (lead units named, not cooperating)
    task_states: dict[str, int]
    scorecard: list[ScoreRow]
    overdue_orders: list[OrderLine]
    report_year: int
    missing_reports: list[UnitLine]

    @property
    def overdue_tasks(self) -> int:
        return sum(1 for t in self.tasks if t.overdue)

    @property
    def overdue_milestones(self) -> int:
        return sum(1 for t in self.tasks for m in t.milestones if m.overdue)


def visible_tasks(dbsession, workflows, user, today: date, roles=("lead", "contributor")) -> list:
    """The summaries (:func:`xietong.services.tasks.task_summaries`) of the tasks ``user`` may view."""
    return task_summaries(dbsession, today, where=visible(user, workflows, "key_task", _dialect(dbsession)),
                          workflows=workflows, roles=roles)


def leadership_figures(dbsession, workflows, user, today: date) -> LeadershipFigures:
    year = last_reporting_year(today)
    return LeadershipFigures(
        tasks=visible_tasks(dbsession, workflows, user, today, roles=("lead",)),
        task_states=task_states(dbsession, workflows, user),
        scorecard=scorecard(dbsession, workflows, user, today),
        overdue_orders=open_orders(dbsession, workflows, user, today, overdue_only=True),
        report_year=year,
        missing_reports=[UnitLine.of(u) for u in missing_annual_reports(dbsession, year, today)],
    )
