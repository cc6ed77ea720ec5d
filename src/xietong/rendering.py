"""Page rendering: Jinja2 filters and globals, deform's Chameleon widgets, static files."""
from pathlib import Path

import deform
from markupsafe import Markup
from translationstring import TranslationString
from pyramid.events import BeforeRender
from sqlalchemy.exc import InterfaceError, OperationalError

from .formatting import format_date, format_datetime, format_wan
from .i18n import LOCALES, deform_translator, translate
from .services.dashboards import FINANCE_ROLES, LEADERSHIP_ROLES
from .services.notifications import unread_count

#: who sees which dashboard link in the navigation
DASHBOARD_ROLES = {"leadership": LEADERSHIP_ROLES, "finance": FINANCE_ROLES}

# deform's own scripts that ordinary forms need (jQuery is vendored; see static/vendor/README.md)
DEFORM_SCRIPTS = ("scripts/jquery.form-3.09.js", "scripts/deform.js")

# static/ sits at the top of the project (DESIGN.md layout), beside src/
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)  # see views/unavailable.py


def render_form(form: deform.Form, **kw) -> Markup:
    """deform returns a str of trusted widget HTML; mark it safe for Jinja2's autoescape."""
    return Markup(form.render(**kw))


def template_translate(request, message, mapping: dict):
    """``_()`` in templates: a msgid or a TranslationString; ``${name}`` filled from ``mapping``.

    A message without a mapping always translates to the same text in a locale: those are
    looked up once per locale (a document page has ~150 of them, 9 % of its time in gettext).
    """
    if not mapping and not getattr(message, "mapping", None):
        return _fixed_translation(request.localizer, message)
    if not isinstance(message, TranslationString):
        message = TranslationString(message, domain="xietong", mapping=mapping or None)
    elif mapping:
        message = TranslationString(message, mapping={**(message.mapping or {}), **mapping})
    return translate(request.localizer, message)


#: a bound on the memo: templates also pass data through ``_()`` (a field's value), which must not pile up
FIXED_MEMO_SIZE = 5000


def _fixed_translation(localizer, message) -> str:
    # the memo lives on the localizer: Pyramid keeps one per locale for the application's life
    memo = localizer.__dict__.setdefault("_xietong_fixed", {})
    key = (str(message), getattr(message, "domain", "xietong"), getattr(message, "default", None))
    found = memo.get(key)
    if found is None:
        if not isinstance(message, TranslationString):
            message = TranslationString(message, domain="xietong")
        found = translate(localizer, message)
        if len(memo) < FIXED_MEMO_SIZE:
            memo[key] = found
    return found


#: the navigation's worklist badge counts up to this and then shows "99+"
BADGE_CAP = 99


def _worklist_count(request) -> int:
    """The number on the navigation's worklist link: one bounded COUNT, cached until the next write.

    Bounded because it runs on every page: an exact count of a reviewer's worklist
    scans tens of thousands of rows (docs/PERFORMANCE.md); the worklist page itself
    shows the exact total.
    """
    from .services.listing import worklist_count

    if "workflows" not in request.registry or request.matched_route is None:
        return 0
    return worklist_count(request.dbsession, request.registry["workflows"], request.identity.user, cap=BADGE_CAP)


def _add_globals(event: BeforeRender) -> None:
    request = event.get("request")
    if request is None or not str(event.get("renderer_name") or "").endswith(".jinja2"):
        return  # the JSON API's renderer fires BeforeRender too: it needs no navigation counts
    locale = request.locale_name
    event["locale"] = locale
    event["locales"] = LOCALES
    event["fmt_date"] = lambda value: format_date(value, locale)
    event["fmt_datetime"] = lambda value: format_datetime(value, locale)
    event["fmt_wan"] = lambda value: format_wan(value, locale)
    event["_"] = lambda message, **mapping: template_translate(request, message, mapping)
    event["deform_scripts"] = DEFORM_SCRIPTS
    event["static"] = lambda subpath: request.route_path("__static/", subpath=subpath)
    event["deform_static"] = lambda subpath: request.route_path("__deform_static/", subpath=subpath)
    # a page about the database being down must not ask the database who is logged in
    identity = None if isinstance(getattr(request, "exception", None), DATABASE_UNAVAILABLE) else request.identity
    event["user"] = identity.user if identity else None
    event["dashboard_roles"] = DASHBOARD_ROLES
    event["worklist_count"] = _worklist_count(request) if identity else 0
    event["badge_cap"] = BADGE_CAP
    event["unread_count"] = unread_count(request.dbsession, identity.user) if identity else 0


def includeme(config):
    renderer = deform.Form.default_renderer
    deform.Form.set_zpt_renderer(renderer.loader.search_path, translator=deform_translator)
    config.add_subscriber(_add_globals, BeforeRender)
    config.add_jinja2_search_path("xietong:templates", name=".jinja2")
    cache = None if config.get_settings().get("pyramid.reload_templates") == "true" else 3600
    config.add_static_view("static", str(STATIC_DIR), cache_max_age=cache)
    config.add_static_view("deform_static", "deform:static", cache_max_age=cache)
