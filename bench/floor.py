"""The floor of Xietong's own stack: what any of its pages costs before it does any work.

The baseline (:mod:`baseline`) is the least Pyramid, SQLAlchemy and Jinja2 can do.  A
Xietong page cannot be that: every request, whatever it shows, passes through pieces the
design requires (DESIGN.md) and Xietong does not choose per page:

* the signed cookie session (:mod:`xietong.sessions`: HMAC-checked JSON, idle timeout);
* one transaction per request: ``pyramid_tm`` and ``pyramid_retry`` around the view, an ORM
  ``Session`` joined to it through ``zope.sqlalchemy`` (:mod:`xietong.db`, with the site
  generation's listeners that every write relies on);
* the identity: the security policy's read of the login row with its user, unit and
  roles (:mod:`xietong.security`, one statement), and the HMAC of the session's secret;
* the document loaded through the ORM, by primary key, with its type's columns.

This app does exactly that and then renders the baseline's template: no permission check,
no history, no workflow, no layout.  ``GET /doc/{id}`` answers 403 without a live login.

Its write, ``POST /api/doc/{id}``, is the least a transition is: the identity from the
bearer token, the document read under its row lock (:func:`lock_document`, as Xietong's
context factory does: ``FOR UPDATE`` on PostgreSQL, the request's ``BEGIN IMMEDIATE`` on
SQLite), its row written (``modified_at`` to itself: nothing a reader sees changes, and
its version stays in step with its history) and one row appended (a notice to the caller),
then the commit — with the site generation's token moved, as by every write.  No roles,
guards, history chain or recipients.  403 without a live token.
:mod:`run` serves it with the same gunicorn command as the other two and logs in through
Xietong's own form: both read the same secret (``XIETONG_SECRET``) and the same
``login_sessions`` table, so Xietong's cookie is valid here.

Its requests per second over the baseline's is the ceiling of any Xietong page's ratio.
"""
from pathlib import Path

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from sqlalchemy import insert, update

from xietong import session_factory
from xietong.models import Node, Notification, utcnow
from xietong.services.workflow import DocumentNotFound, document_statement, lock_document

HERE = Path(__file__).resolve().parent


def _document_id(request) -> int:
    """The route's id, for a caller with a live login or token: 404 or 403 otherwise."""
    raw = request.matchdict["id"]
    if not raw.isdigit():
        raise HTTPNotFound()
    if request.identity is None:
        raise HTTPForbidden()
    return int(raw)


def document(request):
    row = request.dbsession.execute(document_statement(), {"document_id": _document_id(request)}).scalar_one_or_none()
    if row is None:
        raise HTTPNotFound()
    return {"row": row}


def write(request):
    document_id = _document_id(request)
    dbsession = request.dbsession
    try:
        document = lock_document(dbsession, document_id)
    except DocumentNotFound:
        raise HTTPNotFound() from None
    dbsession.execute(update(Node).where(Node.id == document.id).values(modified_at=Node.modified_at))
    dbsession.execute(insert(Notification), [{"user_id": request.identity.user.id, "node_id": document.id,
                                              "message": "floor", "created_at": utcnow()}])
    return {"id": document.id, "state": document.state, "version": document.version}


def make_app():
    """The WSGI app; the database URL and the secret come from ``XIETONG_DB_URL`` and ``XIETONG_SECRET``."""
    settings = {"jinja2.directories": str(HERE / "templates"), "tm.manager_hook": "pyramid_tm.explicit_manager",
                "tm.annotate_user": "false", "retry.attempts": "3"}
    with Configurator(settings=settings) as config:
        config.set_session_factory(session_factory(settings))
        config.include("pyramid_jinja2")
        config.include("xietong.db")
        config.include("xietong.security")
        config.add_route("doc", "/doc/{id}")
        config.add_view(document, route_name="doc", renderer="baseline.jinja2")
        config.add_route("write", "/api/doc/{id}")
        config.add_view(write, route_name="write", request_method="POST", renderer="json")
    return config.make_wsgi_app()
