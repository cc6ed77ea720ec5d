"""Units: look up, create, change.  Every change is written to the audit log."""
from sqlalchemy import select

from ..i18n import _
from ..models import Unit
from . import ServiceError
from .audit import record

UNIT_FIELDS = ("name", "short_name", "kind", "credit_code", "division_code", "sort_order")


def all_units(dbsession) -> list[Unit]:
    return list(dbsession.scalars(select(Unit).order_by(Unit.sort_order, Unit.id)))


def unit_choices(dbsession) -> list[tuple[str, str]]:
    return [(u.code, u.short_name) for u in all_units(dbsession)]


def unit_by_code(dbsession, code: str | None) -> Unit | None:
    if not code:
        return None
    return dbsession.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def require_unit(dbsession, code: str, field: str = "unit") -> Unit:
    unit = unit_by_code(dbsession, code)
    if unit is None:
        raise ServiceError(_("Unknown unit code: ${code}", mapping={"code": code}), field)
    return unit


def _check_unique(dbsession, unit: Unit | None, data: dict) -> None:
    for field in ("code", "name", "credit_code"):
        value = data.get(field)
        if not value:
            continue
        other = dbsession.execute(select(Unit).where(getattr(Unit, field) == value)).scalar_one_or_none()
        if other is not None and other is not unit:
            raise ServiceError(_("Another unit already uses this value"), field)


def _parent(dbsession, unit: Unit | None, code: str | None) -> Unit | None:
    parent = require_unit(dbsession, code, "parent") if code else None
    ancestor = parent
    while ancestor is not None and unit is not None:
        if ancestor is unit:
            raise ServiceError(_("A unit cannot be placed under itself or its own sub-unit"), "parent")
        ancestor = ancestor.parent
    return parent


def create_unit(dbsession, actor, data: dict, address: str | None = None) -> Unit:
    _check_unique(dbsession, None, data)
    unit = Unit(code=data["code"], parent=_parent(dbsession, None, data.get("parent")),
                **{f: data.get(f) for f in UNIT_FIELDS if f in data})
    if unit.sort_order is None:
        unit.sort_order = 0
    dbsession.add(unit)
    dbsession.flush()
    record(dbsession, actor, "unit.created", unit, {"code": unit.code}, address)
    return unit


def update_unit(dbsession, actor, unit: Unit, data: dict, address: str | None = None) -> dict:
    """Apply ``data``; returns the changes as {field: [old, new]} (also audited)."""
    _check_unique(dbsession, unit, data)
    changes = {}
    parent = _parent(dbsession, unit, data.get("parent"))
    if parent is not unit.parent:
        changes["parent"] = [unit.parent.code if unit.parent else None, parent.code if parent else None]
        unit.parent = parent
    for field in UNIT_FIELDS:
        if field in data and getattr(unit, field) != data[field]:
            changes[field] = [getattr(unit, field), data[field]]
            setattr(unit, field, data[field])
    if changes:
        dbsession.flush()
        record(dbsession, actor, "unit.changed", unit, changes, address)
    return changes
