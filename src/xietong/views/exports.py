"""The Excel exports: ``/exports/tasks.xlsx`` and ``/exports/overdue.xlsx`` (the leadership
group's, like its dashboard), ``/exports/filings.xlsx`` (anyone logged in: the rows are the
filings the reader may see).  The workbooks are built by :mod:`xietong.services.exports`."""
from datetime import datetime
from urllib.parse import quote

from pyramid.response import Response
from pyramid.view import view_config

from ..formatting import CHINA_TZ, china_today
from ..i18n import _, translate
from ..services import exports
from .documents import workflows_of


def _xlsx(request, body: bytes, ascii_name: str, title) -> Response:
    """An attachment named e.g. 重点任务台账-20180131.xlsx (RFC 6266 / 5987), ASCII name as fallback."""
    stamp = datetime.now(CHINA_TZ).strftime("%Y%m%d")
    name = f"{translate(request.localizer, title)}-{stamp}.xlsx"
    response = Response(body=body, content_type=exports.XLSX_TYPE)
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}-{stamp}.xlsx"; '
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _args(request) -> tuple:
    return (request.dbsession, workflows_of(request), request.identity.user)


def _translator(request):
    return lambda message: translate(request.localizer, message)


@view_config(route_name="export_tasks", request_method="GET", permission="view_leadership_dashboard")
def tasks(request):
    body = exports.task_ledger(*_args(request), china_today(), _translator(request), request.locale_name)
    return _xlsx(request, body, "tasks", _("Key task ledger"))


@view_config(route_name="export_overdue", request_method="GET", permission="view_leadership_dashboard")
def overdue(request):
    body = exports.overdue_items(*_args(request), china_today(), _translator(request), request.locale_name)
    return _xlsx(request, body, "overdue", _("Overdue items"))


@view_config(route_name="export_filings", request_method="GET")
def filings(request):
    body = exports.filings(*_args(request), _translator(request), request.locale_name)
    return _xlsx(request, body, "filings", _("Filings and decisions"))
