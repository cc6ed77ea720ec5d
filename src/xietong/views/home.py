"""The home page, the city's units, and the language switch."""
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..i18n import LOCALE_COOKIE, LOCALES
from ..services.units import all_units, unit_by_code
from ..schemas.units import KIND_TITLES
from ..roles import ROLE_TITLES
from .auth import safe_came_from


@view_config(route_name="home", renderer="home.jinja2")
def home(request):
    user = request.identity.user
    return {"unit": user.unit, "roles": sorted(user.roles), "role_titles": ROLE_TITLES}


@view_config(route_name="units", renderer="units.jinja2")
def units(request):
    rows = all_units(request.dbsession)
    top = [u for u in rows if u.parent_id is None]
    return {"top": top, "kind_titles": KIND_TITLES, "count": len(rows)}


@view_config(route_name="unit", renderer="unit.jinja2")
def unit(request):
    name = request.matchdict["name"]
    found = unit_by_code(request.dbsession, name.rsplit("-", 1)[-1])
    if found is None or found.url_name != name:
        raise HTTPNotFound()
    return {"unit": found, "kind_titles": KIND_TITLES}


@view_config(route_name="locale", permission=NO_PERMISSION_REQUIRED)
def switch_locale(request):
    code = request.matchdict["code"]
    if code not in LOCALES:
        raise HTTPNotFound()
    response = HTTPSeeOther(safe_came_from(request, request.params.get("came_from")))
    response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
