"""Seed units and demo accounts: complete, hierarchical, idempotent."""
from sqlalchemy import func, select

from xietong.models import Unit, User
from xietong.services.seed import create_demo_users, demo_accounts, load_units
from xietong.passwords import verify_password

SEED_UNITS = [
    "市政府办公厅", "市信息办", "市审计局", "市质监局", "市公安局", "市工商局", "市政务服务中心",
    "市编办", "市财政局", "市发改委", "市公管局", "领导小组",
    "屯溪区", "黄山区", "徽州区", "歙县", "休宁县", "黟县", "祁门县",
    "黄山风景区管委会", "黄山经济开发区管委会", "黄山现代服务业产业园管委会",
]


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_every_unit_named_in_the_seed_exists(dbsession):
    short_names = set(dbsession.scalars(select(Unit.short_name)))
    assert set(SEED_UNITS) <= short_names


def test_districts_and_counties_carry_their_division_codes(dbsession):
    codes = dict(dbsession.execute(select(Unit.short_name, Unit.division_code)).all())
    assert codes["黄山市"] == "341000"
    assert codes["屯溪区"] == "341002" and codes["祁门县"] == "341024"
    # the management committees have no code of their own: they sit under 341000
    assert codes["黄山风景区管委会"] == "341000"


def test_every_unit_hangs_under_the_city(dbsession):
    city = dbsession.execute(select(Unit).where(Unit.code == "huangshan")).scalar_one()
    others = dbsession.scalars(select(Unit).where(Unit.id != city.id)).all()
    assert others and all(u.parent_id == city.id for u in others)


def test_loading_the_seed_twice_changes_nothing(dbsession):
    before = _count(dbsession, Unit)
    assert load_units(dbsession) == (0, 0)
    assert _count(dbsession, Unit) == before


def test_loading_the_seed_repairs_an_edited_unit(dbsession):
    unit = dbsession.execute(select(Unit).where(Unit.code == "gonganju")).scalar_one()
    unit.short_name = "改坏了"
    dbsession.flush()
    assert load_units(dbsession) == (0, 1)
    assert unit.short_name == "市公安局"


def test_demo_accounts_are_created_once(dbsession):
    created = create_demo_users(dbsession)
    assert set(created) == {"admin", "gaj_staff", "gaj_head", "xxb_reviewer", "czj_finance",
                            "sjj_auditor", "ldxz_leader"}
    count = _count(dbsession, User)
    assert create_demo_users(dbsession) == []
    assert _count(dbsession, User) == count
    head = dbsession.execute(select(User).where(User.username == "gaj_head")).scalar_one()
    assert head.unit.short_name == "市公安局" and head.unit_role == "head"
    assert verify_password(head.password_hash, demo_accounts()["password"])
    finance = dbsession.execute(select(User).where(User.username == "czj_finance")).scalar_one()
    assert finance.roles == {"finance"} and finance.unit.short_name == "市财政局"
