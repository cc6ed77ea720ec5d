"""Uploading attachments to a document and downloading them.

Upload: ``POST /documents/{id}/attachments`` (multipart field ``file``), permission
``edit`` on the document.  The request's declared length is checked *before* the body
is parsed — CSRF is therefore checked here, after that check, instead of by Pyramid's
view deriver (which would parse the body first); the token is required all the same.
:func:`xietong.services.attachments.add_attachment` sniffs the kind and enforces the
size; a refusal is flashed (in the user's language) and the transaction doomed.
Either way the answer is a 303 back to the document's attachments.

Note on the size limit: ``pyramid_retry`` copies every request body (to a temporary
file) before any view runs, so this check saves the multipart parse and the database
write, not the reading.  The real cap belongs in front: waitress's
``max_request_body_size`` and the proxy's ``client_max_body_size`` (a little above
:data:`MAX_REQUEST_BYTES`).

Download: ``GET /attachments/{id}``, for those who may ``view`` the attachment's
document (403 with the reason otherwise; anonymous users are sent to log in by the
forbidden view).  Always ``Content-Disposition: attachment`` with the sniffed type,
``nosniff``, a sandboxing CSP and ``Cache-Control: private, no-store``; the file
name is sent RFC 6266/5987 style (``filename*=UTF-8''...``) with an ASCII fallback.
"""
from pathlib import PurePath
import re
import unicodedata
from urllib.parse import quote

from pyramid.csrf import check_csrf_origin, check_csrf_token
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.interfaces import IDefaultCSRFOptions
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..i18n import _, translate
from ..models import Attachment, Node
from ..services import ServiceError
from ..services.attachments import MAX_BYTES, add_attachment
from ..services.workflow import Actor

#: Requests declaring a longer body are refused unread: the file plus 64 KB of multipart overhead.
MAX_REQUEST_BYTES = MAX_BYTES + 64 * 1024


def _back(request, document) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("document", id=document.id, _anchor="attachments"))


def _refuse(request, document, message) -> HTTPSeeOther:
    request.tm.doom()  # nothing of a refused upload may be committed
    request.session.flash(translate(request.localizer, message), "error")
    return _back(request, document)


def _check_csrf(request) -> None:
    """Pyramid's CSRF view deriver, with the application's defaults (see :mod:`xietong.csrf`)."""
    options = request.registry.queryUtility(IDefaultCSRFOptions)
    if options is None or options.check_origin:
        check_csrf_origin(request, raises=True, allow_no_origin=getattr(options, "allow_no_origin", False))
    check_csrf_token(request, getattr(options, "token", "csrf_token"), getattr(options, "header", "X-CSRF-Token"),
                     raises=True)


@view_config(route_name="document_attachments", request_method="POST", permission="edit", require_csrf=False)
def upload(request):
    document = request.context
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        return _refuse(request, document, _("A file may be at most ${mb} MB",
                                            mapping={"mb": MAX_BYTES // (1024 * 1024)}))
    _check_csrf(request)
    field = request.POST.get("file")
    if not hasattr(field, "file"):
        return _refuse(request, document, _("Choose a file to upload"))
    data = field.file.read(MAX_BYTES + 1)  # one byte more than allowed: the service says "too big"
    try:
        attachment = add_attachment(request.dbsession, document, field.filename or "", data,
                                    Actor.of(request.identity.user))
    except ServiceError as exc:
        return _refuse(request, document, exc.message)
    request.session.flash(translate(request.localizer, _("Attached: ${name}", mapping={"name": attachment.filename})),
                          "success")
    return _back(request, document)


def ascii_filename(name: str) -> str:
    """A plain-ASCII stand-in for ``name`` for clients that ignore ``filename*``."""
    path = PurePath(name)
    stem = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")
    suffix = re.sub(r"[^A-Za-z0-9.]", "", path.suffix)
    return (stem or "attachment") + suffix


def content_disposition(name: str) -> str:
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


@view_config(route_name="attachment", request_method=("GET", "HEAD"), permission="view")
def download(request):
    try:
        attachment_id = int(request.matchdict["id"])
    except ValueError:
        raise HTTPNotFound() from None
    if not 0 < attachment_id < 2**62:
        raise HTTPNotFound()
    attachment = request.dbsession.scalar(select(Attachment).where(Attachment.id == attachment_id)
                                          .options(undefer(Attachment.data)))
    if attachment is None or attachment.trashed_at is not None:
        raise HTTPNotFound()
    document = request.dbsession.get(Node, attachment.node_id)
    if document is None or document.trashed_at is not None:
        raise HTTPNotFound()
    allowed = request.has_permission("view", document)
    if not allowed:
        raise HTTPForbidden(result=allowed)
    response = Response(body=attachment.data)
    response.headers["Content-Type"] = attachment.content_type
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
