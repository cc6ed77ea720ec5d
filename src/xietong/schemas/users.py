"""Schemas for users: the admin's add/edit forms, password change, login."""
import colander
import deform

from ..i18n import _
from ..models import GLOBAL_ROLES, UNIT_ROLES
from ..passwords import MAX_LENGTH, policy_problem
from ..roles import ROLE_TITLES
from .common import boolean, csrf_node, text


USERNAME_RE = r"^[a-z][a-z0-9_.-]{1,39}$"


@colander.deferred
def _unit_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", _("- choose -"))] + kw["unit_choices"])


@colander.deferred
def _unit_validator(node, kw):
    return colander.OneOf([code for code, _title in kw["unit_choices"]])


def _password_policy(node, value):
    problem = policy_problem(value)
    if problem:
        raise colander.Invalid(node, problem)


def password_node(title, name="password", confirm=True) -> colander.SchemaNode:
    return colander.SchemaNode(
        colander.String(),
        name=name,
        title=title,
        validator=_password_policy,
        widget=deform.widget.CheckedPasswordWidget() if confirm else deform.widget.PasswordWidget(),
    )


class UserSchema(colander.MappingSchema):
    username = text(_("Username"), 40, min_length=2,
                    validator=colander.Regex(USERNAME_RE, _("Use lower-case letters, digits, _ . - "
                                                            "and start with a letter")),
                    description=_("Lower-case letters, digits, _ . -; starts with a letter"))
    display_name = text(_("Display name"), 60)
    unit = colander.SchemaNode(colander.String(), title=_("Unit"),
                               widget=_unit_widget, validator=_unit_validator)
    unit_role = colander.SchemaNode(
        colander.String(), title=_("Role in the unit"), missing=None,
        widget=deform.widget.SelectWidget(
            values=[("", _("none"))] + [(r, ROLE_TITLES[r]) for r in UNIT_ROLES]),
        validator=colander.OneOf(UNIT_ROLES),
    )
    roles = colander.SchemaNode(
        colander.Set(), title=_("Global roles"), missing=(),
        widget=deform.widget.CheckboxChoiceWidget(values=[(r, ROLE_TITLES[r]) for r in GLOBAL_ROLES]),
        validator=colander.ContainsOnly(GLOBAL_ROLES),
    )


def add_user_schema(request, unit_choices) -> colander.SchemaNode:
    schema = UserSchema().clone()
    schema.add(password_node(_("Initial password")))
    schema.add(csrf_node())
    return schema.bind(request=request, unit_choices=unit_choices)


def edit_user_schema(request, unit_choices) -> colander.SchemaNode:
    schema = UserSchema().clone()
    del schema["username"]
    schema.add(boolean(_("Active"), name="active"))
    schema.add(csrf_node())
    return schema.bind(request=request, unit_choices=unit_choices)


class ChangePasswordSchema(colander.MappingSchema):
    current_password = colander.SchemaNode(
        colander.String(), title=_("Current password"),
        validator=colander.Length(max=MAX_LENGTH), widget=deform.widget.PasswordWidget())


def change_password_schema(request) -> colander.SchemaNode:
    schema = ChangePasswordSchema().clone()
    schema.add(password_node(_("New password"), name="new_password"))
    schema.add(csrf_node())
    return schema.bind(request=request)


class LoginSchema(colander.MappingSchema):
    username = text(_("Username"), 100)
    password = colander.SchemaNode(colander.String(), title=_("Password"),
                                   validator=colander.Length(max=MAX_LENGTH),
                                   widget=deform.widget.PasswordWidget())
