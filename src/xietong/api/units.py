"""The city's units as JSON (``GET /api/units``): the ids other endpoints take."""
from pyramid.view import view_config

from ..services.units import all_units


@view_config(route_name="api_units", request_method="GET", renderer="json")
def units(request):
    items = [{"id": u.id, "code": u.code, "name": u.name, "short_name": u.short_name, "kind": u.kind,
              "parent": u.parent.code if u.parent else None, "division_code": u.division_code,
              "credit_code": u.credit_code} for u in all_units(request.dbsession)]
    return {"items": items, "total": len(items)}
