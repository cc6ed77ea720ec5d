"""The ``xietong`` command.

Every subcommand takes ``-c/--config INI`` (default ``development.ini``) and honours
``XIETONG_DB_URL``.  Each prints what it did.  Exit codes: 0 done; 1 a check found
problems; 2 bad input or usage (a one-line message on stderr, nothing written).
"""
import argparse
from contextlib import contextmanager
import os
import sys

import colander
from pyramid.i18n import make_localizer
from pyramid.paster import get_appsettings
from sqlalchemy.orm import Session

from .db import database_url, make_engine, write_engine
from .i18n import DEFAULT_LOCALE
from .migrate import alembic_config, current_revision, upgrade
from .services import ServiceError

LOCALE_DIRS = [os.path.join(os.path.dirname(__file__), "locale")]


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit code 2."""


def _localizer():
    return make_localizer(os.environ.get("XIETONG_LOCALE", DEFAULT_LOCALE), LOCALE_DIRS)


class Context:
    def __init__(self, ini: str):
        if not os.path.exists(ini):
            raise UsageError(f"配置文件不存在 / no such config file: {ini}")
        self.ini = ini
        self.settings = get_appsettings(ini, "main")
        self.url = database_url(self.settings)
        self.engine = make_engine(self.url)

    @contextmanager
    def session(self):
        """One write transaction: committed if the block succeeds, rolled back otherwise."""
        session = Session(bind=write_engine(self.engine), expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def cmd_init_db(ctx: Context, args) -> int:
    cfg = alembic_config(ctx.ini, url=ctx.url)
    before = current_revision(ctx.engine)
    upgrade(cfg)
    after = current_revision(ctx.engine)
    if before == after:
        print(f"数据库已是最新版本 {after} / database already at {after}")
    else:
        print(f"数据库已迁移: {before or '空库'} -> {after} / migrated {before or 'empty'} -> {after}")
    return 0


def cmd_load_seed(ctx: Context, args) -> int:
    from .services.seed import load_units

    with ctx.session() as session:
        created, updated = load_units(session)
    print(f"单位: 新建 {created}, 更新 {updated} / units: {created} created, {updated} updated")
    return 0


def cmd_demo(ctx: Context, args) -> int:
    from .services.seed import create_demo_users, demo_accounts

    with ctx.session() as session:
        created = create_demo_users(session)
    spec = demo_accounts()
    if created:
        print(f"已创建演示账号 / demo accounts created: {', '.join(created)}")
    else:
        print("演示账号已存在 / demo accounts already exist")
    print(f"演示账号密码 / demo password: {spec['password']}  (仅供开发和试用 / development and trials only)")
    return 0


def cmd_create_user(ctx: Context, args) -> int:
    from .schemas.users import UserSchema, password_node
    from .services.units import unit_choices
    from .services.users import create_user

    password = args.password if args.password is not None else os.environ.get("XIETONG_PASSWORD")
    if password is None:
        raise UsageError("缺少密码：请用 --password 或环境变量 XIETONG_PASSWORD / password missing")
    with ctx.session() as session:
        schema = UserSchema().clone()
        schema.add(password_node("password", confirm=False))
        schema = schema.bind(unit_choices=unit_choices(session))
        raw = {"username": args.username, "display_name": args.display_name or args.username,
               "unit": args.unit, "unit_role": args.unit_role or "", "roles": args.role or [],
               "password": password}
        try:
            data = schema.deserialize(raw)
        except colander.Invalid as exc:
            localizer = _localizer()
            problems = "; ".join(f"{field}: {localizer.translate(msg)}" for field, msg in exc.asdict().items())
            raise UsageError(problems) from None
        user = create_user(session, None, data)
        print(f"已创建用户 / user created: {user.username} ({user.unit.short_name})")
    return 0


def cmd_serve(ctx: Context, args) -> int:
    """Migrate, load the seed (and the demo accounts where the ini allows), then serve."""
    cmd_init_db(ctx, args)
    cmd_load_seed(ctx, args)
    if ctx.settings.get("xietong.demo_accounts", "false").lower() == "true":
        cmd_demo(ctx, args)
    ctx.engine.dispose()
    from pyramid.scripts.pserve import main as pserve

    print("Xietong: http://127.0.0.1:6543/  (登录 /login)")
    return pserve(["pserve", ctx.ini]) or 0


COMMANDS = {
    "serve": (cmd_serve, "migrate, load the seed and serve (the Quick start)"),
    "init-db": (cmd_init_db, "create or migrate the database to the newest revision"),
    "load-seed": (cmd_load_seed, "load the seed's units (idempotent)"),
    "demo": (cmd_demo, "create the demo accounts (development and trials only)"),
    "create-user": (cmd_create_user, "create a user"),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="xietong", description="Xietong (协同) administration")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_func, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument("-c", "--config", default="development.ini", help="ini file (default development.ini)")
        if name == "create-user":
            p.add_argument("username")
            p.add_argument("--display-name")
            p.add_argument("--unit", required=True, help="unit code, e.g. gonganju (see /api/units)")
            p.add_argument("--unit-role", choices=["staff", "head"])
            p.add_argument("--role", action="append", help="global role; repeat for several")
            p.add_argument("--password", help="or set XIETONG_PASSWORD")
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    func = COMMANDS[args.command][0]
    try:
        return func(Context(args.config), args)
    except UsageError as exc:
        print(f"xietong {args.command}: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        field = f"{exc.field}: " if exc.field else ""
        print(f"xietong {args.command}: {field}{_localizer().translate(exc.message)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
