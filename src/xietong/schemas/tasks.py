"""colander schemas of key tasks, progress reports, annual and aggregate reports.

As for the other documents, one schema per type serves the deform form and the JSON API;
choices that depend on the database (the tasks a unit may report on) are bound in.
"""
from datetime import date

import colander
import deform

from ..i18n import _
from .common import csrf_node, text
from .documents import date_node, long_text, year_node

LONG = 20000


def task_schema(request=None, choices=(), csrf=True) -> colander.SchemaNode:
    """What the leadership group and the information office may correct on a task."""
    schema = colander.SchemaNode(colander.Mapping(), name="key_task")
    schema.add(text(_("Title"), 300, name="title"))
    schema.add(long_text(_("Task text"), max_length=LONG, name="body"))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request)


@colander.deferred
def _task_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", _("- choose -"))] + [(str(i), t) for i, t in kw["task_choices"]])


@colander.deferred
def _task_validator(node, kw):
    allowed = {i for i, _t in kw["task_choices"]}

    def validate(node, value):
        if value not in allowed:
            raise colander.Invalid(node, _("Your unit is neither a lead nor a cooperating unit of this task"))
    return validate


def progress_schema(request=None, task_choices=(), csrf=True) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), name="progress_report")
    schema.add(text(_("Title"), 300, name="title"))
    schema.add(colander.SchemaNode(colander.Integer(), name="task", title=_("Key task"),
                                   widget=_task_widget, validator=_task_validator))
    schema.add(colander.SchemaNode(colander.Integer(), name="percentage", title=_("Progress (%)"),
                                   validator=colander.Range(0, 100), default=0))
    schema.add(long_text(_("Progress"), max_length=LONG, name="text"))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request, task_choices=list(task_choices))


def annual_schema(request=None, choices=(), csrf=True) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), name="annual_report")
    schema.add(text(_("Title"), 300, name="title"))
    schema.add(year_node(name="year", title=_("Year reported on"), default=date.today().year - 1))
    schema.add(long_text(_("Compilation of the resource catalogue"), max_length=LONG, name="catalogue"))
    schema.add(long_text(_("Progress connecting systems to the shared platform"), max_length=LONG,
                         name="platform"))
    schema.add(long_text(_("Data sharing and collaborative use"), max_length=LONG, name="sharing"))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request)


def aggregate_schema(request=None, choices=(), csrf=True) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), name="aggregate_report")
    schema.add(text(_("Title"), 300, name="title"))
    schema.add(year_node(name="year", title=_("Year reported on"), default=date.today().year - 1))
    schema.add(long_text(_("Summary"), max_length=LONG, name="summary"))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request)


def delay_schema(request=None, milestone_choices=(), csrf=True) -> colander.SchemaNode:
    """The lead unit's delay request: which milestone, the new date, why."""
    schema = colander.SchemaNode(colander.Mapping(), name="delay")
    schema.add(colander.SchemaNode(
        colander.Integer(), name="milestone", title=_("Milestone"),
        widget=deform.widget.SelectWidget(values=[(str(i), t) for i, t in milestone_choices]),
        validator=colander.OneOf([i for i, _t in milestone_choices])))
    schema.add(date_node(_("New due date"), name="new_date"))
    schema.add(long_text(_("Reason"), max_length=2000, name="reason", missing=colander.required))
    if csrf:
        schema.add(csrf_node())
    return schema.bind(request=request)
