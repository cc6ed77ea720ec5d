"""The built-in roles and their titles — the one list that security, workflows and forms share.

Where a role comes from (see :mod:`xietong.security`):

* ``anonymous``, ``authenticated`` — whether the requester logged in;
* ``admin``, ``reviewer``, ``finance``, ``auditor``, ``leader`` — global roles granted
  by an administrator (:data:`xietong.models.GLOBAL_ROLES`);
* ``staff``, ``head`` — the requester's role in their unit, on that unit's documents;
* ``owner`` — the requester created the document;
* ``lead``, ``contributor`` — local roles on one document (a key task's lead and
  cooperating units);
* ``system`` — the deadline sweeper, allowed only where a workflow names it.
"""
from types import MappingProxyType

from .i18n import _

ROLE_TITLES = MappingProxyType({
    "anonymous": _("Anonymous"),
    "authenticated": _("Logged-in user"),
    "owner": _("Owner"),
    "staff": _("Staff"),
    "head": _("Head of unit"),
    "lead": _("Lead unit"),
    "contributor": _("Cooperating unit"),
    "admin": _("Administrator"),
    "reviewer": _("Reviewer (information office)"),
    "finance": _("Finance officer"),
    "auditor": _("Auditor"),
    "leader": _("Leadership group"),
    "system": _("System (deadline sweeper)"),
})

BUILTIN_ROLES = frozenset(ROLE_TITLES)
