"""Start-up checks: the database is migrated to head, its search index can work, and every
workflow file is valid.

Each failure stops the application with a message that says what to do: the
command that migrates, how to recreate a PostgreSQL database whose locale cannot
index Chinese, or every error of every workflow file (file, key, reason).
"""
import os
from pathlib import Path

from .migrate import NotMigrated, alembic_config, ensure_at_head
from .services.search import SearchIndexUnusable, check_search_index
from .workflow import InvalidWorkflow, load_or_fail

#: workflows/ at the top of the project (DESIGN.md layout), used when the ini names none
DEFAULT_WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def workflows_dir(settings: dict) -> Path:
    return Path(os.environ.get("XIETONG_WORKFLOWS") or settings.get("xietong.workflows") or DEFAULT_WORKFLOWS)


def includeme(config):
    settings = config.get_settings()
    try:
        config.registry["workflows"] = load_or_fail(workflows_dir(settings))
    except InvalidWorkflow as exc:
        raise SystemExit("工作流定义有误 / invalid workflow definitions:\n" + str(exc)) from None
    if settings.get("xietong.skip_migration_check") == "true":
        return
    ini = settings.get("xietong.ini")
    cfg = alembic_config(ini if ini and os.path.exists(ini) else None)
    try:
        ensure_at_head(config.registry["db.engine"], cfg, os.path.basename(ini) if ini else "development.ini")
    except NotMigrated as exc:
        raise SystemExit(str(exc)) from None
    check_search(config.registry["db.engine"])


def check_search(engine) -> None:
    """Stop when the search index cannot work (PostgreSQL: a locale whose pg_trgm ignores Chinese;
    SQLite: the triggers that keep the FTS table in step are gone)."""
    try:
        check_search_index(engine)
    except SearchIndexUnusable as exc:
        raise SystemExit(str(exc)) from None
