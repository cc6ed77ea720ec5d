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
        self._mail = None

    def mail_info(self) -> dict:
        """The mailer and mail settings for sessions' after-commit e-mail (built once)."""
        if self._mail is None:
            from .services.notifications import mail_info

            self._mail = mail_info(self.settings)
        return self._mail

    @contextmanager
    def session(self):
        """One write transaction on a migrated database: committed if the block succeeds."""
        from .migrate import NotMigrated, ensure_at_head

        try:
            ensure_at_head(self.engine, alembic_config(self.ini, url=self.url), os.path.basename(self.ini))
        except NotMigrated as exc:
            raise UsageError(str(exc).replace("\n", " ")) from None
        session = Session(bind=write_engine(self.engine), expire_on_commit=False)
        session.info.update(self.mail_info())
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
    from .services.tasks import load_tasks

    _folder, workflows, errors = _workflows(ctx)
    if errors:
        raise UsageError("工作流定义有误，请先运行 xietong check-workflows / invalid workflows: run check-workflows")
    with ctx.session() as session:
        created, updated = load_units(session)
        tasks_created, tasks_updated = load_tasks(session, workflows)
    print(f"单位: 新建 {created}, 更新 {updated} / units: {created} created, {updated} updated")
    print(f"重点任务: 新建 {tasks_created}, 更新 {tasks_updated} / key tasks: {tasks_created} created, "
          f"{tasks_updated} updated")
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


def _workflows(ctx: Context, directory=None):
    from .startup import workflows_dir
    from .workflow import load_directory

    folder = directory or workflows_dir(ctx.settings)
    workflows, errors = load_directory(folder)
    return folder, workflows, errors


def _migrated(ctx: Context) -> bool:
    from .migrate import head_revision

    try:
        return current_revision(ctx.engine) == head_revision(alembic_config(ctx.ini, url=ctx.url))
    except Exception:  # noqa: BLE001 — no database yet: nothing to check there
        return False


def cmd_check_workflows(ctx: Context, args) -> int:
    """Validate the workflow files; report documents left in states that no longer exist."""
    from .services.maintenance import orphaned_documents

    folder, workflows, errors = _workflows(ctx, args.directory)
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} 处错误 / error(s) in {folder}")
        return 1
    names = ", ".join(sorted(workflows.workflows)) or "none"
    print(f"工作流定义均有效 / all workflow files valid in {folder}: {names}")
    if not _migrated(ctx):
        print("数据库未就绪，未检查文档状态 / database not migrated: documents not checked")
        return 0
    with ctx.session() as session:
        orphans = orphaned_documents(session, workflows)
    for orphan in orphans:
        print(f"孤立状态 / orphaned: {orphan} — run: xietong remap-states {orphan.workflow_id} {orphan.state} NEW")
    return 1 if orphans else 0


def cmd_remap_states(ctx: Context, args) -> int:
    from .services.maintenance import remap_states

    _folder, workflows, errors = _workflows(ctx)
    if errors:
        raise UsageError("工作流定义有误，请先运行 xietong check-workflows / invalid workflows: run check-workflows")
    with ctx.session() as session:
        moved = remap_states(session, workflows, args.workflow, args.old_state, args.new_state)
    print(f"已迁移 {moved} 个文档 / moved {moved} document(s): {args.old_state} -> {args.new_state}")
    return 0


def cmd_verify_history(ctx: Context, args) -> int:
    from .services.history import verify_history

    with ctx.session() as session:
        checked, broken = verify_history(session)
    if broken is not None:
        print(f"历史记录链断裂 / broken history chain: {broken} (after {checked} good rows)")
        return 1
    print(f"历史记录完整 / history verified: {checked} rows")
    return 0


def cmd_sweep(ctx: Context, args) -> int:
    from datetime import datetime, timezone

    from .services.deadlines import sweep
    from .services.reminders import DEFAULT_DAYS

    _folder, workflows, errors = _workflows(ctx)
    if errors:
        raise UsageError("工作流定义有误，请先运行 xietong check-workflows / invalid workflows: run check-workflows")
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise UsageError(f"--now 应为 ISO 时间，如 2018-02-01T09:00:00+08:00 / not an ISO time: {args.now}") from None
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    try:
        days = int(ctx.settings.get("xietong.reminder_days", DEFAULT_DAYS))
    except ValueError:
        raise UsageError("xietong.reminder_days 应为整数 / xietong.reminder_days must be a whole number") from None
    with ctx.session() as session:
        report = sweep(session, workflows, now, reminder_days=days)
    reminded = report.reminders
    print(f"逾期 {len(report.overdue)}，自动流转 {len(report.fired)}，被拒 {len(report.refused)} / "
          f"overdue {len(report.overdue)}, fired {len(report.fired)}, refused {len(report.refused)}")
    print(f"节点提醒：即将到期 {len(reminded.due_soon)}，已逾期 {len(reminded.overdue)}，通知 {reminded.notified} / "
          f"milestones: {len(reminded.due_soon)} due soon, {len(reminded.overdue)} overdue, "
          f"{reminded.notified} notifications")
    for document_id, transition, reason in report.refused:
        print(f"  document {document_id}: {transition} refused: {reason}")
    return 0


def cmd_import_dcworkflow(args) -> int:
    from .workflow.dcworkflow import run

    return run(args.path, sys.stdout, sys.stderr)


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
    "load-seed": (cmd_load_seed, "load the seed's units and key tasks (idempotent)"),
    "demo": (cmd_demo, "create the demo accounts (development and trials only)"),
    "create-user": (cmd_create_user, "create a user"),
    "check-workflows": (cmd_check_workflows, "validate workflows/*.yaml (or DIR); report orphaned documents"),
    "remap-states": (cmd_remap_states, "move documents out of a state removed from their workflow"),
    "verify-history": (cmd_verify_history, "check every document's hash-chained history"),
    "sweep": (cmd_sweep, "record overdue documents and fire deadline transitions (for cron)"),
    "import-dcworkflow": (cmd_import_dcworkflow, "print a Plone DCWorkflow definition.xml as workflow YAML"),
}

#: commands that need no ini file nor database
STANDALONE = {"import-dcworkflow"}


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
        elif name == "check-workflows":
            p.add_argument("directory", nargs="?", help="folder of workflow files (default: the ini's)")
        elif name == "remap-states":
            p.add_argument("workflow")
            p.add_argument("old_state")
            p.add_argument("new_state")
        elif name == "sweep":
            p.add_argument("--now", help="pretend it is this ISO time (for trials)")
        elif name == "import-dcworkflow":
            p.add_argument("path", help="a DCWorkflow definition.xml")
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    func = COMMANDS[args.command][0]
    try:
        if args.command in STANDALONE:
            return func(args)
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
