"""Loading the seed's facts (units) and the demo accounts.  Both are idempotent.

Units are matched by ``code``: a unit already present is brought in line with the
file (name, kind, codes, parent) and never doubled; demo users already present are
left as they are (their passwords may have been changed).
"""
from importlib import resources

import yaml

from .units import UNIT_FIELDS, create_unit, unit_by_code, update_unit
from .users import create_user, user_by_username


def _data(name: str) -> dict:
    return yaml.safe_load(resources.files("xietong.data").joinpath(name).read_text("utf-8"))


def load_units(dbsession) -> tuple[int, int]:
    """Create or update every unit of ``data/units.yaml``; returns (created, updated)."""
    created = updated = 0
    for order, entry in enumerate(_data("units.yaml")["units"]):
        data = {f: entry.get(f) for f in UNIT_FIELDS}
        data.update(code=entry["code"], parent=entry.get("parent"), sort_order=order * 10)
        unit = unit_by_code(dbsession, entry["code"])
        if unit is None:
            create_unit(dbsession, None, data)
            created += 1
        elif update_unit(dbsession, None, unit, data):
            updated += 1
    return created, updated


def demo_accounts() -> dict:
    return _data("demo_users.yaml")


def create_demo_users(dbsession) -> list[str]:
    """Create the demo accounts that do not exist yet; returns the usernames created."""
    spec = demo_accounts()
    created = []
    for entry in spec["users"]:
        if user_by_username(dbsession, entry["username"]) is not None:
            continue
        create_user(dbsession, None, dict(entry, password=spec["password"]))
        created.append(entry["username"])
    return created
