"""CSRF: every unsafe HTML request must carry the session's token.

``/api`` is exempt because it never authenticates by cookie (bearer tokens only,
see :mod:`xietong.security`): a forged cross-site request there carries no
credentials.  Every other route, login included, is checked.
"""
from .security import is_api_request


def includeme(config):
    config.set_default_csrf_options(
        require_csrf=True, token="csrf_token", header="X-CSRF-Token",
        callback=lambda request: not is_api_request(request),
    )
    config.set_default_permission("view")
