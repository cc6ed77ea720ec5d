"""Attachments: files kept in the database beside a document.

Limits: at most :data:`MAX_BYTES` per file; only the kinds in :data:`KINDS`, recognised
by their first bytes (the name and the browser's claimed type are not trusted); the
stored content type is the sniffed one.  Downloads are always served as attachments
(``Content-Disposition: attachment``) with that type and ``nosniff``, and only to those
who may view the document.  Removing an attachment moves it to the trash like documents.
"""
from dataclasses import dataclass
import hashlib
from pathlib import PurePath
import re

from sqlalchemy import select

from ..i18n import _
from ..models import Attachment, utcnow
from . import ServiceError

MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]
    magic: tuple[bytes, ...]  # accepted leading bytes


KINDS = (
    Kind("application/pdf", (".pdf",), (b"%PDF-",)),
    Kind("image/png", (".png",), (b"\x89PNG\r\n\x1a\n",)),
    Kind("image/jpeg", (".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    # Office Open XML and OFD are zip containers; legacy Office is OLE2
    Kind("application/zip", (".docx", ".xlsx", ".pptx", ".ofd", ".zip"), (b"PK\x03\x04",)),
    Kind("application/x-ole-storage", (".doc", ".xls", ".ppt"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
)


def sniff(data: bytes, filename: str) -> str:
    """The content type of ``data`` if it is an allowed kind whose extension matches ``filename``."""
    extension = PurePath(filename).suffix.lower()
    for kind in KINDS:
        if any(data.startswith(m) for m in kind.magic):
            if extension not in kind.extensions:
                raise ServiceError(_("The file's content does not match its name ${name}",
                                     mapping={"name": filename}), "file")
            return kind.content_type
    if extension == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text/plain; charset=utf-8"
    raise ServiceError(_("Only PDF, images, Office and OFD documents, zip and UTF-8 text files can be attached"),
                       "file")


def safe_filename(filename: str) -> str:
    name = PurePath((filename or "").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*/]", "_", name).strip(" .")
    return name[:200] or "attachment"


def add_attachment(dbsession, document, filename: str, data: bytes, actor) -> Attachment:
    if len(data) > MAX_BYTES:
        raise ServiceError(_("A file may be at most ${mb} MB", mapping={"mb": MAX_BYTES // (1024 * 1024)}), "file")
    if not data:
        raise ServiceError(_("The file is empty"), "file")
    name = safe_filename(filename)
    attachment = Attachment(node_id=document.id, filename=name, content_type=sniff(data, name), size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), data=data,
                            uploaded_by_id=actor.user.id if actor.user else None)
    dbsession.add(attachment)
    dbsession.flush()
    return attachment


def attachments_of(dbsession, node_id: int) -> list[Attachment]:
    """A document's attachments (without their bytes), oldest first."""
    return list(dbsession.scalars(select(Attachment).where(Attachment.node_id == node_id,
                                                           Attachment.trashed_at.is_(None))
                                  .order_by(Attachment.id)))


def trash_attachment(dbsession, attachment: Attachment) -> None:
    attachment.trashed_at = utcnow()
    dbsession.flush()
