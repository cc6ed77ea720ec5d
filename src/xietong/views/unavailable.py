"""The database is unreachable: answer 503 with ``Retry-After``, never a 500 or a hang.

When PostgreSQL restarts, fails over or drops connections (``pg_terminate_backend``), or
SQLite stays locked past its busy timeout, SQLAlchemy raises ``OperationalError`` (the
server went away, refused the connection, or shut down) or ``InterfaceError`` (the
connection is closed).  This exception view answers such a request:

* ``/api``: 503, ``{"error": {"type": "database_unavailable", "message", "details":
  {"retry_after": seconds}}}``;
* HTML: 503, a short page of its own (:file:`unavailable.jinja2`, not the layout: the
  layout asks the database who is logged in) in the request's language;
* both with ``Retry-After: RETRY_AFTER_SECONDS``.

It never loops or hangs:

* pyramid_retry re-runs only errors zope.sqlalchemy marks retryable — PostgreSQL's
  serialization failures and deadlocks (SQLSTATE class 40); a refused connection or a
  shut-down server is not among them, so the request is answered at once.  (A class-40
  error that outlives its retries lands here too: "busy, try again" is right for it.)
* pyramid_tm aborts the transaction because an exception view answered, so nothing
  half-done is committed; the dead connection is discarded by SQLAlchemy (it marks the
  pool invalid on a disconnect).
* Connecting gives up after ``connect_timeout`` seconds (:func:`xietong.db.make_engine`),
  and the pool pings a connection before handing it out (``pool_pre_ping``), so the first
  request after the server is back gets a fresh connection — no restart of the app.
"""
import logging

from pyramid.renderers import render_to_response
from pyramid.view import exception_view_config
from sqlalchemy.exc import InterfaceError, OperationalError

from ..api.errors import json_error
from ..i18n import _
from ..rendering import DATABASE_UNAVAILABLE
from ..security import is_api_request

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
assert DATABASE_UNAVAILABLE == (OperationalError, InterfaceError)  # the two views below


@exception_view_config(OperationalError)
@exception_view_config(InterfaceError)
def database_unavailable(exc, request):
    log.warning("database unavailable for %s %s: %s", request.method, request.path_info,
                str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__)
    message = _("The database is unavailable at the moment. Please try again in a few seconds.")
    if is_api_request(request):
        response = json_error(request, 503, "database_unavailable", message,
                              details={"retry_after": RETRY_AFTER_SECONDS})
    else:
        response = render_to_response("unavailable.jinja2", {
            "title": _("Service temporarily unavailable"), "message": message}, request=request)
        response.status = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
