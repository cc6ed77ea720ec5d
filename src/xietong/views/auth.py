"""Logging in and out, changing one's password, and the forced change after a reset.

Logging in rotates the session and records the login; logging out revokes it
server-side; a password change ends every other login and revokes the user's API
tokens (see :mod:`xietong.sessions`).
"""
from pyramid.events import ContextFound, subscriber
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from .. import sessions, tokens
from ..i18n import _
from ..schemas.users import change_password_schema
from ..services import auth as auth_service
from ..services import users as user_service
from .forms import run_form

# Routes a user who must change their password may still reach.
PASSWORD_CHANGE_EXEMPT = frozenset({"password", "logout", "login", "locale", "__static/", "__deform_static/"})


def safe_came_from(request, value: str | None) -> str:
    """Only same-site paths: ``/units`` yes, ``//evil.example`` or ``http://...`` no."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return request.route_path("home")


@view_config(route_name="login", renderer="login.jinja2", permission=NO_PERMISSION_REQUIRED)
def login(request):
    came_from = safe_came_from(request, request.params.get("came_from"))
    if request.identity is not None and request.method == "GET":
        return HTTPFound(came_from)
    username = request.POST.get("username", "")
    message = None
    if request.method == "POST":
        result = auth_service.authenticate(
            request.dbsession, username, request.POST.get("password", ""), request.client_addr or ""
        )
        if result.user is not None:
            remember(request, result.user.id)  # rotates the session in place; no headers
            request.session.flash(request.localizer.translate(
                _("Welcome, ${name}", mapping={"name": result.user.display_name})), "success")
            if result.user.must_change_password:
                return HTTPSeeOther(request.route_path("password"))
            return HTTPSeeOther(came_from)
        message = request.localizer.translate(result.message)
        request.response.status = 429 if result.throttled else 200
    return {"came_from": came_from, "username": username[:100], "message": message}


@view_config(route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout(request):
    forget(request)
    request.session.flash(request.localizer.translate(_("You have logged out.")), "info")
    return HTTPSeeOther(request.route_path("login"))


@view_config(route_name="password", renderer="form.jinja2", permission="change_password")
def change_password(request):
    user = request.identity.user

    def save(data):
        user_service.change_password(request.dbsession, user, data["current_password"],
                                     data["new_password"], request.client_addr)

    page = run_form(request, change_password_schema(request), save, button_title=_("Change password"))
    if page.ok:
        # Whoever else holds a session or token of this user is out; this browser gets
        # a fresh session (rotation after a change of credentials).
        sessions.revoke_all(request.dbsession, user.id)
        tokens.revoke_all(request.dbsession, user.id)
        remember(request, user.id)
        request.session.flash(request.localizer.translate(_("Your password has been changed.")), "success")
        return HTTPSeeOther(request.route_path("home"))
    notice = _("Your password was reset by an administrator: please choose a new one.") \
        if user.must_change_password else None
    return {"title": _("Change password"), "form": page.html, "notice": notice}


@subscriber(ContextFound)
def force_password_change(event):
    request = event.request
    route = request.matched_route.name if request.matched_route else None
    if route in PASSWORD_CHANGE_EXEMPT or route is None or route.startswith("api"):
        return
    identity = request.identity
    if identity is not None and identity.user.must_change_password:
        raise HTTPFound(request.route_path("password"))
