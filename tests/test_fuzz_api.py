"""Fuzz the JSON API with schemathesis against a live waitress server, as several roles.

One ``live_server`` (a fresh, migrated database with the seed's units and the demo
accounts).  The bearer tokens of gaj_staff, xxb_reviewer, czj_finance and admin are
fetched first; then, for each role in turn (a subtest each), a system and two filings
of the police bureau are created through the API so that ids exist, and every
operation of ``/api/openapi.json`` is fuzzed with schemathesis's generated cases —
valid ones, invalid ones (its negative mode), and valid ones aimed at the seeded
documents — with DESIGN.md's crash-prone inputs mixed in (:data:`TRAPS`).  Each answer
is checked: no 5xx (``not_a_server_error``), a status the document lists for the
operation, and a content type, body and headers that match the document.

``POST /api/auth/token`` is fuzzed only in the last, anonymous round: random failed
logins throttle a username after 5 and the address after 20, so the role users'
tokens are taken before.  The anonymous round fuzzes every other operation too (401).

Bounded and deterministic: ``XIETONG_FUZZ_EXAMPLES`` examples per operation and round
(25 by default; docs/fuzzing.md has the release run), Hypothesis derandomized and
without its example database, so CI and a laptop generate the same cases.

``test_what_the_fuzzer_found_*`` keep what it found as plain WebTest cases (with inputs
schemathesis cannot send, such as lone surrogates).

Not ``schemathesis.pytest.from_fixture``: with pytest 9.2 its lazy schema fails
(``'Function' object has no attribute '_nodeid'``, schemathesis 4.32.5), so each
operation gets a Hypothesis test of its own here, built from the public
``APIOperation.as_strategy`` and ``Case.call_and_validate``.
"""
import json
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

EXAMPLES = int(os.environ.get("XIETONG_FUZZ_EXAMPLES", "25"))
DEMO_PASSWORD = "xietong-demo"
ROLES = ("gaj_staff", "xxb_reviewer", "czj_finance", "admin", "anonymous")  # anonymous last: it fuzzes the login
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
TOKEN_PATH = "/api/auth/token"
#: DESIGN.md's "inputs that crash under fuzzing", mixed into the generated strings and integers
#: (schemathesis fuzz dictionaries): NUL and other controls, FTS5 and LIKE syntax, short Chinese
#: words, numbers as text, integers past 2**31 / 2**63 / 2**64
TRAPS = {
    "strings": ["\x00", "a\x00b", "\x1b[0m", "\x7f", "\x85", '"', '"*-AND NEAR(x', "a OR b", "*", "-x", "%", "_",
                "\\", "\u3000", "政务", "整改", "0", "-1", "1e3", "NaN", "99999999999999999999", " ", "\r\n\t",
                "\U0001f600"],
    "integers": [2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 0, -1],
}
FUZZ_CONFIG = {
    "dictionaries": {name: {"values": values} for name, values in TRAPS.items()},
    "generation": {"dictionaries": {"string": {"dictionary": "strings", "probability": 0.2},
                                    "integer": {"dictionary": "integers", "probability": 0.2}}},
    # type-wide bindings do not reach the login body's fields: bind them by name
    "parameters": {f"body.{name}": {"dictionary": "strings", "probability": 0.3} for name in ("username", "password")},
}


def token_for(base: str, username: str) -> str:
    response = requests.post(base + TOKEN_PATH, json={"username": username, "password": DEMO_PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def seed(base: str, token: str) -> dict:
    """A system and two filings of the police bureau (gaj_staff's unit), one filing submitted."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def create(body):
        response = session.post(base + "/api/documents", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()

    system = create({"type": "information_system", "title": "治安视频监控系统", "function": "视频监控",
                     "status": "in_use", "network": "extranet", "connected_to_exchange": True})
    filing = create({"type": "filing", "title": "公安视频云平台运维", "year": 2018, "project_type": "om",
                     "funding_kind": "om", "amount": "125.50", "funding_source": "municipal",
                     "build_mode": "government", "systems": [system["id"]],
                     "compliance": {"network": "extranet", "connected_to_exchange": True, "catalogued": True}})
    draft = create({"type": "filing", "title": "公安数据目录编制", "year": 2018, "project_type": "new",
                    "funding_kind": "construction", "amount": 30, "funding_source": "municipal",
                    "build_mode": "government", "compliance": {"network": "intranet"}})
    submitted = session.post(f"{base}/api/documents/{filing['id']}/@workflow/submit", json={}, timeout=30)
    assert submitted.status_code == 200, submitted.text
    return {"system": system["id"], "filing": filing["id"], "draft": draft["id"]}


def cases(operation, ids: list[int]):
    """Valid and invalid cases; where the path names a document, valid cases on a seeded one too
    (with a plausible If-Match), so that bodies get past the 404 to validation and the services."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if "{id}" in operation.path:
        if_match = operation.method.upper() != "GET"  # PATCH, DELETE and transitions take If-Match
        strategies.append(st.tuples(st.sampled_from(ids), st.integers(1, 3)).flatmap(
            lambda pair: operation.as_strategy(
                GenerationMode.POSITIVE, path_parameters={"id": pair[0]},
                headers={"If-Match": str(pair[1])} if if_match else None)))
    return st.one_of(strategies)


def fuzz_operation(operation, ids: list[int], headers: dict, session: requests.Session) -> None:
    """Hypothesis over one operation; every answer is checked against the document."""

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(case=cases(operation, ids))
    def answers_as_documented(case):
        case.call_and_validate(session=session, headers=headers, checks=CHECKS, timeout=30)

    answers_as_documented()


def fuzz_as(base: str, role: str, headers: dict, ids: list[int]) -> list[str]:
    """Fuzz every operation as ``role``; the failures, each with schemathesis's report (and curl line)."""
    config = schemathesis.Config.from_dict(FUZZ_CONFIG)
    schema = schemathesis.openapi.from_url(base + "/api/openapi.json", config=config, timeout=30)
    if role != "anonymous":  # failed logins would throttle the role users
        schema = schema.exclude(method="POST", path=TOKEN_PATH)
    failures = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            try:
                fuzz_operation(operation, ids, headers, session)
            except BaseException as exc:  # noqa: B036 - schemathesis raises a BaseExceptionGroup
                if not isinstance(exc, (Exception, BaseExceptionGroup)):
                    raise
                failures.append(f"{operation.label}: {exc}")
    return failures


def test_api_answers_as_documented(live_server, subtests):
    """Each role in turn on one server (a subtest each), with documents seeded for it; anonymous last."""
    tokens = {role: token_for(live_server, role) for role in ROLES if role != "anonymous"}
    for role in ROLES:
        with subtests.test(role=role):
            ids = list(seed(live_server, tokens["gaj_staff"]).values())
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
            failures = fuzz_as(live_server, role, headers, ids)
            assert not failures, f"{len(failures)} operation(s) answered against the document as {role}:\n\n" + \
                "\n\n".join(failures)


@pytest.mark.parametrize("username, password", [
    ("t_staff\x00", "x"), ("a\x00b", "x"), ("\ud800", "x"), ("t_staff", "\ud800"), ("t_staff\x1b", "\x00")])
def test_what_the_fuzzer_found_at_the_login(testapp, username, password):
    """NUL (PostgreSQL) and lone surrogates (both databases; schemathesis cannot send them) were 500s."""
    body = json.dumps({"username": username, "password": password})
    response = testapp.post("/api/auth/token", body, content_type="application/json", status=401)
    assert set(response.json["error"]) == {"type", "message", "details"}
