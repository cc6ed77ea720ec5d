"""The search page (``/search``): a search box, filters by type, state and unit, pages of 20.

Thin: the GET parameters go through the same colander schema as ``/api/search``
(:func:`xietong.services.search.parse_params`), then :func:`xietong.services.search.search`.
As on the listings (:mod:`xietong.views.documents`), a filter value that is not a known
choice is *ignored* (people edit URLs; a stale bookmark still opens); a search text the
service refuses (control characters) is explained above an empty result.  Without any
parameter the page shows only the form: no scan of every document on each visit.

Terms found in a title are marked with ``<mark>`` (:func:`highlight`).
"""
import re

import colander
from markupsafe import Markup, escape
from pyramid.view import view_config

from ..i18n import translate
from ..services import content
from ..services.listing import COUNT_CAP
from ..services import search as search_service
from .documents import int_param, localized_title, state_choices, state_of, type_title

PER_PAGE = 20
MAX_PAGE_NO = search_service.MAX_OFFSET // PER_PAGE
PARAMS = ("q", "type", "state", "unit")


def highlight(text: str, terms) -> Markup:
    """``text`` with every occurrence of a term wrapped in ``<mark>`` (case-insensitive), escaped."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    parts, last = [], 0
    for found in pattern.finditer(text):
        parts.append(escape(text[last:found.start()]))
        parts.append(Markup("<mark>%s</mark>") % found.group(0))
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable() or ch == " ")


def _parse(request, raw: dict):
    """(params, error message or None): invalid filters dropped, an invalid search text reported."""
    dbsession, workflows = request.dbsession, request.registry["workflows"]
    try:
        return search_service.parse_params(dbsession, workflows, content.TYPES, raw), None
    except colander.Invalid as exc:
        errors = exc.asdict(translate=lambda m: translate(request.localizer, m))
    error = errors.pop("q", None)
    kept = {k: v for k, v in raw.items() if k not in errors and k != "q"}
    return search_service.parse_params(dbsession, workflows, content.TYPES, kept), error


@view_config(route_name="search", renderer="search.jinja2")
def search_page(request):
    raw = {k: request.GET.get(k, "") for k in PARAMS}
    page_no = int_param(request, "page", 1, MAX_PAGE_NO) or 1
    params, error = _parse(request, {**raw, "limit": PER_PAGE, "offset": (page_no - 1) * PER_PAGE})
    searched = any(raw.values()) or "q" in request.GET
    page = None
    if searched and error is None:
        page = params.search(request.dbsession, request.registry["workflows"], request.identity.user,
                             count_cap=COUNT_CAP)
    pages = page.pages() if page else 1
    query = {"q": params.q, "type": params.type_, "state": params.state, "unit": params.unit_id}
    query = {k: v for k, v in query.items() if v not in (None, "")}
    terms = search_service.parse_query(params.q) if params.q else ()

    def page_url(number: int) -> str:
        return request.route_path("search", _query={**query, "page": number})

    return {
        "title": "Search", "q": _printable(raw["q"]) if error else params.q, "error": error, "page": page,
        "page_no": page_no, "pages": pages, "page_url": page_url,
        "filters": {"type": params.type_, "state": params.state, "unit": params.unit_id},
        "type_choices": [(name, info.title) for name, info in content.TYPES.items()],
        "state_choices": state_choices(request, params.type_),
        "unit_choices": content.unit_choices(request.dbsession),
        "type_title": type_title, "state_of": lambda d: localized_title(request, state_of(request, d)),
        "highlight": lambda text: highlight(text, terms),
        "max_length": search_service.MAX_QUERY_LENGTH,
    }
