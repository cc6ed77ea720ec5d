"""Schema for units (admin add/edit forms and the CLI)."""
import colander
import deform

from ..codes import check_credit_code, check_division_code
from ..i18n import _
from ..models import UNIT_KINDS
from .common import csrf_node, text

KIND_TITLES = {
    "city": _("City government"),
    "district": _("District government"),
    "county": _("County government"),
    "department": _("City department"),
    "committee": _("Management committee"),
    "group": _("Leadership group"),
}


def _code_check(checker):
    def validate(node, value):
        result = checker(value)
        if not result:
            raise colander.Invalid(node, result.reason)
    return validate


def _normalised(checker):
    def prepare(value):
        if isinstance(value, str) and value.strip():
            return checker(value).value
        return value
    return prepare


@colander.deferred
def _parent_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", _("none (top level)"))] + kw["unit_choices"])


@colander.deferred
def _parent_validator(node, kw):
    return colander.OneOf([code for code, _title in kw["unit_choices"]])


class UnitSchema(colander.MappingSchema):
    code = text(_("Code"), 40, min_length=2,
                validator=colander.Regex(r"^[a-z][a-z0-9-]{1,39}$",
                                         _("Use lower-case letters, digits and -, starting with a letter")),
                description=_("Used in addresses, e.g. xinxiban"))
    name = text(_("Full name"), 100)
    short_name = text(_("Short name"), 40)
    kind = colander.SchemaNode(
        colander.String(), title=_("Kind"),
        widget=deform.widget.SelectWidget(values=[(k, KIND_TITLES[k]) for k in UNIT_KINDS]),
        validator=colander.OneOf(UNIT_KINDS))
    parent = colander.SchemaNode(colander.String(), title=_("Parent unit"), missing=None,
                                 widget=_parent_widget, validator=_parent_validator)
    credit_code = colander.SchemaNode(
        colander.String(), title=_("Unified social credit code"), missing=None,
        preparer=_normalised(check_credit_code), validator=_code_check(check_credit_code))
    division_code = colander.SchemaNode(
        colander.String(), title=_("Division code (GB/T 2260)"), missing=None,
        preparer=_normalised(check_division_code), validator=_code_check(check_division_code))
    sort_order = colander.SchemaNode(colander.Integer(), title=_("Sort order"), missing=0,
                                     validator=colander.Range(0, 9999))


def unit_schema(request, unit_choices, editing: bool = False) -> colander.SchemaNode:
    schema = UnitSchema().clone()
    if editing:
        del schema["code"]  # part of URLs: never changes
    schema.add(csrf_node())
    return schema.bind(request=request, unit_choices=unit_choices)
