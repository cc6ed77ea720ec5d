"""Personal data on documents (the seed's 安全保障 clause): who sees it in full, and the mask.

The personal fields (:data:`PERSONAL_FIELDS`) are a filing's ``contact_phone`` (联系电话).
The contact person's name is shown to everyone who may view the filing: it is whom to
call about the project, and useless without the number.

Who sees the phone in full (:data:`PHONE_READERS`, roles as :func:`xietong.security.roles_on`
computes them on the filing):

=====================  ====================================================================
``staff``, ``head``    the filing's own unit (unit roles hold on the unit's own documents only)
``owner``              whoever filed it
``reviewer``           the information office's reviewers, who call the unit about the filing
``finance``            the finance bureau, which decides the funding
``admin``              site administrators
=====================  ====================================================================

Everyone else who may view the filing — auditors, the leadership group, another unit
given a local role on the sharing page — sees it masked by :func:`mask_phone`:
``13812345678`` → ``138****5678``, ``0559-1234567`` → ``0559-***4567`` (the prefix or area
code and the last four digits stay, every other digit becomes ``*``).

Everything that shows a filing's fields masks the same way: the document page, the
JSON API's document answers, and the field-change history on the document page (the
recorded old and new values).  The edit form is not masked — only the filing's unit
and the reviewer may edit a filing, and both are readers (a test checks every state's
``edit`` roles against :data:`PHONE_READERS`).  The search text never contains the phone.
"""
from ..security import roles_on

PERSONAL_FIELDS = {"filing": frozenset({"contact_phone"})}
PHONE_READERS = frozenset({"staff", "head", "owner", "reviewer", "finance", "admin"})
MOBILE_PREFIX = 3
KEEP_LAST = 4


def may_read_personal(user, document) -> bool:
    """May ``user`` see the personal fields of ``document`` unmasked?"""
    return bool(roles_on(user, document) & PHONE_READERS)


def mask_phone(phone: str | None) -> str | None:
    """The phone with all but its prefix (mobile) or area code (landline) and last four digits hidden."""
    if not phone:
        return phone
    area, dash, number = phone.rpartition("-")
    if dash:
        return f"{area}-{_mask(number, 0)}"
    return _mask(phone, MOBILE_PREFIX)


def _mask(digits: str, keep_first: int) -> str:
    if len(digits) <= keep_first + KEEP_LAST:
        return "*" * len(digits)
    return digits[:keep_first] + "*" * (len(digits) - keep_first - KEEP_LAST) + digits[-KEEP_LAST:]


def is_personal(document, field: str) -> bool:
    return field in PERSONAL_FIELDS.get(getattr(document, "type", None), ())


def shown(user, document, field: str, value):
    """``value`` of ``field`` as ``user`` may see it (masked when it is personal and they may not)."""
    if is_personal(document, field) and not may_read_personal(user, document):
        return mask_phone(value)
    return value


def redact(user, document, values: dict) -> dict:
    """``values`` (a document's fields) with its personal fields masked for ``user`` where needed."""
    return {name: shown(user, document, name, value) for name, value in values.items()}
