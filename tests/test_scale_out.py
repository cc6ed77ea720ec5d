"""Scale-out: two Xietong instances (separate gunicorn processes on two ports of 127.0.0.1, as if
two hosts behind a load balancer) on one PostgreSQL database.

Nothing a user depends on may live in one process: the session cookie is signed with the
shared ``xietong.secret`` and names a ``login_sessions`` row; API tokens, login
attempts (throttling) and the worklist are rows; a transition locks the document row.  So
a user whose requests alternate between the instances stays logged in (cookie and token),
a logout on one is a logout on both, failed logins count across both, both show the same
worklist, and twenty clients racing for one filing's ``submit`` across both instances give
one winner, nineteen 409s and two history rows.
"""
import os
import threading
from collections import Counter

import pytest
import requests
from sqlalchemy.orm import Session

from xietong.db import make_engine, write_engine
from xietong.services import content, history
from xietong.services.workflow import Actor
from xietong.startup import DEFAULT_WORKFLOWS
from xietong.testing import PASSWORD, get_user, is_postgresql
from xietong.workflow import load_or_fail

from .apiclient import CSRF_RE, TIMEOUT, bearer, html_login, run_threads, token
from .test_content import filing_data

pytestmark = pytest.mark.skipif(not is_postgresql(os.environ.get("XIETONG_TEST_DB", "sqlite://")),
                                reason="two hosts share a database server (set XIETONG_TEST_DB to PostgreSQL); "
                                       "an SQLite file lives on one host")
RACERS = 20


@pytest.fixture(scope="module")
def instances(gunicorn_server, module_db_url, app_processes):
    """The shared gunicorn (see xietong.testservers) and a second one on the same database."""
    return [gunicorn_server, app_processes(module_db_url, workers=1)]


def worklist_of(instance, api_token) -> tuple:
    """What a worklist shows, without the instance's own URLs (``@id``)."""
    answer = requests.get(f"{instance.url}/api/worklist", headers=bearer(api_token), timeout=TIMEOUT)
    assert answer.status_code == 200
    body = answer.json()
    return body["total"], [{k: v for k, v in item.items() if k != "@id"} for item in body["items"]]


def make_filing(db_url: str) -> int:
    engine = make_engine(db_url)
    with Session(bind=write_engine(engine)) as session:
        filing = content.create(session, load_or_fail(DEFAULT_WORKFLOWS), "filing", filing_data(),
                                Actor.of(get_user(session, "t_staff")))
        session.commit()
        filing_id = filing.id
    engine.dispose()
    return filing_id


def test_a_login_and_a_token_hold_on_both_instances(instances):
    a, b = instances
    browser = html_login(a.url, "t_reviewer")
    for instance in (b, a, b):
        page = browser.get(f"{instance.url}/worklist", allow_redirects=False, timeout=TIMEOUT)
        assert page.status_code == 200 and "t_reviewer" in page.text, instance.url
    # a form from one instance posts to the other: the CSRF token lives in the signed session
    csrf = CSRF_RE.search(browser.get(f"{a.url}/account", timeout=TIMEOUT).text).group(1)
    logout = browser.post(f"{b.url}/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=TIMEOUT)
    assert logout.status_code in (302, 303)
    for instance in (a, b):  # revoked server-side: logged out on both
        assert browser.get(f"{instance.url}/worklist", allow_redirects=False, timeout=TIMEOUT).status_code == 302

    api_token = token(b.url, "t_reviewer")
    assert worklist_of(a, api_token) == worklist_of(b, api_token) == worklist_of(a, api_token)


def test_failed_logins_count_across_both_instances(instances):
    a, b = instances
    answers = [requests.post(f"{(a, b)[n % 2].url}/api/auth/token", json={"username": "t_other", "password": "wrong"},
                             timeout=TIMEOUT).status_code for n in range(5)]
    assert answers == [401] * 5
    for instance in (a, b):  # even the right password is refused now, on either instance
        refused = requests.post(f"{instance.url}/api/auth/token", json={"username": "t_other", "password": PASSWORD},
                                timeout=TIMEOUT)
        assert refused.status_code == 429 and refused.json()["error"]["type"] == "throttled"
    page = requests.get(f"{b.url}/login", timeout=TIMEOUT)
    form = requests.post(f"{b.url}/login", data={"username": "t_other", "password": PASSWORD, "came_from": "/",
                                                 "csrf_token": CSRF_RE.search(page.text).group(1)},
                         cookies=page.cookies, allow_redirects=False, timeout=TIMEOUT)
    assert form.status_code == 429


def test_the_worklist_is_the_same_on_both_instances(instances, module_db_url):
    a, b = instances
    filing_id = make_filing(module_db_url)
    staff = token(a.url, "t_staff")
    assert requests.post(f"{b.url}/api/documents/{filing_id}/@workflow/submit", json={}, headers=bearer(staff),
                         timeout=TIMEOUT).status_code == 200
    reviewer = token(b.url, "t_reviewer")
    seen = [worklist_of(instance, reviewer) for instance in (a, b)]
    assert seen[0] == seen[1] and filing_id in [item["id"] for item in seen[0][1]]


def test_twenty_way_race_across_instances_has_one_winner(instances, module_db_url):
    a, b = instances
    filing_id = make_filing(module_db_url)
    tokens = [token(a.url, "t_staff"), token(b.url, "t_head")]
    barrier = threading.Barrier(RACERS)
    statuses = Counter()
    lock = threading.Lock()

    def racer(index):
        instance = instances[index % 2]
        barrier.wait(timeout=60)
        answer = requests.post(f"{instance.url}/api/documents/{filing_id}/@workflow/submit", json={},
                               headers=bearer(tokens[index % 2]), timeout=TIMEOUT)
        with lock:
            statuses[answer.status_code] += 1

    run_threads(racer, [(i,) for i in range(RACERS)])
    assert statuses == {200: 1, 409: RACERS - 1}, statuses
    engine = make_engine(module_db_url)
    with Session(bind=engine) as session:
        assert [row.transition for row in history.entries(session, filing_id)] == [None, "submit"]
        checked, broken = history.verify_history(session)
        assert broken is None and checked > 0
    engine.dispose()
