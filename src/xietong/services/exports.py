"""Excel workbooks for clerks: the key-task ledger (台账), the overdue items, filings and their decisions.

Each export is one sheet built by :func:`workbook` from a list of :class:`Column` and rows of
plain values, so every sheet looks the same to the clerk who opens it:

* the header row holds the column titles in the reader's language (Chinese by default),
  bold on a grey fill, and stays put (``freeze_panes = "A2"``) with an auto-filter;
* every column has a width set (CJK characters count double in Excel's width unit);
* money is a *number* in 万元 (the header says so) with the format ``#,##0.00`` — the
  cell holds the exact ``Decimal`` (from integer ``amount_cents``), so a sum in Excel
  adds up;
* dates are *text* in the form 2018年1月31日 (:func:`xietong.formatting.format_date`),
  which is how the documents write them — Excel would otherwise show its own format;
* text is always written as a string cell, never a formula: a title that starts with
  ``=`` (or ``+``, ``-``, ``@``) stays text (no formula injection), and ``<script>`` is
  just characters.

The rows come from the same permission-filtered statements as the dashboards
(:mod:`xietong.services.dashboards`), so an export never shows what its page would not.
"""
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Callable, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..formatting import format_date
from ..i18n import _
from ..models import Filing, HistoryEntry, ProgressReport, Unit, User
from . import dashboards
from .reports import annual_due_date, missing_annual_reports
from .tasks import REPORTED_STATES, of_workflow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DECISION_TRANSITIONS = ("approve", "block_funding")
NO_LIMIT = 100_000

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
_HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


@dataclass(frozen=True)
class Column:
    header: object  # a translation string
    width: int  # in Excel's character units
    kind: str = "text"  # text | wrap (multi-line text) | money (Decimal 万元) | number (int)


def workbook(title, columns: list[Column], rows: Iterable[tuple], translate: Callable) -> bytes:
    """One sheet named ``title``: the header row, then ``rows`` (one value per column)."""
    book = Workbook()
    sheet = book.active
    sheet.title = translate(title)[:31]  # Excel's limit for sheet names
    for number, column in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=number, value=translate(column.header))
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    count = 0
    for count, values in enumerate(rows, 1):
        for number, (column, value) in enumerate(zip(columns, values, strict=True), 1):
            cell = sheet.cell(row=count + 1, column=number)
            if value is None or value == "":
                continue
            if column.kind == "money":
                cell.value, cell.number_format = value, MONEY_FORMAT
            elif column.kind == "number":
                cell.value = value
            else:
                cell.value = str(value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = _WRAP if column.kind == "wrap" else _TOP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _state_title(workflows, locale: str, workflow_id: str, state_id: str) -> str:
    compiled = workflows.get(workflow_id)
    state = compiled.definition.states.get(state_id) if compiled else None
    if state is None:
        return state_id
    return state.title_en if locale == "en" and state.title_en else state.title


def _visible_tasks(dbsession, workflows, user, today: date) -> list:
    return dashboards.visible_tasks(dbsession, workflows, user, today)


# -- the task ledger -------------------------------------------------------------------------------

TASK_COLUMNS = [
    Column(_("No."), 8), Column(_("Task"), 40, "wrap"), Column(_("Lead unit"), 22, "wrap"),
    Column(_("Cooperating units"), 36, "wrap"), Column(_("Milestones"), 60, "wrap"), Column(_("Status"), 10),
    Column(_("Overdue?"), 8), Column(_("Progress (%)"), 10, "number"), Column(_("Latest progress"), 50, "wrap"),
]


def latest_progress_texts(dbsession, workflows, user) -> dict[int, str]:
    """task id -> text of its newest submitted or acknowledged progress report the user may see."""
    newest = (select(func.max(ProgressReport.id))
              .where(of_workflow(ProgressReport, workflows, "progress_report"),
                     ProgressReport.state.in_(REPORTED_STATES), ProgressReport.trashed_at.is_(None))
              .group_by(ProgressReport.task_id).correlate(None))
    rows = dbsession.execute(select(ProgressReport.task_id, ProgressReport.text)
                             .where(ProgressReport.id.in_(newest),
                                    *dashboards.visible(user, workflows, "progress_report",
                                                        dbsession.get_bind().dialect.name)))
    return dict(rows.all())


def _milestone_line(milestone, translate, locale: str) -> str:
    line = f"{format_date(milestone.due_date, locale)} {milestone.title}"
    if milestone.done_date is not None:
        return line + translate(_(" (done ${date})", mapping={"date": format_date(milestone.done_date, locale)}))
    if milestone.due_date != milestone.original_due_date:
        line += translate(_(" (moved from ${date})", mapping={"date": format_date(milestone.original_due_date,
                                                                                  locale)}))
    return line + (translate(_(" (overdue)")) if milestone.overdue else "")


def task_ledger(dbsession, workflows, user, today: date, translate: Callable, locale: str = "zh_CN") -> bytes:
    texts = latest_progress_texts(dbsession, workflows, user)
    yes, no = translate(_("Yes")), translate(_("No"))
    comma = "、" if locale.startswith("zh") else ", "
    rows = ((t.number, t.title, comma.join(t.lead_units), comma.join(t.cooperating_units),
             "\n".join(_milestone_line(m, translate, locale) for m in t.milestones),
             _state_title(workflows, locale, "key_task", t.state), yes if t.overdue else no, t.progress,
             texts.get(t.id, "")) for t in _visible_tasks(dbsession, workflows, user, today))
    return workbook(_("Key task ledger"), TASK_COLUMNS, rows, translate)


# -- overdue items ---------------------------------------------------------------------------------

OVERDUE_COLUMNS = [
    Column(_("Kind"), 14), Column(_("Item"), 50, "wrap"), Column(_("Belongs to"), 40, "wrap"),
    Column(_("Responsible unit"), 30, "wrap"), Column(_("Due date"), 16), Column(_("Days overdue"), 10, "number"),
    Column(_("Status"), 10),
]


def overdue_items(dbsession, workflows, user, today: date, translate: Callable, locale: str = "zh_CN") -> bytes:
    """Overdue milestones, overdue rectification orders and annual reports not submitted, by due date."""
    comma = "、" if locale.startswith("zh") else ", "
    items = []
    for task in _visible_tasks(dbsession, workflows, user, today):
        for milestone in task.milestones:
            if milestone.overdue:
                items.append((milestone.due_date, translate(_("Key task milestone")), milestone.title,
                              f"{task.number} {task.title}", comma.join(task.lead_units),
                              _state_title(workflows, locale, "key_task", task.state)))
    for order in dashboards.open_orders(dbsession, workflows, user, today, overdue_only=True, limit=NO_LIMIT):
        items.append((order.due_date, translate(_("Rectification order")), order.title, order.doc_number,
                      order.unit, _state_title(workflows, locale, "rectification", order.state)))
    year = dashboards.last_reporting_year(today)
    due = annual_due_date(year)
    for unit in missing_annual_reports(dbsession, year, today):
        items.append((due, translate(_("Annual report")),
                      translate(_("Annual report on ${year}", mapping={"year": year})), "", unit.short_name,
                      translate(_("Not submitted"))))
    items.sort(key=lambda item: item[0])
    rows = ((kind, title, belongs, unit, format_date(due, locale), (today - due).days, state)
            for due, kind, title, belongs, unit, state in items)
    return workbook(_("Overdue items"), OVERDUE_COLUMNS, rows, translate)


# -- filings and their decisions -------------------------------------------------------------------

FILING_COLUMNS = [
    Column(_("Unit"), 18), Column(_("Project"), 40, "wrap"), Column(_("Year"), 8, "number"),
    Column(_("Amount (10k CNY)"), 16, "money"), Column(_("State"), 12), Column(_("Decision by"), 16),
    Column(_("Decision date"), 16), Column(_("Decision comment"), 40, "wrap"),
]


@dataclass(frozen=True)
class FilingDecision:
    id: int
    unit: str
    title: str
    year: int
    amount_cents: int
    state: str
    decided_by: str | None
    decided_at: object  # aware datetime or None
    comment: str | None


def filings_with_decisions(dbsession, workflows, user) -> list[FilingDecision]:
    """Every filing the user may see, with the newest approve / block-funding history row (one statement)."""
    decision = (select(HistoryEntry.node_id, func.max(HistoryEntry.id).label("entry_id"))
                .where(HistoryEntry.transition.in_(DECISION_TRANSITIONS))
                .group_by(HistoryEntry.node_id).subquery())
    decider = aliased(User)
    rows = dbsession.execute(
        select(Filing.id, Unit.short_name, Filing.title, Filing.year, Filing.amount_cents, Filing.state,
               decider.display_name, HistoryEntry.created_at, HistoryEntry.comment)
        .outerjoin(Unit, Unit.id == Filing.unit_id)
        .outerjoin(decision, decision.c.node_id == Filing.id)
        .outerjoin(HistoryEntry, HistoryEntry.id == decision.c.entry_id)
        .outerjoin(decider, decider.id == HistoryEntry.actor_id)
        .where(*dashboards.visible(user, workflows))
        .order_by(Unit.sort_order, Unit.id, Filing.year, Filing.name))
    return [FilingDecision(*row) for row in rows]


def filings(dbsession, workflows, user, translate: Callable, locale: str = "zh_CN") -> bytes:
    rows = ((f.unit or "", f.title, f.year, dashboards.wan(f.amount_cents),
             _state_title(workflows, locale, "filing", f.state), f.decided_by,
             format_date(f.decided_at, locale) if f.decided_at else "", f.comment)
            for f in filings_with_decisions(dbsession, workflows, user))
    return workbook(_("Filings and decisions"), FILING_COLUMNS, rows, translate)
