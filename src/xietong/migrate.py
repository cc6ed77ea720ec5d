"""Alembic, driven from the application's ini file.

The ``[alembic]`` section of development.ini / production.ini names the scripts
(``migrations/``); the database URL is the application's own (``sqlalchemy.url``,
overridden by ``XIETONG_DB_URL``), so the CLI, ``alembic -c development.ini`` and
the application always talk to the same database.
"""
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

SOURCE_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(ini_path: str | None = None, url: str | None = None) -> Config:
    if ini_path:
        cfg = Config(ini_path)
        if not cfg.get_main_option("script_location"):
            cfg.set_main_option("script_location", str(SOURCE_MIGRATIONS))
    else:
        cfg = Config()
        cfg.set_main_option("script_location", str(SOURCE_MIGRATIONS))
    if url:
        cfg.attributes["url"] = url
    return cfg


def upgrade(cfg: Config, revision: str = "head") -> None:
    command.upgrade(cfg, revision)


def head_revision(cfg: Config) -> str:
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class NotMigrated(RuntimeError):
    """The database is not at the newest migration; the message says how to fix it."""


def ensure_at_head(engine: Engine, cfg: Config, ini_hint: str) -> None:
    current, head = current_revision(engine), head_revision(cfg)
    if current != head:
        found = current or "空库 / empty"
        raise NotMigrated(
            f"数据库未迁移到最新版本（当前 {found}，应为 {head}）。请运行: xietong init-db -c {ini_hint}\n"
            f"The database is not migrated (at {found}, head is {head}). "
            f"Run: xietong init-db -c {ini_hint}"
        )
