"""The ``json`` renderer, taught the values our models hold.

``config.include(".api.renderer")`` re-registers Pyramid's ``json`` renderer with
adapters, so a view may return them inside any structure:

* ``Decimal`` -> a string with exactly two decimals (``"125.50"``): amounts are 万元 to
  the hundredth, and a JSON number would lose exactness in clients that parse floats;
* ``datetime`` -> ISO 8601 (our datetimes are timezone-aware UTC: ``...+00:00``);
* ``date`` -> ISO 8601 (``"2018-01-31"``).

Error responses (:func:`xietong.api.errors.json_error`) do not go through a renderer
and must hold plain JSON values only.
"""
from datetime import date, datetime
from decimal import Decimal

from pyramid.renderers import JSON

TWO_PLACES = Decimal("0.01")


def decimal_json(value: Decimal, request) -> str:
    return str(value.quantize(TWO_PLACES)) if value.is_finite() else str(value)


def date_json(value: date, request) -> str:
    return value.isoformat()


def json_renderer() -> JSON:
    renderer = JSON()
    renderer.add_adapter(Decimal, decimal_json)
    renderer.add_adapter(datetime, date_json)
    renderer.add_adapter(date, date_json)
    return renderer


def includeme(config):
    config.add_renderer("json", json_renderer())
