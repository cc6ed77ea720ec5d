"""The key tasks as JSON (``GET /api/tasks``), for any logged-in user.

Each item: ``number`` ("1".."10", "三(一)".."三(七)"), ``title``, ``lead_units`` and
``cooperating_units`` (unit names as the seed writes them, expanded), ``milestones``
[{``title``, ``due_date`` ISO}], ``state``, ``overdue`` (derived from the milestones) and
``progress`` (the newest submitted percentage, or null).
"""
from pyramid.view import view_config

from ..services.tasks import task_summaries


def task_item(summary) -> dict:
    return {"id": summary.id, "number": summary.number, "title": summary.title, "section": summary.section,
            "lead_units": summary.lead_units, "cooperating_units": summary.cooperating_units,
            "milestones": [{"title": m.title, "due_date": m.due_date.isoformat(),
                            "original_due_date": m.original_due_date.isoformat(),
                            "done_date": m.done_date.isoformat() if m.done_date else None,
                            "overdue": m.overdue} for m in summary.milestones],
            "state": summary.state, "overdue": summary.overdue, "progress": summary.progress}


@view_config(route_name="api_tasks", request_method="GET", renderer="json")
def tasks(request):
    items = [task_item(s) for s in task_summaries(request.dbsession)]
    return {"items": items, "total": len(items)}
