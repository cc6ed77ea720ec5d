"""API authentication: exchange a username and password for a bearer token; who am I."""
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..i18n import _
from ..services import auth as auth_service
from ..tokens import issue_token
from .errors import json_body, json_error


@view_config(route_name="api_token", request_method="POST", renderer="json",
             permission=NO_PERMISSION_REQUIRED)
def create_token(request):
    body = json_body(request)
    if body is None or not isinstance(body.get("username"), str) or not isinstance(body.get("password"), str):
        return json_error(request, 400, "bad_request",
                          _("Send a JSON object with string fields username and password"))
    result = auth_service.authenticate(request.dbsession, body["username"], body["password"],
                                       request.client_addr or "")
    if result.user is None:
        status = 429 if result.throttled else 401
        return json_error(request, status, "throttled" if result.throttled else "unauthorized",
                          result.message)
    token, row = issue_token(request.dbsession, result.user)
    return {"token": token, "expires": row.expires_at.isoformat()}


def user_json(user) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "unit": {"id": user.unit.id, "code": user.unit.code, "name": user.unit.name},
            "unit_role": user.unit_role, "roles": sorted(user.roles)}


@view_config(route_name="api_me", request_method="GET", renderer="json")
def me(request):
    return user_json(request.identity.user)


@view_config(route_name="api_notfound", renderer="json", permission=NO_PERMISSION_REQUIRED)
def api_not_found(request):
    return json_error(request, 404, "not_found", _("No such resource"))
