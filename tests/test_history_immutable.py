"""No route edits or deletes history: every route of the application (HTML and ``/api``), every
unsafe method, aimed at history-bearing URLs, as an administrator — and the history rows and
their hash chain are unchanged afterwards.

The walk reads the route table from Pyramid's introspector, so a route added later is walked
too.  Placeholders are filled with the ids of documents that have history (a reviewed filing,
a verified register entry) and with history row ids; ``{transition}`` with every transition of
the filing workflow and a made-up one (``history``); the ``/api/*rest`` catch-all
with history-looking paths.  Each request carries what could tamper if any view listened
(``state``, ``history``, ``comment`` …), a valid CSRF token (HTML) or the bearer token
(``/api``).  Routes that end the login (log out, "log out everywhere", password) are walked
last.  Transitions may *append* rows (that is what they are for); nothing may change or
remove one, and :func:`verify_history` must still pass.
"""
import re

from sqlalchemy import select

from xietong.models import HistoryEntry
from xietong.services import history
from xietong.services.workflow import Actor, fire
from xietong.testing import PASSWORD, csrf_token, login

from .test_document_views import make_system, reviewed_filing

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
SESSION_ENDING = ("logout", "account", "password")
TAMPER = {"state": "approved", "history": "", "comment": "改写历史", "to_state": "approved", "from_state": "draft",
          "transition": "approve", "hash": "0" * 64, "id": "1"}


def snapshot(dbsession) -> dict[int, tuple]:
    columns = HistoryEntry.__table__.columns
    rows = dbsession.execute(select(*columns)).all()
    return {row.id: tuple(row) for row in rows}


def concrete_urls(pattern: str, documents: list[int], rows: list[int], transitions: list[str]) -> list[str]:
    names = PLACEHOLDER.findall(pattern)
    if "*rest" in pattern or pattern.endswith("*rest"):
        base = pattern.split("*")[0]
        return [f"{base}documents/{documents[0]}/@history", f"{base}history/{rows[0]}",
                f"{base}documents/{documents[0]}/@history/{rows[0]}"]
    if not names:
        return [pattern]
    values = {"id": [str(i) for i in documents], "transition": transitions, "type": ["filing"],
              "name": ["gonganju"], "code": ["en"]}
    urls = [pattern]
    for name in names:
        urls = [PLACEHOLDER.sub(lambda m, v=v: v if m.group(1) == name else m.group(0), url, count=1)
                for url in urls for v in values.get(name, ["1"])]
    return urls


def test_no_route_changes_or_removes_history(app, testapp, dbsession, workflows, people, users):
    filing = reviewed_filing(dbsession, workflows, people)
    system = make_system(dbsession, workflows, people)
    fire(dbsession, workflows, system.id, "verify", Actor.of(people["reviewer"]))
    dbsession.flush()
    before = snapshot(dbsession)
    documents = [filing.id, system.id]
    rows = sorted(before)
    transitions = [t.id for t in workflows.get("filing").definition.transitions] + ["history"]

    login(testapp, users["admin"])
    token = testapp.post_json("/api/auth/token", {"username": users["admin"], "password": PASSWORD}).json["token"]
    csrf = csrf_token(testapp.get("/account"))

    routes = [r for r in app.registry.introspector.get_category("routes")]
    patterns = sorted((item["introspectable"]["pattern"] for item in routes
                       if not item["introspectable"]["name"].startswith("__")),
                      key=lambda p: any(p.lstrip("/").startswith(s) for s in SESSION_ENDING))
    answers = []
    for pattern in patterns:
        for url in concrete_urls(pattern, documents, rows, transitions):
            for method in UNSAFE:
                if url.startswith("/api"):
                    response = testapp.request(url, method=method, headers={"Authorization": f"Bearer {token}"},
                                               body=b'{"comment": "\\u6539\\u5199\\u5386\\u53f2", "state": "approved"}',
                                               content_type="application/json", expect_errors=True)
                else:
                    response = testapp.request(url, method=method, POST={**TAMPER, "csrf_token": csrf},
                                               headers={"X-CSRF-Token": csrf}, expect_errors=True)
                answers.append((method, url, response.status_int))
    assert len(answers) > 150
    assert not [a for a in answers if a[2] >= 500], [a for a in answers if a[2] >= 500]

    dbsession.expire_all()
    after = snapshot(dbsession)
    assert {i: after.get(i) for i in before} == before  # not one row changed or removed
    appended = sorted(set(after) - set(before))
    assert all(after[i][-1] for i in appended)  # appended rows carry a hash (verified below)
    checked, broken = history.verify_history(dbsession)
    assert broken is None and checked == len(after)
    for document in documents:  # each chain still starts at creation and continues unbroken
        chain = history.entries(dbsession, document)
        assert chain[0].transition is None
        assert all(b.from_state == a.to_state for a, b in zip(chain, chain[1:]))
