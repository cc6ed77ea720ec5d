"""Start-up checks: refuse to serve a database that is not migrated to head."""
import os

from .migrate import NotMigrated, alembic_config, ensure_at_head


def includeme(config):
    settings = config.get_settings()
    if settings.get("xietong.skip_migration_check") == "true":
        return
    ini = settings.get("xietong.ini")
    cfg = alembic_config(ini if ini and os.path.exists(ini) else None)
    try:
        ensure_at_head(config.registry["db.engine"], cfg, os.path.basename(ini) if ini else "development.ini")
    except NotMigrated as exc:
        raise SystemExit(str(exc)) from None
