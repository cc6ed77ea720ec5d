"""Administration: users, units and the audit log.  Only administrators (auditors: the log)."""
import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from ..i18n import _
from ..models import Unit, User
from ..schemas.units import KIND_TITLES, unit_schema
from ..roles import ROLE_TITLES
from ..schemas.users import add_user_schema, edit_user_schema
from ..services import audit as audit_service
from ..services import units as unit_service
from ..services import users as user_service
from .forms import run_form


def _get(request, model):
    row = request.dbsession.get(model, int(request.matchdict["id"]))
    if row is None:
        raise HTTPNotFound()
    return row


def _flash(request, message):
    request.session.flash(request.localizer.translate(message), "success")


@view_config(route_name="admin_users", renderer="admin_users.jinja2", permission="manage_users")
def list_users(request):
    return {"users": user_service.all_users(request.dbsession), "role_titles": ROLE_TITLES}


@view_config(route_name="admin_user_add", renderer="form.jinja2", permission="manage_users")
def add_user(request):
    choices = unit_service.unit_choices(request.dbsession)

    def save(data):
        return user_service.create_user(request.dbsession, request.identity.user, data, request.client_addr)

    page = run_form(request, add_user_schema(request, choices), save)
    if page.ok:
        _flash(request, _("User ${name} created", mapping={"name": page.result.username}))
        return HTTPSeeOther(request.route_path("admin_users"))
    return {"title": _("Add user"), "form": page.html}


@view_config(route_name="admin_user_edit", renderer="admin_user_edit.jinja2", permission="manage_users")
def edit_user(request):
    user = _get(request, User)
    choices = unit_service.unit_choices(request.dbsession)
    current = {"display_name": user.display_name, "unit": user.unit.code,
               "unit_role": user.unit_role or colander.null, "roles": set(user.roles),
               "active": user.active}

    def save(data):
        return user_service.update_user(request.dbsession, request.identity.user, user, data,
                                        request.client_addr)

    page = run_form(request, edit_user_schema(request, choices), save, appstruct=current)
    if page.ok:
        _flash(request, _("User ${name} saved", mapping={"name": user.username}))
        return HTTPSeeOther(request.route_path("admin_users"))
    return {"title": _("Edit user ${name}", mapping={"name": user.username}), "form": page.html,
            "edited": user}


@view_config(route_name="admin_user_reset", request_method="POST", renderer="admin_reset.jinja2",
             permission="manage_users")
def reset_password(request):
    user = _get(request, User)
    temporary = user_service.reset_password(request.dbsession, request.identity.user, user,
                                            request.client_addr)
    return {"edited": user, "temporary": temporary}


@view_config(route_name="admin_units", renderer="admin_units.jinja2", permission="manage_units")
def list_units(request):
    return {"units": unit_service.all_units(request.dbsession), "kind_titles": KIND_TITLES}


def _unit_page(request, unit: Unit | None):
    choices = [c for c in unit_service.unit_choices(request.dbsession) if not unit or c[0] != unit.code]
    current = colander.null
    if unit is not None:
        current = {"code": unit.code, "name": unit.name, "short_name": unit.short_name,
                   "kind": unit.kind, "parent": unit.parent.code if unit.parent else colander.null,
                   "credit_code": unit.credit_code or colander.null,
                   "division_code": unit.division_code or colander.null, "sort_order": unit.sort_order}

    def save(data):
        actor, addr = request.identity.user, request.client_addr
        if unit is None:
            return unit_service.create_unit(request.dbsession, actor, data, addr)
        data["code"] = unit.code  # the code is part of URLs: it does not change
        return unit_service.update_unit(request.dbsession, actor, unit, data, addr)

    page = run_form(request, unit_schema(request, choices, editing=unit is not None), save, appstruct=current)
    if page.ok:
        _flash(request, _("Unit saved"))
        return HTTPSeeOther(request.route_path("admin_units"))
    title = _("Edit unit ${name}", mapping={"name": unit.name}) if unit else _("Add unit")
    return {"title": title, "form": page.html}


@view_config(route_name="admin_unit_add", renderer="form.jinja2", permission="manage_units")
def add_unit(request):
    return _unit_page(request, None)


@view_config(route_name="admin_unit_edit", renderer="form.jinja2", permission="manage_units")
def edit_unit(request):
    return _unit_page(request, _get(request, Unit))


@view_config(route_name="admin_audit", renderer="admin_audit.jinja2", permission="view_audit_log")
def audit_log(request):
    try:
        page = max(1, int(request.params.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, 100_000)
    per_page = 50
    rows, total = audit_service.entries(request.dbsession, limit=per_page, offset=(page - 1) * per_page)
    return {"rows": rows, "total": total, "page": page, "pages": max(1, -(-total // per_page)),
            "action_titles": audit_service.ACTION_TITLES}
