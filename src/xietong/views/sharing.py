"""The sharing page of a document (共享设置): its local roles, grant and revoke.

Permission ``manage`` on the document (the workflow file's state map says who: a filing's
unit head, a rectification order's owner ...).  The form is validated by
:class:`GrantSchema`; :mod:`xietong.services.sharing` does the writing and the audit.
A refused request re-renders the page with the reason (HTTP 400) and dooms the
transaction, so nothing half-done is committed.
"""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from ..i18n import _, translate
from ..models import Unit, User
from ..roles import ROLE_TITLES
from ..services import ServiceError
from ..services import sharing
from ..services.units import unit_choices
from ..schemas.common import no_control_chars


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class GrantSchema(colander.MappingSchema):
    """Grant ``role`` to a unit (by code) or a user (by username): exactly one of the two."""

    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(sharing.GRANTABLE_ROLES))
    unit = colander.SchemaNode(colander.String(), missing="", preparer=_strip,
                               validator=colander.All(colander.Length(max=40), no_control_chars))
    username = colander.SchemaNode(colander.String(), missing="", preparer=_strip,
                                   validator=colander.All(colander.Length(max=40), no_control_chars))

    def validator(self, node, value):
        if bool(value["unit"]) == bool(value["username"]):
            raise colander.Invalid(node, _("Choose either a unit or a user"))


def _first_error(request, invalid: colander.Invalid) -> str:
    messages = invalid.asdict(translate=lambda m: translate(request.localizer, m))
    return "; ".join(m for m in messages.values() if m)


def _page(request, error=None, values=None):
    document = request.context
    compiled = request.registry["workflows"].get(document.workflow_id)
    definition = compiled.definition if compiled else None
    effects = {role: sharing.what_role_allows(definition, role) for role in sharing.GRANTABLE_ROLES} \
        if definition else {}
    return {"document": document, "definition": definition, "error": error, "values": values or {},
            "rows": [(row, unit, user, sharing.is_derived(document, row))
                     for row, unit, user in sharing.local_roles(request.dbsession, document)],
            "grantable": sharing.GRANTABLE_ROLES, "role_titles": ROLE_TITLES, "effects": effects,
            "units": unit_choices(request.dbsession)}


def _refuse(request, message, values=None):
    request.tm.doom()
    request.response.status = 400
    return _page(request, error=message, values=values)


def _grant(request):
    values = {k: request.POST.get(k, "") for k in ("role", "unit", "username")}
    try:
        data = GrantSchema().deserialize(values)
    except colander.Invalid as invalid:
        return _refuse(request, _first_error(request, invalid), values)
    db, actor = request.dbsession, request.identity.user
    try:
        unit = sharing.find_unit(db, data["unit"]) if data["unit"] else None
        user = sharing.find_user(db, data["username"]) if data["username"] else None
        sharing.grant(db, request.context, role=data["role"], unit=unit, user=user, actor=actor,
                      address=request.client_addr)
    except ServiceError as exc:
        return _refuse(request, translate(request.localizer, exc.message), values)
    name = unit.name if unit is not None else f"{user.display_name} ({user.username})"
    return _done(request, _("${role} granted to ${name}", mapping={"role": ROLE_TITLES[data["role"]], "name": name}))


def _revoke(request):
    document = request.context
    try:
        row_id = int(request.POST.get("revoke", ""))
    except ValueError:
        row_id = None
    row = next((r for r in document.local_role_rows if r.id == row_id), None)
    if row is None:
        return _refuse(request, translate(request.localizer, _("This role was already revoked")))
    db = request.dbsession
    unit = db.get(Unit, row.unit_id) if row.unit_id else None
    user = db.get(User, row.user_id) if row.user_id else None
    role = row.role
    try:
        sharing.revoke(db, document, role=role, unit=unit, user=user, actor=request.identity.user,
                       address=request.client_addr)
    except ServiceError as exc:
        return _refuse(request, translate(request.localizer, exc.message))
    name = unit.name if unit is not None else f"{user.display_name} ({user.username})"
    return _done(request, _("${role} revoked from ${name}",
                            mapping={"role": ROLE_TITLES.get(role, role), "name": name}))


def _done(request, message):
    request.session.flash(translate(request.localizer, message), "success")
    return HTTPSeeOther(request.route_path("document_sharing", id=request.context.id))


@view_config(route_name="document_sharing", request_method="GET", renderer="sharing.jinja2",
             permission="manage")
def show_sharing(request):
    return _page(request)


@view_config(route_name="document_sharing", request_method="POST", renderer="sharing.jinja2",
             permission="manage")
def change_sharing(request):
    if "revoke" in request.POST:
        return _revoke(request)
    return _grant(request)

