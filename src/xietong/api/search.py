"""``GET /api/search?q=&type=&state=&unit=&limit=&offset=`` → ``{"items": [...], "total": N}``.

The parameters go through the same colander schema as the search page
(:func:`xietong.services.search.parse_params`); unlike the page, a bad value is a 400
``bad_request`` whose ``details.fields`` maps each bad parameter to the reason (an API
client wants to know, a person with a stale bookmark does not).  Items are shaped like
``/api/documents``' (``unit``: ``{id, code, name}``); ``limit`` and ``offset`` are echoed.  ``unit`` is a unit's id (``GET /api/units``) or its code.
``q``: every whitespace-separated word must occur in the title or the texts, as a
substring; control characters in it are a 400.  Items are ordered title hits first,
then newest; ``limit`` 1–200 (default 20), ``offset`` 0–100000.
Anonymous requests get 401 from the forbidden view (the default permission is ``view``).
"""
import colander
from pyramid.view import view_config

from ..i18n import _, translate
from ..services import content
from ..services import search as search_service
from .documents import unit_json
from .errors import json_error


def item_json(document) -> dict:
    return {"id": document.id, "type": document.type, "title": document.title, "state": document.state,
            "unit": unit_json(document.unit), "version": document.version}


@view_config(route_name="api_search", request_method="GET", renderer="json")
def api_search(request):
    workflows = request.registry["workflows"]
    try:
        params = search_service.parse_params(request.dbsession, workflows, content.TYPES, request.GET)
    except colander.Invalid as exc:
        fields = exc.asdict(translate=lambda m: translate(request.localizer, m))
        return json_error(request, 400, "bad_request", _("Invalid search parameters"), details={"fields": fields})
    page = params.search(request.dbsession, workflows, request.identity.user)
    return {"items": [item_json(d) for d in page.items], "total": page.total, "limit": page.limit,
            "offset": page.offset}
