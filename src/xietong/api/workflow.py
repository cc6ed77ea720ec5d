"""A document's workflow over JSON, and the worklist.  Every transition goes through ``services.workflow.fire``.

=============================================  ==============================================
``GET /api/documents/{id}/@workflow``          200 ``{"state": {id, title}, "transitions":
                                               [{id, title, allowed, reason, comment}],
                                               "history": [entry...]}``; 403; 404
``POST /api/documents/{id}/@workflow/{t}``     200 the new history entry (plus ``document``:
                                               its id, new state and version); body
                                               ``{"comment": "..."}`` optional; optional
                                               ``If-Match: <version>``; 400 bad body or
                                               comment rule; 403 may not view, or the
                                               transition is denied (message: why); 404;
                                               409 the document moved meanwhile
``GET /api/worklist``                          200 ``{"items", "total", "limit", "offset"}``:
                                               documents the caller holds a transition role
                                               on, each with ``transitions``: the ids allowed
                                               now (guards evaluated)
=============================================  ==============================================

The history is the document's workflow record only — creation and each transition
taken; refused attempts and field edits (``content.edit``'s field changes) are not in it.
A history entry: ``{id, transition, title, from, to, actor, unit, roles, comment, time}``
(``transition``/``title``/``from`` are null for the creation row; ``actor`` is null for
the system).
"""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from ..i18n import _, translate
from ..models import Unit, User
from ..services import history
from ..services.listing import worklist as worklist_page
from ..services.units import all_units
from ..services.workflow import Actor, DocumentNotFound, TransitionError, available_transitions, fire
from .documents import (CONTROL, SURROGATE, current_user, if_match, int_param, invalid, localized_title,
                        query_params, read_json_object, state_json, summary_json, transition_error, unit_json,
                        user_json, viewable_document, workflows_of)

MAX_COMMENT = 2000


def entry_json(request, entry, definition) -> dict:
    transition = definition.transition(entry.transition) if definition and entry.transition else None
    actor = request.dbsession.get(User, entry.actor_id) if entry.actor_id else None
    unit = request.dbsession.get(Unit, entry.actor_unit_id) if entry.actor_unit_id else None
    return {
        "id": entry.id, "transition": entry.transition,
        "title": localized_title(request, transition) if transition else None,
        "from": entry.from_state, "to": entry.to_state, "actor": user_json(actor), "unit": unit_json(unit),
        "roles": [r for r in entry.actor_roles.split(",") if r], "comment": entry.comment,
        "time": entry.created_at,
    }


def _definition(request, document):
    compiled = workflows_of(request).get(document.workflow_id)
    return compiled.definition if compiled else None


@view_config(route_name="api_workflow", request_method="GET", renderer="json")
def workflow_info(request):
    document = viewable_document(request)
    definition = _definition(request, document)
    options = available_transitions(workflows_of(request), document, Actor.of(current_user(request)))
    return {
        "state": state_json(request, document),
        "transitions": [{"id": a.transition.id, "title": localized_title(request, a.transition),
                         "allowed": a.allowed, "comment": a.transition.comment,
                         "reason": translate(request.localizer, a.reason) if a.reason is not None else None}
                        for a in options],
        "history": [entry_json(request, e, definition) for e in history.entries(request.dbsession, document.id)],
    }


def _comment(request, body: dict) -> str:
    unknown = [key for key in body if key != "comment"]
    if unknown:
        raise invalid(request, {key[:60]: _("Unknown field; send only ${fields}", mapping={"fields": "comment"})
                                for key in unknown[:20]})
    comment = body.get("comment")
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise invalid(request, {"comment": _("The comment must be text")})
    if CONTROL.search(comment) or SURROGATE.search(comment):  # read_json_object refused these already
        raise invalid(request, {"comment": _("Control characters are not allowed")})
    if len(comment) > MAX_COMMENT:
        raise invalid(request, {"comment": _("The comment is too long (at most ${max} characters)",
                                             mapping={"max": MAX_COMMENT})})
    return comment


@view_config(route_name="api_transition", request_method="POST", renderer="json")
def take_transition(request):
    document = viewable_document(request)
    expected = if_match(request, required=False)
    comment = _comment(request, read_json_object(request, optional=True))
    try:
        entry = fire(request.dbsession, workflows_of(request), document.id, request.matchdict["transition"],
                     Actor.of(current_user(request)), comment=comment, expected_version=expected)
    except DocumentNotFound:
        raise HTTPNotFound() from None
    except TransitionError as exc:
        raise transition_error(request, exc) from None
    result = entry_json(request, entry, _definition(request, document))
    result["document"] = {"id": document.id, "state": state_json(request, document), "version": document.version}
    return result


@view_config(route_name="api_worklist", request_method="GET", renderer="json")
def worklist(request):
    params = query_params(request)
    user = current_user(request)
    workflows = workflows_of(request)
    page = worklist_page(request.dbsession, workflows, user, limit=int_param(params, "limit", 1, 10**9) or 50,
                         offset=int_param(params, "offset") or 0)
    units = {u.id: u for u in all_units(request.dbsession)}
    actor = Actor.of(user)
    items = [{**summary_json(request, d, units),
              "transitions": [a.transition.id for a in available_transitions(workflows, d, actor) if a.allowed]}
             for d in page.items]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}
