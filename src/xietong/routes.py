"""The URL map.  HTML pages first, then the JSON API under /api."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("password", "/password")
    config.add_route("locale", "/locale/{code}")
    config.add_route("units", "/units")
    config.add_route("unit", "/units/{name}")

    config.add_route("admin_users", "/admin/users")
    config.add_route("admin_user_add", "/admin/users/add")
    config.add_route("admin_user_edit", "/admin/users/{id:\\d+}/edit")
    config.add_route("admin_user_reset", "/admin/users/{id:\\d+}/reset-password")
    config.add_route("admin_units", "/admin/units")
    config.add_route("admin_unit_add", "/admin/units/add")
    config.add_route("admin_unit_edit", "/admin/units/{id:\\d+}/edit")
    config.add_route("admin_audit", "/admin/audit")

    config.add_route("workflows", "/workflows")
    config.add_route("workflow", "/workflows/{id}")
    config.add_route("document", "/documents/{id}", factory="xietong.views.workflows.document_factory")
    config.add_route("document_transition", "/documents/{id}/transitions/{transition}",
                     factory="xietong.views.workflows.document_factory")

    config.add_route("api_token", "/api/auth/token")
    config.add_route("api_me", "/api/me")
    config.add_route("api_units", "/api/units")
    config.add_route("api_notfound", "/api/*rest")
