"""Contexts for URL-dispatched pages.

The site root answers which roles hold each site-wide permission.  Content
documents (later issues) answer from their workflow state instead; both speak the
same ``roles_for(permission)`` protocol that :mod:`xietong.security` reads.
"""

SITE_PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({"authenticated"}),
    "change_password": frozenset({"authenticated"}),
    "manage_users": frozenset({"admin"}),
    "manage_units": frozenset({"admin"}),
    "view_audit_log": frozenset({"admin", "auditor"}),
    "view_leadership_dashboard": frozenset({"leader", "reviewer", "admin"}),
    "view_finance_dashboard": frozenset({"finance", "leader", "reviewer", "admin"}),
}


class Root:
    __name__ = ""
    __parent__ = None
    unit_id = None
    owner_id = None

    def __init__(self, request=None):
        self.request = request

    def roles_for(self, permission: str) -> frozenset[str]:
        return SITE_PERMISSIONS.get(permission, frozenset())
