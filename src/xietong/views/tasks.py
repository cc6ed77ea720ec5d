"""Key task pages: the list of tasks (/tasks) and the task's own part of its document page.

The task page is the ordinary document page (:mod:`xietong.views.workflows`) plus
:func:`task_context` — units, milestones with their overdue flags, delay requests, the
progress reports the viewer may see — and three forms posting to the views below:
a delay request (lead units), "milestone reached" (lead units, the leadership group)
and escalation of an overdue task into a draft rectification order (reviewers, the
leadership group).  Each view parses the form, calls :mod:`xietong.services.tasks`
and redirects; a refusal re-renders the task page with the reason (HTTP 400/403/409)
and the typed values, and dooms the transaction.
"""
from datetime import date

import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..formatting import china_today
from ..i18n import _, translate
from ..models import KeyTask, Node, ProgressReport
from ..schemas.tasks import delay_schema
from ..security import permitted_clause, roles_on
from ..services import ServiceError, content
from ..services import tasks as task_service
from ..services.workflow import Actor, TransitionError
from .workflows import _document_page, workflows_of


def task_context(request, task: KeyTask, form_error=None, values=None) -> dict:
    """What the task page shows besides the common document page."""
    db, user = request.dbsession, request.identity.user
    held = roles_on(user, task)
    summary = task_service.task_summary(db, task)
    reports = list(db.scalars(
        select(ProgressReport).where(ProgressReport.task_id == task.id, ProgressReport.trashed_at.is_(None),
                                     permitted_clause(user, "view", workflows_of(request)))
        .order_by(ProgressReport.id.desc())))
    units = task_service.unit_names(db)
    pending = task_service.pending_delay(db, task.id)
    return {
        "summary": summary, "reports": reports, "delays": task_service.delay_requests(db, task.id),
        "pending_delay": pending,
        "may_request_delay": "lead" in held and task.state == "in_progress" and pending is None
        and bool(summary.milestones),
        "may_mark_done": bool(held & {"lead", "leader"}) and task.state != "completed",
        "may_report": bool(held & {"lead", "contributor"}) and content.may_create(user, "progress_report").allowed,
        "may_escalate": summary.overdue and content.may_create(user, "rectification_order").allowed,
        "escalation_units": [(i, units[i]) for i in task.units_holding("lead") + task.units_holding("contributor")
                             if i in units],
        "form_error": form_error, "typed": values or {}, "today": china_today(),
    }


def _refuse(request, message, status: int = 400, values=None):
    request.tm.doom()
    request.response.status = status
    request.dbsession.expire_all()
    task = request.dbsession.get(Node, request.context.id)
    page = _document_page(request, task)
    page["task"] = task_context(request, task, form_error=message, values=values)
    return page


def _done(request, message):
    request.session.flash(translate(request.localizer, message), "success")
    return HTTPSeeOther(request.route_path("document", id=request.context.id))


def _task(request) -> KeyTask:
    if not isinstance(request.context, KeyTask):
        from pyramid.httpexceptions import HTTPNotFound

        raise HTTPNotFound()
    return request.context


@view_config(route_name="task_delay", request_method="POST", renderer="document.jinja2", permission="view")
def ask_for_delay(request):
    task = _task(request)
    values = {k: request.POST.get(k, "") for k in ("milestone", "new_date", "reason")}
    schema = delay_schema(request, [(m.id, m.title) for m in task.milestones], csrf=False)
    try:
        data = schema.deserialize(values)
    except colander.Invalid as invalid:
        messages = invalid.asdict(translate=lambda m: translate(request.localizer, m))
        titles = {node.name: translate(request.localizer, node.title) for node in schema.children}
        return _refuse(request, "; ".join(f"{titles.get(k.rsplit('.', 1)[-1], k)}: {v}" for k, v in messages.items()),
                       values=values)
    try:
        task_service.request_delay(request.dbsession, workflows_of(request), task, data["milestone"],
                                   data["new_date"], data["reason"], Actor.of(request.identity.user))
    except ServiceError as exc:
        return _refuse(request, translate(request.localizer, exc.message), values=values)
    except TransitionError as exc:
        return _refuse(request, translate(request.localizer, exc.reason), exc.status, values=values)
    return _done(request, _("The delay request was sent to the leadership group"))


def _milestone_id(request) -> int | None:
    try:
        value = int(request.matchdict["milestone"])
    except (KeyError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


@view_config(route_name="task_milestone_done", request_method="POST", renderer="document.jinja2",
             permission="view")
def milestone_reached(request):
    task = _task(request)
    raw = request.POST.get("done_date", "") or china_today().isoformat()
    try:
        done = date.fromisoformat(raw)
    except ValueError:
        return _refuse(request, translate(request.localizer, _("Not a date: ${value}", mapping={"value": raw[:20]})))
    try:
        task_service.mark_milestone_done(request.dbsession, task, _milestone_id(request), done,
                                         Actor.of(request.identity.user))
    except ServiceError as exc:
        return _refuse(request, translate(request.localizer, exc.message), 403 if exc.field == "role" else 400)
    return _done(request, _("Milestone marked reached"))


@view_config(route_name="task_escalate", request_method="POST", renderer="document.jinja2", permission="view")
def escalate(request):
    task = _task(request)
    try:
        unit_id = int(request.POST.get("unit", ""))
    except ValueError:
        unit_id = -1
    try:
        order = task_service.escalate(request.dbsession, workflows_of(request), task, unit_id,
                                      Actor.of(request.identity.user))
    except ServiceError as exc:
        return _refuse(request, translate(request.localizer, exc.message), 403 if exc.field == "role" else 400)
    request.session.flash(translate(request.localizer, _("A draft rectification order was made: complete its "
                                                         "document number and issue it")), "success")
    return HTTPSeeOther(request.route_path("document", id=order.id))


@view_config(route_name="tasks", renderer="tasks.jinja2", permission="view")
def list_tasks(request):
    states = workflows_of(request)["key_task"].definition.states

    def task_state(state_id: str) -> str:
        state = states.get(state_id)
        if state is None:
            return state_id
        return state.title_en if request.locale_name == "en" and state.title_en else state.title

    return {"tasks": task_service.task_summaries(request.dbsession), "task_state": task_state}
