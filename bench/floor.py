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
:mod:`run` serves it with the same gunicorn command as the other two and logs in through
Xietong's own form: both read the same secret (``XIETONG_SECRET``) and the same
``login_sessions`` table, so Xietong's cookie is valid here.

Its requests per second over the baseline's is the ceiling of any Xietong page's ratio.
"""
from pathlib import Path

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound

from xietong import session_factory
from xietong.services.workflow import document_statement

HERE = Path(__file__).resolve().parent


def document(request):
    raw = request.matchdict["id"]
    if not raw.isdigit():
        raise HTTPNotFound()
    if request.identity is None:
        raise HTTPForbidden()
    row = request.dbsession.execute(document_statement(), {"document_id": int(raw)}).scalar_one_or_none()
    if row is None:
        raise HTTPNotFound()
    return {"row": row}


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
    return config.make_wsgi_app()
