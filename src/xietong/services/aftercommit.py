"""Effects that leave the database run after the transaction commits — never inside it.

``defer(session, effect)`` queues a callable on the session; it runs once the
session's transaction commits and is forgotten if it rolls back.  Both paths — a
request's transaction (zope.sqlalchemy commits the session) and the CLI's own
``session.commit()`` — end in SQLAlchemy's ``after_commit``, so one mechanism serves all.
A failing effect is logged, never raised: the change it follows is already committed.
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "xietong.after_commit"


def defer(session: Session, effect) -> None:
    session.info.setdefault(_KEY, []).append(effect)


@event.listens_for(Session, "after_commit")
def _run_effects(session: Session) -> None:
    effects = session.info.pop(_KEY, [])
    for effect in effects:
        try:
            effect()
        except Exception:  # noqa: BLE001 — committed already; report and go on
            log.exception("after-commit effect %r failed", effect)


@event.listens_for(Session, "after_rollback")
def _drop_effects(session: Session) -> None:
    session.info.pop(_KEY, None)
