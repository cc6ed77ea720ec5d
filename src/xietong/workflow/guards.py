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


def default_guards() -> Mapping:
    """Every guard the application knows (content modules add theirs here)."""
    return BUILTIN_GUARDS


def default_actions() -> Mapping:
    return BUILTIN_ACTIONS
