"""Workflow introspection pages and the generic document page (state, history, transitions, diagram).

The transition buttons post to one view that calls :func:`xietong.services.workflow.fire`
— the same function the API, bulk actions and the sweeper call.
"""
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..i18n import _, translate
from ..models import Node, Unit, User
from ..roles import ROLE_TITLES
from ..services import history
from ..services.workflow import Actor, DocumentNotFound, TransitionError, available_transitions, fire


COMMENT_TITLES = {"required": _("required"), "optional": _("optional"), "none": _("no comment")}


def workflows_of(request):
    return request.registry["workflows"]


def document_factory(request):
    """The route's context: the document named by ``{id}`` (404 when missing or trashed)."""
    try:
        document_id = int(request.matchdict["id"])
    except ValueError:
        raise HTTPNotFound() from None
    document = request.dbsession.get(Node, document_id) if document_id < 2**62 else None
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
    workflows = workflows_of(request)
    compiled = workflows.get(document.workflow_id)
    definition = compiled.definition if compiled else None
    entries = history.entries(request.dbsession, document.id)
    people = {u.id: u for u in request.dbsession.scalars(
        select(User).where(User.id.in_({e.actor_id for e in entries if e.actor_id})))}
    units = {u.id: u for u in request.dbsession.scalars(
        select(Unit).where(Unit.id.in_({e.actor_unit_id for e in entries if e.actor_unit_id})))}
    return {
        "document": document, "definition": definition, "error": error,
        "state": definition.states.get(document.state) if definition else None,
        "transitions": available_transitions(workflows, document, Actor.of(request.identity.user)),
        "history": entries, "people": people, "units": units,
        "diagram": compiled.diagram(document.state) if compiled else "",
    }


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
