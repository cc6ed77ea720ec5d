"""Running a deform form: validate, call the service, show errors on their fields.

A :class:`~xietong.services.ServiceError` raised by the service (e.g. a duplicate
username) is shown on its field like any colander error, and the transaction is
vetoed so nothing half-done is committed.
"""
import colander
import deform
from markupsafe import Markup

from ..i18n import _
from ..rendering import render_form
from ..services import ServiceError


class FormPage:
    """Outcome of :func:`run_form`: either ``result`` (success) or ``html`` to show."""

    def __init__(self, html=None, result=None, ok=False):
        self.html, self.result, self.ok = html, result, ok


def run_form(request, schema, on_valid, appstruct=colander.null, button_title=None) -> FormPage:
    button = deform.Button("submit", request.localizer.translate(button_title or _("Save")))
    form = deform.Form(schema, buttons=(button,))
    if request.method != "POST":
        return FormPage(html=render_form(form, appstruct=appstruct))
    try:
        data = form.validate(request.POST.items())
    except deform.ValidationFailure as failure:
        return FormPage(html=Markup(failure.render()))
    data.pop("csrf_token", None)
    try:
        result = on_valid(data)
    except ServiceError as exc:
        request.tm.doom()
        error = colander.Invalid(form.schema)
        if exc.field and exc.field in form.schema:
            error[exc.field] = exc.message
        else:
            error.msg = exc.message
        form.widget.handle_error(form, error)
        return FormPage(html=render_form(form))
    return FormPage(result=result, ok=True)
