"""The dashboards: ``/dashboards`` (sends each reader to theirs), the leadership group's, the
finance bureau's and a unit's.

The figures come from :mod:`xietong.services.dashboards`; this module only names them and
shapes each chart as a small JSON document that ``static/js/dashboards.js`` turns into
ECharts options (the page carries it in a ``<script type="application/json">`` block —
data, not script, so the CSP's ``script-src 'self'`` holds).  Every chart has its table
beside it with the same figures (``templates/_dashboard.jinja2``).

The figures are cached until the next write anywhere (:mod:`xietong.generation`), per reader's
principal and China date, and so is each page's rendered content block (:mod:`xietong.fragments`,
also per language): a leadership group refreshing its page between two writes costs one
computation and one rendering, not one per refresh.
"""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from ..formatting import china_today, format_date
from ..generation import cached
from ..i18n import _, translate
from ..services import dashboards
from ..security import Principal
from ..services.reports import annual_due_date
from .documents import localized_title, workflows_of

MILESTONE_STATUS = {
    "done": _("Done"),
    "done_late": _("Done late"),
    "overdue": _("Overdue"),
    "pending": _("Pending"),
}


def state_titles(request, workflow_id: str) -> dict[str, str]:
    """state id -> its title in the request's language, in the workflow's order."""
    compiled = workflows_of(request).get(workflow_id)
    return {s.id: localized_title(request, s) for s in compiled.definition.states.values()} if compiled else {}


def milestone_status(milestone) -> str:
    if milestone.done_date is not None:
        return "done_late" if milestone.done_date > milestone.due_date else "done"
    return "overdue" if milestone.overdue else "pending"


def _t(request, message) -> str:
    return translate(request.localizer, message)


def _figures(request, page: str, today, compute):
    """``compute()``, cached per page, reader (their principal: what the predicates read) and day.

    ``today`` is the one the view computes with and passes to :func:`_page` too: a second
    ``china_today()`` could fall on the next day and file one day's figures under another.
    """
    return cached(request.dbsession, (page, Principal.of(request.identity.user), today), compute)


def _page(request, page: str, today, **values) -> dict:
    """The template's values; ``fragment``: the key its content block is cached under (xietong.fragments)."""
    fragment = (page, Principal.of(request.identity.user), today, request.locale_name)
    return {"today": today, "fmt_amount": lambda v: f"{v:,.2f}", "fragment": fragment, **values}


@view_config(route_name="dashboards", request_method="GET")
def entry(request):
    which = dashboards.dashboard_for(request.identity.user)
    return HTTPSeeOther(request.route_path(f"dashboard_{which}"))


@view_config(route_name="dashboard_leadership", renderer="dashboard_leadership.jinja2", request_method="GET",
             permission="view_leadership_dashboard")
def leadership(request):
    today = china_today()
    figures = _figures(request, "leadership", today, lambda: dashboards.leadership_figures(
        request.dbsession, workflows_of(request), request.identity.user, today))
    titles = state_titles(request, "key_task")
    states = [(state, titles.get(state, state), figures.task_states.get(state, 0)) for state in titles]
    late_units = [row for row in figures.scorecard if row.milestones_overdue]
    timeline = [{"task": t.number, "taskTitle": t.title, "name": m.title, "date": m.due_date.isoformat(),
                 "label": format_date(m.due_date, request.locale_name), "status": milestone_status(m)}
                for t in figures.tasks for m in t.milestones]
    charts = {
        "states": {"type": "pie", "title": _t(request, _("Key tasks by status")), "unit": _t(request, _("tasks")),
                   "items": [{"name": title, "value": count} for _s, title, count in states if count]},
        "overdue": {"type": "bar", "title": _t(request, _("Overdue milestones by lead unit")),
                    "unit": _t(request, _("milestones")), "horizontal": True,
                    "categories": [row.unit for row in late_units],
                    "series": [{"name": _t(request, _("Overdue milestones")),
                                "data": [row.milestones_overdue for row in late_units]}]},
        "timeline": {"type": "timeline", "title": _t(request, _("Milestones")),
                     "categories": [t.number for t in figures.tasks], "points": timeline,
                     "statuses": {k: _t(request, v) for k, v in MILESTONE_STATUS.items()}},
    }
    labels: dict[int, str] = {}

    def overdue_label(count: int) -> str:
        """"3项逾期", translated once per count, not once per row of a scorecard of hundreds of units."""
        if count not in labels:
            labels[count] = _t(request, _("${count} overdue", mapping={"count": count}))
        return labels[count]

    return _page(request, "leadership", today, title=_("Leadership group dashboard"), figures=figures, states=states,
                 overdue_label=overdue_label,
                 state_title=lambda s: titles.get(s, s), late_units=late_units, charts=charts,
                 milestone_status=milestone_status, status_titles=MILESTONE_STATUS,
                 order_states=state_titles(request, "rectification"),
                 report_due=annual_due_date(figures.report_year))


@view_config(route_name="dashboard_finance", renderer="dashboard_finance.jinja2", request_method="GET",
             permission="view_finance_dashboard")
def finance(request):
    workflows, user, today = workflows_of(request), request.identity.user, china_today()
    figures, awaiting = _figures(request, "finance", today, lambda: (
        dashboards.finance_figures(request.dbsession, workflows, user),
        dashboards.filings_awaiting_decision(request.dbsession, workflows, user)))

    def year_label(row) -> str:
        return _t(request, _("${unit} · ${year}", mapping={"unit": row.unit, "year": row.year}))

    series = [(_("Awaiting decision"), "awaiting_amount"), (_("Approved"), "approved_amount"),
              (_("Funding blocked"), "blocked_amount")]
    charts = {"money": {
        "type": "bar", "title": _t(request, _("Amounts by unit and year (10k CNY)")), "unit": _t(request, _("10k CNY")),
        "stack": True, "decimals": 2, "categories": [year_label(row) for row in figures.rows],
        "series": [{"name": _t(request, name), "data": [float(getattr(row, attr)) for row in figures.rows]}
                   for name, attr in series]}}
    return _page(request, "finance", today, title=_("Finance dashboard"), figures=figures, awaiting=awaiting,
                 charts=charts)


@view_config(route_name="dashboard_unit", renderer="dashboard_unit.jinja2", request_method="GET")
def unit(request):
    today = china_today()
    figures = _figures(request, "unit", today, lambda: dashboards.unit_figures(
        request.dbsession, workflows_of(request), request.identity.user, today))
    titles = state_titles(request, "filing")
    filings = [(f, titles.get(f.state, f.state)) for f in figures.filings]
    charts = {"filings": {
        "type": "bar", "title": _t(request, _("Filings by state")), "unit": _t(request, _("filings")),
        "categories": [title for _f, title in filings],
        "series": [{"name": _t(request, _("Filings")), "data": [f.count for f, _title in filings]}]}}
    return _page(request, "unit", today, title=_("My unit's dashboard"), figures=figures, filings=filings,
                 charts=charts, order_states=state_titles(request, "rectification"),
                 role_titles={"lead": _("Lead unit"), "contributor": _("Cooperating unit")})
