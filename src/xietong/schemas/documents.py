"""colander schemas of the document types — one source for the deform forms and the JSON API.

Every schema is built by a function taking the *choices* that depend on the database
(units, the unit's systems), so the same validation runs whether the data came from a
form post (strings) or a JSON body (numbers, booleans, lists).
"""
from datetime import date

import colander
import deform

from ..codes import check_doc_number
from ..i18n import _
from ..models import (BUILD_MODES, FUNDING_KINDS, FUNDING_SOURCES, NETWORKS, PLAN_ACTIONS, PROJECT_TYPES,
                      SYSTEM_STATUSES)
from .common import boolean, csrf_node, text

TITLES = {
    # project types / funding
    "new": _("New construction"), "upgrade": _("Upgrade"), "om": _("Operation and maintenance"),
    "construction": _("Construction funds"), "om_funds": _("O&M funds"),
    "central": _("Central government"), "provincial": _("Provincial"), "municipal": _("Municipal finance"),
    "other": _("Other"),
    "government": _("Government-invested"), "joint": _("Built jointly with enterprises"),
    "purchased_service": _("Government-purchased service"), "om_funded": _("Needs government O&M funding"),
    # networks
    "internet": _("Internet"), "extranet": _("E-government extranet"), "intranet": _("E-government intranet"),
    "private": _("Private network"),
    # system statuses
    "planned": _("Planned"), "building": _("Under construction"), "in_use": _("In use"),
    "stopped": _("Stopped"), "retired": _("Retired"),
    # plan actions
    "integrate": _("Integrate into another system"), "retire": _("Clean up (retire)"),
    "keep": _("Keep and standardise"), "migrate_network": _("Migrate to the extranet/intranet"),
    "connect_exchange": _("Connect to the exchange platform"),
}
MAX_PLAN_ITEMS = 200
FUNDING_KIND_TITLES = {"construction": TITLES["construction"], "om": TITLES["om_funds"]}


def _choices(values, titles=TITLES):
    return [(v, titles[v]) for v in values]


def choice(title, values, titles=TITLES, **kw) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), title=title, validator=colander.OneOf(values),
                               widget=deform.widget.SelectWidget(values=_choices(values, titles)), **kw)


def long_text(title, max_length=5000, **kw) -> colander.SchemaNode:
    kw.setdefault("missing", "")
    return text(title, max_length, min_length=0, widget=deform.widget.TextAreaWidget(rows=4), **kw)


def date_node(title, **kw) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Date(), title=title, widget=deform.widget.TextInputWidget(
        attributes={"type": "date"}), validator=colander.Range(min=date(1990, 1, 1), max=date(2100, 12, 31)), **kw)


def _ids(node, value):
    """A list of positive ids (form: strings; API: numbers)."""
    result = []
    for item in value or ():
        try:
            number = int(item)
        except (TypeError, ValueError):
            raise colander.Invalid(node, _("Not a valid choice: ${value}", mapping={"value": str(item)[:20]})) from None
        if not 0 < number < 2**31:
            raise colander.Invalid(node, _("Not a valid choice: ${value}", mapping={"value": str(item)[:20]}))
        result.append(number)
    return result


class IdList(colander.SchemaType):
    """A list of ids from a multiple select (strings) or a JSON list (numbers)."""

    def serialize(self, node, appstruct):
        return colander.null if appstruct is colander.null else [str(v) for v in appstruct]

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct == "":
            return colander.null
        if isinstance(cstruct, (str, int)):
            cstruct = [cstruct]
        if not isinstance(cstruct, (list, tuple)):
            raise colander.Invalid(node, _("A list of ids is expected"))
        return _ids(node, cstruct)


@colander.deferred
def _system_widget(node, kw):
    return deform.widget.SelectWidget(values=[(str(i), t) for i, t in kw["system_choices"]], multiple=True)


@colander.deferred
def _system_validator(node, kw):
    allowed = {i for i, _t in kw["system_choices"]}

    def validate(node, value):
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise colander.Invalid(node, _("Not a system of your unit: ${ids}",
                                           mapping={"ids": ", ".join(map(str, unknown))}))
    return validate


_AMOUNT_RANGE = colander.Range(min=0.01, max=10_000_000, min_err=_("The amount must be above zero"))


def _amount(node, value):
    """NaN and infinities are numbers to ``Decimal`` but not amounts (and break the range check)."""
    if not value.is_finite():
        raise colander.Invalid(node, _("Not a number"))
    _AMOUNT_RANGE(node, value)


def year_node(**kw) -> colander.SchemaNode:
    kw.setdefault("title", _("Year"))
    kw.setdefault("default", date.today().year)
    return colander.SchemaNode(colander.Integer(), validator=colander.Range(2000, 2100), **kw)


class ComplianceSchema(colander.MappingSchema):
    network = choice(_("Network"), NETWORKS)
    connected_to_exchange = boolean(_("Connected to the data-sharing exchange platform"))
    catalogued = boolean(_("Data resources catalogued"))
    duplicates_existing = boolean(_("Duplicates an existing system"))


def filing_schema(request=None, system_choices=(), csrf=True) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), name="filing")
    schema.add(text(_("Project name"), 300, name="title"))
    schema.add(year_node(name="year"))
    schema.add(choice(_("Project type"), PROJECT_TYPES, name="project_type"))
    schema.add(choice(_("Funding kind"), FUNDING_KINDS, FUNDING_KIND_TITLES, name="funding_kind"))
    schema.add(colander.SchemaNode(
        colander.Decimal(quant="0.01"), name="amount", title=_("Amount (10k yuan)"),
        validator=_amount,
        description=_("In 万元, two decimals")))
    schema.add(choice(_("Funding source"), FUNDING_SOURCES, name="funding_source"))
    schema.add(choice(_("Build mode"), BUILD_MODES, name="build_mode"))
    schema.add(long_text(_("Description"), name="description"))
    schema.add(colander.SchemaNode(IdList(), name="systems", title=_("Related systems"), missing=[],
                                   widget=_system_widget, validator=_system_validator))
    schema.add(ComplianceSchema(name="compliance", title=_("Sharing compliance")))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request, system_choices=list(system_choices))


def system_schema(request=None, system_choices=(), csrf=True) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), name="information_system")
    schema.add(text(_("System name"), 300, name="title"))
    schema.add(long_text(_("Function"), name="function"))
    schema.add(text(_("Usage scope"), 200, min_length=0, missing="", name="usage_scope"))
    schema.add(text(_("Usage frequency"), 100, min_length=0, missing="", name="usage_frequency"))
    schema.add(text(_("Approving department"), 100, min_length=0, missing="", name="approving_department"))
    schema.add(date_node(_("Approval date"), name="approval_date", missing=None))
    schema.add(text(_("Funding source"), 100, min_length=0, missing="", name="funding_source"))
    schema.add(choice(_("Status"), SYSTEM_STATUSES, name="status"))
    schema.add(choice(_("Network"), NETWORKS, name="network"))
    schema.add(boolean(_("Connected to the data-sharing exchange platform"), name="connected_to_exchange"))
    schema.add(boolean(_("Data resources catalogued"), name="catalogued"))
    schema.add(boolean(_("Long detached from the actual business process"), name="zombie_detached"))
    schema.add(boolean(_("Its function can be replaced by other systems"), name="zombie_replaceable"))
    schema.add(boolean(_("Its resources are idle for long periods"), name="zombie_idle"))
    schema.add(boolean(_("Operation and maintenance have stopped"), name="zombie_unmaintained"))
    schema.add(boolean(_("Small usage scope and low frequency"), name="zombie_low_use"))
    schema.add(colander.SchemaNode(
        colander.Integer(), name="integrated_into", title=_("Integrated into"), missing=None,
        widget=deform.widget.SelectWidget(values=[("", _("- choose -"))] + [(str(i), t) for i, t in system_choices]),
        validator=colander.OneOf([i for i, _t in system_choices])))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request)


class PlanItemSchema(colander.MappingSchema):
    system = colander.SchemaNode(colander.Integer(), title=_("System"), widget=deform.widget.SelectWidget())
    action = choice(_("Action"), PLAN_ACTIONS)
    target_system = colander.SchemaNode(colander.Integer(), title=_("Target system"), missing=None,
                                        widget=deform.widget.SelectWidget())
    due_date = date_node(_("Due date"), missing=None)
    done_date = date_node(_("Done date"), missing=None)
    evidence = long_text(_("Evidence"), max_length=2000)


def plan_schema(request=None, system_choices=(), csrf=True) -> colander.SchemaNode:
    ids = [i for i, _t in system_choices]
    values = [(str(i), t) for i, t in system_choices]
    item = PlanItemSchema(name="item", title=_("Item")).clone()
    item["system"].widget = deform.widget.SelectWidget(values=values)
    item["system"].validator = colander.OneOf(ids)
    item["target_system"].widget = deform.widget.SelectWidget(values=[("", _("- choose -"))] + values)
    item["target_system"].validator = colander.OneOf(ids)

    def target_needed(node, value):
        if value["action"] == "integrate" and not value.get("target_system"):
            error = colander.Invalid(node)
            error["target_system"] = _("Name the system it is integrated into")
            raise error

    item.validator = target_needed
    schema = colander.SchemaNode(colander.Mapping(), name="integration_plan")
    schema.add(text(_("Title"), 300, name="title"))
    schema.add(year_node(name="year"))
    schema.add(long_text(_("Description"), name="description"))
    schema.add(colander.SchemaNode(colander.Sequence(), item, name="items", title=_("Items"), missing=[],
                                   validator=colander.Length(max=MAX_PLAN_ITEMS),
                                   widget=deform.widget.SequenceWidget(min_len=0, max_len=MAX_PLAN_ITEMS)))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request)


def _doc_number(node, value):
    result = check_doc_number(value)
    if not result:
        raise colander.Invalid(node, result.reason)


@colander.deferred
def _target_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", _("- choose -"))] + [(str(i), t) for i, t in kw["unit_choices"]])


@colander.deferred
def _target_validator(node, kw):
    return colander.OneOf([i for i, _t in kw["unit_choices"]])


def rectification_schema(request=None, unit_choices=(), csrf=True) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), name="rectification_order")
    schema.add(text(_("Title"), 300, name="title"))
    schema.add(colander.SchemaNode(colander.Integer(), name="target_unit", title=_("Unit ordered to rectify"),
                                   widget=_target_widget, validator=_target_validator))
    schema.add(long_text(_("Basis"), name="basis"))
    schema.add(long_text(_("Findings"), name="findings"))
    schema.add(date_node(_("Rectify by"), name="due_date"))
    schema.add(text(_("Document number"), 60, name="doc_number", validator=_doc_number,
                    description=_("e.g. 黄信办〔2018〕3号")))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request, unit_choices=list(unit_choices))
