"""The worklist ("待我处理") and its bulk action.

The worklist lists the documents on which the user holds a role of a transition leaving
their state (:func:`xietong.services.listing.worklist`, filtered in SQL); each row shows
the transitions allowed *now* (guards evaluated, :func:`available_transitions`), or why
none is.

The bulk action fires one transition, with one comment, on each selected document
through :func:`xietong.services.workflow.fire` — the same function as the document
page, the API and the sweeper — each inside its own savepoint, so a refusal or a lost
race undoes only that document's attempt and the others still commit.  The version
each row showed travels with the form: a document moved by someone else since the
page was drawn is reported as a conflict, not silently acted upon.
"""
from dataclasses import dataclass

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from ..i18n import _, translate
from ..models import Node
from ..services import listing
from ..services.workflow import (Actor, DocumentNotFound, TransitionConflict, TransitionError,
                                 available_transitions, fire)
from .documents import int_param, is_overdue, localized_title, state_of, type_title, workflows_of

PER_PAGE = 50
MAX_BULK = 200


@dataclass(frozen=True)
class Outcome:
    document_id: int
    title: str
    status: str  # done, refused, conflict
    message: str = ""
    state: str = ""


def _worklist(request) -> dict:
    user = request.identity.user
    workflows = workflows_of(request)
    page_no = int_param(request, "page", 1, 100_000) or 1
    page = listing.worklist(request.dbsession, workflows, user, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE,
                            count_cap=listing.COUNT_CAP)
    actor = Actor.of(user)
    rows, bulk = [], {}
    for document in page.items:
        options = available_transitions(workflows, document, actor)
        allowed = [a for a in options if a.allowed]
        rows.append((document, allowed, [a for a in options if not a.allowed and a.kind == "guard"]))
        for a in allowed:
            titles = bulk.setdefault(a.transition.id, [])
            title = localized_title(request, a.transition)
            if title not in titles:
                titles.append(title)
    pages = page.pages()
    return {
        "title": _("My worklist"), "rows": rows, "page": page, "page_no": page_no, "pages": pages,
        "page_url": lambda number: request.route_path("worklist", _query={"page": number}),
        "bulk_choices": [(tid, " / ".join(titles)) for tid, titles in bulk.items()],
        "type_title": type_title, "is_overdue": is_overdue,
        "state_of": lambda d: localized_title(request, state_of(request, d)),
        "title_of": lambda thing: localized_title(request, thing),
        "results": None,
    }


@view_config(route_name="worklist", renderer="worklist.jinja2")
def worklist_page(request):
    return _worklist(request)


def _selected_ids(request) -> list[int]:
    ids = []
    for raw in request.POST.getall("ids"):
        if raw.isdecimal() and len(raw) < 12 and int(raw) not in ids:
            ids.append(int(raw))
    return ids


def _version(request, document_id: int) -> int | None:
    raw = request.POST.get(f"version-{document_id}", "")
    return int(raw) if raw.isdecimal() and len(raw) < 12 else None


def fire_one(request, document_id: int, transition_id: str, comment: str) -> Outcome:
    """Fire on one document inside a savepoint; a refusal rolls back only this attempt."""
    localizer, dbsession = request.localizer, request.dbsession
    unseen = translate(localizer, _("No such document, or you may not see it"))
    document = dbsession.get(Node, document_id) if document_id < 2**31 else None
    if document is None or document.trashed_at is not None or document.workflow_id is None or \
            not request.has_permission("view", document):
        return Outcome(document_id, "", "refused", unseen)
    title = document.title
    try:
        with dbsession.begin_nested():
            fire(dbsession, workflows_of(request), document_id, transition_id, Actor.of(request.identity.user),
                 comment=comment, expected_version=_version(request, document_id))
    except DocumentNotFound:
        return Outcome(document_id, title, "refused", unseen)
    except TransitionConflict as exc:
        return Outcome(document_id, title, "conflict", translate(localizer, exc.reason),
                       localized_title(request, state_of(request, _reloaded(dbsession, document))))
    except TransitionError as exc:
        return Outcome(document_id, title, "refused", translate(localizer, exc.reason),
                       localized_title(request, state_of(request, _reloaded(dbsession, document))))
    return Outcome(document_id, title, "done", "", localized_title(request, state_of(request, document)))


def _reloaded(dbsession, document):
    dbsession.refresh(document)
    return document


@view_config(route_name="worklist_bulk", request_method="POST", renderer="worklist.jinja2")
def bulk_action(request):
    ids = _selected_ids(request)
    transition_id = request.POST.get("transition", "").strip()[:60]
    comment = request.POST.get("comment", "")[:2000]
    if not ids or not transition_id:
        request.session.flash(translate(request.localizer, _("Select at least one document and an action")),
                              "error")
        return HTTPSeeOther(request.route_path("worklist"))
    if len(ids) > MAX_BULK:
        request.session.flash(translate(request.localizer, _("At most ${count} documents at a time",
                                                             mapping={"count": MAX_BULK})), "error")
        return HTTPSeeOther(request.route_path("worklist"))
    results = [fire_one(request, document_id, transition_id, comment) for document_id in ids]
    page = _worklist(request)
    page["results"] = results
    page["bulk_summary"] = {status: sum(1 for r in results if r.status == status)
                            for status in ("done", "refused", "conflict")}
    return page
