"""The user's own page (我的账号): who they are, their logins and API tokens.

Everything here concerns the requester only: a token id that is not theirs answers
404, exactly like one that does not exist (no probing other people's token ids).
The two buttons are POSTs with the CSRF token (checked for every unsafe request, see
:mod:`xietong.csrf`).
"""
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.security import forget
from pyramid.view import view_config

from .. import sessions, tokens
from ..i18n import _
from ..models import utcnow
from ..roles import ROLE_TITLES


@view_config(route_name="account", request_method="GET", renderer="account.jinja2", permission="view")
def account(request):
    identity = request.identity
    user = identity.user
    now = utcnow()
    rows = tokens.tokens_of(request.dbsession, user.id)
    return {
        "title": _("My account"),
        "unit": user.unit,
        "roles": sorted(user.roles),
        "role_titles": ROLE_TITLES,
        "logins": sessions.live_sessions(request.dbsession, user.id),
        "this_login": identity.session_id,
        "tokens": [(row, tokens.status(row, now)) for row in rows],
        "idle_minutes": sessions.idle_seconds(request.registry.settings) // 60,
        "absolute_hours": sessions.absolute_seconds(request.registry.settings) // 3600,
        "token_hours": int(tokens.TOKEN_LIFETIME.total_seconds() // 3600),
    }


@view_config(route_name="account", request_method="POST", request_param="logout_everywhere",
             permission="view")
def logout_everywhere(request):
    """End every login of the requester, this one included, and revoke their API tokens."""
    user_id = request.identity.user.id
    sessions.revoke_all(request.dbsession, user_id)
    tokens.revoke_all(request.dbsession, user_id)
    forget(request)
    request.session.flash(request.localizer.translate(
        _("You have been logged out everywhere, and your API tokens are revoked.")), "info")
    return HTTPSeeOther(request.route_path("login"))


@view_config(route_name="account_token_revoke", request_method="POST", permission="view")
def revoke_token(request):
    raw = request.matchdict["id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # beyond 2**63 SQLite overflows
        raise HTTPNotFound()
    if tokens.revoke(request.dbsession, request.identity.user.id, int(raw)) is None:
        raise HTTPNotFound()
    request.session.flash(request.localizer.translate(_("The API token has been revoked.")), "success")
    return HTTPSeeOther(request.route_path("account"))
