"""The current user's notifications: listed newest first (unread in bold), marked read on POST.

GET writes nothing (reading the page does not mark anything read — DESIGN.md: no writes
on GET); the page's buttons POST, with the CSRF token, either one ``id`` or none (all).
"""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..i18n import _, translate
from ..models import Node
from ..services import notifications


@view_config(route_name="notifications", request_method="GET", renderer="notifications.jinja2")
def list_notifications(request):
    user = request.identity.user
    items = notifications.for_user(request.dbsession, user)
    node_ids = {n.node_id for n in items if n.node_id}
    live = set(request.dbsession.scalars(select(Node.id).where(Node.id.in_(node_ids), Node.trashed_at.is_(None)))) \
        if node_ids else set()
    return {"title": _("Notifications"), "notifications": items, "live": live,
            "unread": sum(1 for n in items if n.read_at is None)}


@view_config(route_name="notifications", request_method="POST")
def mark_read(request):
    ids = None
    if "id" in request.POST:
        ids = []
        for value in request.POST.getall("id"):
            try:
                ids.append(int(value))
            except ValueError:
                continue
    count = notifications.mark_read(request.dbsession, request.identity.user, ids)
    if count:
        request.session.flash(translate(request.localizer, _("${count} marked as read", mapping={"count": count})),
                              "success")
    return HTTPSeeOther(request.route_path("notifications"))
