"""Error pages.  Anonymous HTML requests are sent to log in; /api always answers JSON.

A 403 page shows why (the Denied reason from :mod:`xietong.security`).
"""
from pyramid.csrf import BadCSRFToken
from pyramid.exceptions import URLDecodeError
from pyramid.response import Response
from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from ..api.errors import json_error
from ..i18n import _, translate
from ..security import RoleDenied, is_api_request
from ..roles import ROLE_TITLES


def denial_reason(request, exc: HTTPForbidden) -> str:
    """Why access was denied, for a person: the roles that would have allowed it."""
    result = getattr(exc, "result", None)  # a Denied is falsy: compare with None
    if isinstance(result, RoleDenied):
        if not result.needed:
            return request.localizer.translate(_("Nobody may do this here."))
        names = [ROLE_TITLES.get(r, r) for r in sorted(result.needed)]
        return translate(request.localizer, _("Needs one of the roles: ${roles}", mapping={"roles": names}))
    return str(result) if result is not None else ""


@forbidden_view_config(renderer="error.jinja2")
def forbidden(exc: HTTPForbidden, request):
    if is_api_request(request):
        if request.identity is None:
            response = json_error(request, 401, "unauthorized",
                                  _("Log in first: send Authorization: Bearer <token>"))
            response.headers["WWW-Authenticate"] = 'Bearer realm="xietong"'
            return response
        return json_error(request, 403, "forbidden", _("You may not do this"),
                          details={"reason": denial_reason(request, exc)})
    if request.identity is None:
        return HTTPFound(request.route_path("login", _query={"came_from": request.path_qs}))
    request.response.status = 403
    return {"title": _("Access denied"), "message": _("You do not have permission to see this page."),
            "reason": denial_reason(request, exc)}


@notfound_view_config(renderer="error.jinja2")
def notfound(exc: HTTPNotFound, request):
    if is_api_request(request):
        return json_error(request, 404, "not_found", _("No such resource"))
    request.response.status = 404
    return {"title": _("Page not found"), "message": _("The page you asked for does not exist."),
            "reason": ""}


@exception_view_config(BadCSRFToken, renderer="error.jinja2")
def bad_csrf(exc, request):
    request.response.status = 400
    return {"title": _("The form has expired"),
            "message": _("The form was missing its security token or it has expired. "
                         "Go back, reload the page and try again."), "reason": ""}


@exception_view_config(UnicodeDecodeError)
def bad_encoding(exc, request):
    """A query string or form body that is not UTF-8: 400, not a server error."""
    message = _("The request is not valid UTF-8")
    raw = request.environ.get("PATH_INFO", "")
    if raw == "/api" or raw.startswith("/api/"):
        return json_error(request, 400, "bad_request", message)
    return Response(status=400, content_type="text/plain", charset="utf-8",
                    text=request.localizer.translate(message))


@exception_view_config(URLDecodeError)
def bad_url(exc, request):
    """A path that is not UTF-8 (``/documents/%ff``): 400, before any route could match.

    ``request.path_info`` itself raises here, so only the raw environ is read.
    """
    raw = request.environ.get("PATH_INFO", "")
    if raw == "/api" or raw.startswith("/api/"):
        return json_error(request, 400, "bad_request", _("The address is not valid UTF-8"))
    return Response(status=400, content_type="text/plain", charset="utf-8",
                    text=request.localizer.translate(_("The address is not valid UTF-8")))
