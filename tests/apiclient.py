"""An HTTP client for the process tests (faults, load, scale-out): real sockets, ``requests``.

:class:`Burst` fires workflow transitions on documents from several threads and keeps a
ledger, so that afterwards the database can be compared with what clients were told:

* every attempt carries a comment unique to it (``<label> <document> <step>``);
* 200 is a success; 403/409/... a definitive refusal;
* a 503, a dropped connection or a timeout leaves the outcome unknown (the server may
  have committed before the answer was lost).  The client then *settles* it the way a
  careful person would: it reads the document's history and looks for its comment.
  Only what it finds counts as a success; it never fires the same step twice.

:func:`check_documents` then holds the database to the ledger: for every document the
history, creation row aside, is exactly the confirmed successes — each once (no
doubled rows, no lost ones, no refused attempt written) — every row starts where the
previous one ended, and the document's state is the last row's ``to_state``.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
import re
import threading

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from xietong.models import HistoryEntry, Node
from xietong.testing import PASSWORD

TIMEOUT = 30
CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')
#: the register's cycle, taken by a reviewer: recorded -verify-> verified -reopen-> recorded
NEXT = {"recorded": "verify", "verified": "reopen"}


def token(base_url: str, username: str, password: str = PASSWORD) -> str:
    answer = requests.post(f"{base_url}/api/auth/token", json={"username": username, "password": password},
                           timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def html_login(base_url: str, username: str, password: str = PASSWORD, status: int = 303) -> requests.Session:
    """A browser-like session logged in through the form (CSRF token included)."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/login", timeout=TIMEOUT)
    csrf = CSRF_RE.search(page.text).group(1)
    answer = browser.post(f"{base_url}/login", data={"username": username, "password": password,
                                                     "csrf_token": csrf, "came_from": "/"},
                          allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    return browser


def make_systems(db_url: str, count: int, title: str, username: str = "t_staff") -> list[int]:
    """``count`` register entries of ``username``'s unit, created through the service (committed)."""
    from xietong.db import make_engine, write_engine
    from xietong.services import content
    from xietong.services.workflow import Actor
    from xietong.startup import DEFAULT_WORKFLOWS
    from xietong.testing import get_user
    from xietong.workflow import load_or_fail

    workflows = load_or_fail(DEFAULT_WORKFLOWS)
    engine = make_engine(db_url)
    ids = []
    with Session(bind=write_engine(engine)) as session:
        user = get_user(session, username)
        schema = content.schema_for(session, "information_system", user.unit_id, csrf=False)
        for number in range(count):
            data = schema.deserialize({"title": f"{title}{number}", "function": "业务办理", "status": "in_use",
                                       "network": "extranet", "connected_to_exchange": True, "catalogued": True})
            ids.append(content.create(session, workflows, "information_system", data, Actor.of(user)).id)
        session.commit()
    engine.dispose()
    return ids


@dataclass
class Burst:
    """Transitions fired over HTTP, with the ledger described in the module docstring."""

    base_urls: list[str]
    token: str
    label: str = "burst"
    statuses: Counter = field(default_factory=Counter)
    confirmed: dict = field(default_factory=lambda: defaultdict(set))  # document -> comments that took effect
    refused: dict = field(default_factory=lambda: defaultdict(set))  # document -> comments refused outright
    settled: int = 0  # unknown outcomes resolved by reading the history
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _url(self, turn: int) -> str:
        return self.base_urls[turn % len(self.base_urls)]

    def state_and_comments(self, document: int, turn: int = 0) -> tuple[str, set[str]]:
        """The document's state and the comments in its history (retried until the server answers)."""
        for attempt in range(200):
            try:
                answer = requests.get(f"{self._url(turn + attempt)}/api/documents/{document}/@workflow",
                                      headers=bearer(self.token), timeout=TIMEOUT)
            except requests.RequestException:
                answer = None
            if answer is not None and answer.status_code == 200:
                body = answer.json()
                return body["state"]["id"], {entry["comment"] for entry in body["history"]}
            threading.Event().wait(0.1)
        raise AssertionError(f"document {document} could not be read back")

    def comment(self, document: int, step) -> str:
        return f"{self.label} {document} {step}"

    def fire(self, document: int, transition: str, step, turn: int = 0, settle: bool = True) -> str:
        """One attempt: "won", "refused", "settled-won"/"settled-lost", or (``settle=False``) "unknown"
        — the caller then settles it later with :meth:`settle`."""
        comment = self.comment(document, step)
        try:
            answer = requests.post(f"{self._url(turn)}/api/documents/{document}/@workflow/{transition}",
                                   json={"comment": comment}, headers=bearer(self.token), timeout=TIMEOUT)
            status = answer.status_code
        except requests.RequestException as exc:
            answer, status = None, type(exc).__name__
        with self.lock:
            self.statuses[status] += 1
            self.done += 1
        if status == 200:
            outcome = "won"
        elif isinstance(status, int) and 400 <= status < 500:
            outcome = "refused"
        elif not settle:
            return "unknown"
        else:  # 503 or no answer: did it commit?
            return self.settle(document, comment, turn + 1)
        self._record(document, comment, outcome)
        return outcome

    def settle(self, document: int, comment: str, turn: int = 0) -> str:
        """Find out from the history whether the attempt with ``comment`` took effect."""
        _state, comments = self.state_and_comments(document, turn)
        outcome = "settled-won" if comment in comments else "settled-lost"
        self._record(document, comment, outcome)
        return outcome

    def _record(self, document: int, comment: str, outcome: str) -> None:
        with self.lock:
            if outcome in ("won", "settled-won"):
                self.confirmed[document].add(comment)
            elif outcome == "refused":
                self.refused[document].add(comment)
            if outcome.startswith("settled"):
                self.settled += 1

    def walk(self, documents: list[int], steps: int, turn: int = 0) -> None:
        """Take ``steps`` transitions on each document in turn (recorded <-> verified)."""
        states = {d: "recorded" for d in documents}
        for step in range(steps):
            for document in documents:
                outcome = self.fire(document, NEXT[states[document]], step, turn)
                turn += 1
                if outcome in ("won", "settled-won"):
                    states[document] = "verified" if states[document] == "recorded" else "recorded"
                elif outcome != "settled-lost":
                    states[document] = self.state_and_comments(document, turn)[0]


def run_threads(target, arguments: list[tuple]) -> None:
    """Run ``target(*args)`` in a thread per tuple; fail if one raised or hung."""
    failures = []

    def guarded(thread_target):
        def run(*args):
            try:
                thread_target(*args)
            except BaseException as exc:  # noqa: BLE001 — reported below
                failures.append(exc)
        return run

    threads = [threading.Thread(target=guarded(target), args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    assert not failures, failures


def check_documents(db_url: str, burst: Burst, documents: list[int]) -> dict[int, list[HistoryEntry]]:
    """Hold the database to the ledger (module docstring); returns each document's history rows."""
    from xietong.db import make_engine

    engine = make_engine(db_url)
    result = {}
    with Session(bind=engine) as session:
        for document in documents:
            node = session.get(Node, document)
            rows = list(session.scalars(select(HistoryEntry).where(HistoryEntry.node_id == document)
                                        .order_by(HistoryEntry.id)))
            comments = [row.comment for row in rows[1:]]
            assert rows[0].transition is None, f"document {document}: the first row is not its creation"
            assert len(comments) == len(set(comments)), f"document {document}: a doubled row: {comments}"
            assert set(comments) == burst.confirmed[document], \
                f"document {document}: history {sorted(comments)} != successes {sorted(burst.confirmed[document])}"
            assert not set(comments) & burst.refused[document], f"document {document}: a refused attempt was written"
            for previous, row in zip(rows, rows[1:]):
                assert row.from_state == previous.to_state, f"document {document}: row {row.id} breaks the chain"
            assert node.state == rows[-1].to_state, f"document {document}: state {node.state} != {rows[-1].to_state}"
            result[document] = rows
    engine.dispose()
    return result
