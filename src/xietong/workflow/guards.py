"""Guards and actions: the Python side of names used in workflow files.

A workflow file names guards and actions; it never holds code, import paths or
expressions.  The names resolve here, in registries that are built once and never
mutated (``MappingProxyType``): adding a guard means adding it to this module (or
to a content module whose guards :func:`default_guards` merges in).

A guard answers :class:`GuardResult` — allowed or not, and why (a translation
string shown to the user next to the disabled button, or in the API's 403 body).
An action runs after the transaction commits (mail, notifications): never inside it.
"""
from dataclasses import dataclass
import logging
from types import MappingProxyType
from typing import Callable, Mapping

from ..i18n import _

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: object = None  # a translation string when not ok

    def __bool__(self) -> bool:
        return self.ok


PASS = GuardResult(True)


@dataclass(frozen=True)
class Guard:
    name: str
    title: str
    check: Callable[[object, object], GuardResult]  # (document, actor) -> GuardResult


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    run: Callable[[object], None]  # (TransitionEvent) -> None, after commit


def _required_fields_complete(document, actor) -> GuardResult:
    """Every field the document's type lists in ``required_fields`` has a value."""
    names = ("title",) + tuple(getattr(document, "required_fields", ()))
    missing = [name for name in names if getattr(document, name, None) in (None, "", [], ())]
    if missing:
        return GuardResult(False, _("Fill in these fields first: ${fields}",
                                    mapping={"fields": ", ".join(missing)}))
    return PASS


def _log_transition(event) -> None:
    log.info("%s %s: %s -> %s by %s", event.workflow.id, event.document_id, event.from_state,
             event.to_state, event.actor_name)


def registry(*items) -> Mapping:
    names = [item.name for item in items]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"registered twice: {sorted(duplicates)}")
    return MappingProxyType({item.name: item for item in items})


BUILTIN_GUARDS = registry(
    Guard("required_fields_complete", "必填项已填写", _required_fields_complete),
)

BUILTIN_ACTIONS = registry(
    Action("log_transition", "写入日志", _log_transition),
)


def default_actions() -> Mapping:
    return BUILTIN_ACTIONS


# -- content guards ----------------------------------------------------------------------------

def sharing_problems(filing) -> list:
    """Why a filing does not meet the sharing requirements (empty: it does).

    The seed: projects that are not connected to the data-sharing exchange platform, whose
    resources are not catalogued, that duplicate an existing system or sit on a private
    network, or that keep a zombie system alive, get no approval and no funding.
    """
    problems = []
    if not filing.connected_to_exchange:
        problems.append(_("not connected to the city's data-sharing exchange platform"))
    if not filing.catalogued:
        problems.append(_("its data resources are not catalogued"))
    if filing.duplicates_existing:
        problems.append(_("it duplicates an existing system"))
    if filing.network == "private":
        problems.append(_("it runs on a private network instead of the government extranet or intranet"))
    for system in filing.systems:
        if system.zombie_candidate:
            problems.append(_("linked system ${name} is a zombie candidate", mapping={"name": system.title}))
    return problems


def _sharing_compliant(filing, actor) -> GuardResult:
    problems = sharing_problems(filing)
    if problems:
        return GuardResult(False, _("Does not meet the sharing requirements: ${problems}",
                                    mapping={"problems": problems}))
    return PASS


def _plan_has_items(plan, actor) -> GuardResult:
    if not plan.items:
        return GuardResult(False, _("The plan lists no system yet"))
    return PASS


def _plan_items_done(plan, actor) -> GuardResult:
    open_items = [item.system.title for item in plan.items if item.done_date is None]
    if not plan.items or open_items:
        return GuardResult(False, _("Items not done yet: ${systems}", mapping={"systems": open_items or ["-"]}))
    return PASS


def _delay_request_pending(task, actor) -> GuardResult:
    """A delay is asked for with a new date and a reason (the task page's form), not by the bare button."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from ..models import DelayRequest

    session = object_session(task)
    pending = session is not None and session.scalar(select(DelayRequest.id).where(
        DelayRequest.task_id == task.id, DelayRequest.decision == "pending").limit(1)) is not None
    if not pending:
        return GuardResult(False, _("Ask for a delay with the form on the task page: a milestone, a new date "
                                    "and a reason"))
    return PASS


CONTENT_GUARDS = registry(
    Guard("sharing_compliant", "符合共建共享要求", _sharing_compliant),
    Guard("plan_has_items", "清单不为空", _plan_has_items),
    Guard("plan_items_done", "清单各项均已完成", _plan_items_done),
    Guard("delay_request_pending", "已填写延期申请", _delay_request_pending),
)


def default_guards() -> Mapping:
    """Every guard the application knows."""
    return registry(*BUILTIN_GUARDS.values(), *CONTENT_GUARDS.values())
