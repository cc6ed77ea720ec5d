"""Telling people a document awaits them: an in-app notice now, an e-mail after commit.

:func:`after_transition` runs inside the transition's database transaction (called by
:func:`xietong.services.rules.after_transition`).  Who is told, exactly:

1. the roles that can act next are those of the transitions leaving the document's
   *new* state, without ``system`` (the sweeper is nobody's colleague) and without
   ``anonymous``/``authenticated`` (a step open to everyone is on nobody's desk in
   particular: telling every user would be noise);
2. the candidates are the active users who may hold one of those roles on the
   document: global-role holders, the document's unit's ``staff``/``head``, the owner,
   the users named by a local role and the users of a unit named by one — one query;
3. each candidate's roles on the document are then computed by
   :func:`xietong.security.roles_on`, the function every permission check uses, and
   the candidate is told about the transitions those roles open (guards are not
   evaluated, as on the worklist);
4. the actor is never told about their own transition.

Each recipient gets a :class:`~xietong.models.Notification` row (written in the same
transaction: a rolled-back transition leaves none) reading
"《title》待您处理：审核通过/退回修改".  The text is stored in the default locale
(Chinese) because the model keeps plain text; the page links to the document by id.

E-mail leaves the database, so it is sent after commit (:func:`aftercommit.defer`),
never inside the transaction, and each message on its own (one bad address does not
stop the others; failures are logged).  The session carries what sending needs in
``session.info`` — see :func:`mail_info`, called once at configuration by
:mod:`xietong.db` (request sessions) and :class:`xietong.cli.Context` (CLI sessions).
No ``mailer`` there: in-app notices only.

Addresses: the user model has no e-mail field, so mail goes to
``<username>@<xietong.mail_domain>`` (default ``localhost``).  A real directory
integration (the government's unified identity system, LDAP) is future work.

Settings read by :func:`mail_info`:

``xietong.mail_dir``
    write each message as an ``.eml`` file under this directory (pyramid_mailer's
    ``DebugMailer``) instead of sending it — development.ini does this;
``mail.host`` (and the other ``mail.*`` keys of pyramid_mailer)
    send by SMTP through that relay; neither this nor ``xietong.mail_dir``: no e-mail;
``mail.default_sender``
    the From address (default ``xietong@<domain>``);
``xietong.mail_domain``
    the domain of the recipients' addresses (default ``localhost``);
``xietong.base_url``
    put in front of the document's path in the e-mail's link (default: the bare path).
"""
from dataclasses import dataclass
from functools import lru_cache
import logging
from pathlib import Path

from pyramid.i18n import make_localizer
from sqlalchemy import Integer, bindparam, func, insert, or_, select, update

from ..generation import cached
from ..i18n import DEFAULT_LOCALE, _, translate
from ..models import GLOBAL_ROLES, UNIT_ROLES, Notification, User, UserRole, utcnow
from ..security import ANONYMOUS, AUTHENTICATED, roles_on
from . import aftercommit

log = logging.getLogger(__name__)

LOCALE_DIR = str(Path(__file__).resolve().parents[1] / "locale")
NOT_NOTIFIED = frozenset({"system", ANONYMOUS, AUTHENTICATED})
PAGE_SIZE = 100


# -- configuration -------------------------------------------------------------------------------

def mail_info(settings: dict) -> dict:
    """What a session needs in ``.info`` to send e-mail, built once from the settings.

    Keys: ``mailer`` (absent when mail is off), ``mail_domain``, ``mail_sender``,
    ``mail_base_url``.  Tests put a ``pyramid_mailer.mailer.DummyMailer`` in ``mailer``.
    """
    domain = (settings.get("xietong.mail_domain") or "localhost").strip()
    info = {
        "mail_domain": domain,
        "mail_sender": (settings.get("mail.default_sender") or f"xietong@{domain}").strip(),
        "mail_base_url": (settings.get("xietong.base_url") or "").strip().rstrip("/"),
    }
    if settings.get("xietong.mail_dir"):
        from pyramid_mailer.mailer import DebugMailer

        info["mailer"] = DebugMailer(settings["xietong.mail_dir"])
    elif settings.get("mail.host"):
        from pyramid_mailer.mailer import Mailer

        info["mailer"] = Mailer.from_settings(settings, "mail.")
    return info


@lru_cache(maxsize=1)
def default_localizer():
    return make_localizer(DEFAULT_LOCALE, [LOCALE_DIR])


# -- who is told ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    """What telling someone needs of a user: who they are and what :func:`roles_on` reads."""

    id: int
    username: str
    display_name: str
    unit_id: int | None
    unit_role: str | None
    roles: frozenset[str]


@lru_cache(maxsize=32)
def _candidates_statement(global_roles: bool, unit_roles: bool, owner: bool, users: bool, units: bool):
    """The candidates' statement for one combination of terms, built once: composing and
    caching a new statement per transition cost more than running it (docs/PERFORMANCE.md)."""
    terms = []
    if global_roles:
        terms.append(User.id.in_(select(UserRole.user_id).where(
            UserRole.role.in_(bindparam("global_roles", expanding=True)))))
    if unit_roles:
        terms.append((User.unit_id == bindparam("unit_id", type_=Integer))
                     & User.unit_role.in_(bindparam("unit_roles", expanding=True)))
    if owner:
        terms.append(User.id == bindparam("owner_id", type_=Integer))
    if users:
        terms.append(User.id.in_(bindparam("user_ids", expanding=True)))
    if units:
        terms.append(User.unit_id.in_(bindparam("unit_ids", expanding=True)))
    # each user once per global role they hold (most hold none or one)
    return (select(User.id, User.username, User.display_name, User.unit_id, User.unit_role, UserRole.role)
            .outerjoin(UserRole, UserRole.user_id == User.id)
            .where(User.active.is_(True), or_(*terms)).order_by(User.id))


def _candidates(dbsession, document, roles: frozenset[str]) -> list[Recipient]:
    """Active users who may hold one of ``roles`` on ``document`` (a superset; step 2).

    Columns and their global roles in one statement, not User objects: loading 32 users
    with their units and role rows was a third of a transition (5.6 ms at 100k documents).
    """
    local = [r for r in document.local_role_rows if r.role in roles]
    params = {
        "global_roles": sorted(roles & frozenset(GLOBAL_ROLES)),
        "unit_roles": sorted(roles & frozenset(UNIT_ROLES)) if document.unit_id is not None else [],
        "unit_id": document.unit_id,
        "owner_id": document.owner_id if "owner" in roles else None,
        "user_ids": sorted({r.user_id for r in local if r.user_id is not None}),
        "unit_ids": sorted({r.unit_id for r in local if r.unit_id is not None}),
    }
    shape = (bool(params["global_roles"]), bool(params["unit_roles"]), params["owner_id"] is not None,
             bool(params["user_ids"]), bool(params["unit_ids"]))
    if not any(shape):
        return []
    rows = dbsession.execute(_candidates_statement(*shape), params).all()
    users, held = {}, {}
    for row in rows:
        users.setdefault(row.id, row)
        if row.role is not None:
            held.setdefault(row.id, set()).add(row.role)
    return [Recipient(r.id, r.username, r.display_name, r.unit_id, r.unit_role, frozenset(held.get(r.id, ())))
            for r in users.values()]


def who_can_act(dbsession, workflows, document, exclude: User | None = None) -> list[tuple[Recipient, list]]:
    """(user, transitions they may take) for the document's current state (steps 1–4)."""
    compiled = workflows.get(document.workflow_id) if document.workflow_id else None
    if compiled is None:
        return []
    leaving = [t for t in compiled.definition.transitions_from(document.state) if t.roles - NOT_NOTIFIED]
    roles = frozenset().union(*(t.roles for t in leaving)) - NOT_NOTIFIED
    result = []
    for user in _candidates(dbsession, document, roles):
        if exclude is not None and user.id == exclude.id:
            continue
        held = roles_on(user, document)
        theirs = [t for t in leaving if t.roles & held]
        if theirs:
            result.append((user, theirs))
    return result


# -- telling them ----------------------------------------------------------------------------------

def message_for(document, transitions) -> str:
    """ "《title》待您处理：审核通过/退回修改" in the default locale."""
    return translate(default_localizer(), _("“${title}” awaits your action: ${actions}",
                                     mapping={"title": document.title,
                                              "actions": "/".join(t.title for t in transitions)}))


def _mail(info: dict, user: User, document, message: str) -> tuple[str, str, str]:
    link = f"{info.get('mail_base_url', '')}/documents/{document.id}"
    localizer = default_localizer()
    body = "\n\n".join([
        translate(localizer, _("Hello ${name},", mapping={"name": user.display_name})),
        message,
        translate(localizer, _("Open the document: ${link}", mapping={"link": link})),
        translate(localizer, _("This message was sent by Xietong; please do not reply to it.")),
    ]) + "\n"
    subject = " ".join(message.split())  # a title may hold line breaks; a header may not
    return f"{user.username}@{info.get('mail_domain') or 'localhost'}", subject, body


def _sender(mailer, sender: str, mails: list[tuple[str, str, str]]):
    """The after-commit effect: send each message on its own, log failures."""
    def send():
        from pyramid_mailer.message import Message

        for recipient, subject, body in mails:
            try:
                mailer.send_immediately(Message(subject=subject, sender=sender, recipients=[recipient],
                                                body=body))
            except Exception:  # noqa: BLE001 — committed already; the in-app notice stands
                log.exception("could not send the notification to %s", recipient)
    return send


def notify(dbsession, document, messages: list[tuple[User, str]]) -> int:
    """In-app notices about ``document`` now (inside the transaction), the same by e-mail after
    commit; returns how many were told.

    The notices are one multi-row INSERT (``insert(Notification)`` with a list: SQLAlchemy's
    bulk path, no RETURNING), not one ORM object each: on SQLite the ORM flushed 30
    recipients as 30 statements, a third of a transition's time (docs/PERFORMANCE.md).
    """
    if not messages:
        return 0
    info = dbsession.info
    mailer = info.get("mailer")
    now = utcnow()
    dbsession.execute(insert(Notification), [
        {"user_id": user.id, "node_id": document.id, "message": message, "created_at": now}
        for user, message in messages])
    if mailer is not None:
        mails = [_mail(info, user, document, message) for user, message in messages]
        aftercommit.defer(dbsession, _sender(mailer, info.get("mail_sender") or "xietong@localhost", mails))
    return len(messages)


def after_transition(dbsession, workflows, document, actor) -> int:
    """Notify those who can act on ``document`` now; mail after commit.  Returns how many were told."""
    exclude = actor.user if actor is not None else None
    messages = {}  # one translation per set of transitions, not one per recipient
    told = [(user, tuple(transitions)) for user, transitions in who_can_act(dbsession, workflows, document,
                                                                            exclude=exclude)]
    for _user, transitions in told:
        if transitions not in messages:
            messages[transitions] = message_for(document, transitions)
    return notify(dbsession, document, [(user, messages[transitions]) for user, transitions in told])


# -- the user's list ------------------------------------------------------------------------------

def for_user(dbsession, user: User, limit: int = PAGE_SIZE) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(dbsession.scalars(select(Notification).where(Notification.user_id == user.id)
                                  .order_by(Notification.id.desc()).limit(max(1, min(int(limit), 500)))))


def unread_count(dbsession, user: User) -> int:
    """The navigation's count of unread notices: counted once until the next write (every
    notice is written, and marked read, by a transaction that moves the site's token)."""
    return cached(dbsession, ("unread_count", user.id), lambda: dbsession.scalar(select(func.count(Notification.id))
                  .where(Notification.user_id == user.id, Notification.read_at.is_(None))))


def mark_read(dbsession, user: User, ids=None) -> int:
    """Mark the user's unread notifications read (only ``ids`` when given); how many were."""
    condition = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if ids is not None:
        ids = sorted({i for i in ids if 0 < i < 2**62})
        if not ids:
            return 0
        condition.append(Notification.id.in_(ids))
    result = dbsession.execute(update(Notification).where(*condition).values(read_at=utcnow()))
    dbsession.flush()
    return result.rowcount
