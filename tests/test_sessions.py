"""Sessions (rotation, idle and absolute timeouts, server-side revocation, cookie flags)
and the account page (我的账号: logins, API tokens, revoking them).

Time is moved with the ``clock`` fixture, which replaces both clocks a session reads:
:func:`xietong.sessions.clock` (login time, absolute timeout) and the ``time`` module
that Pyramid's cookie session reads for its idle timeout.
"""
from configparser import ConfigParser
from datetime import timedelta
from pathlib import Path
import time

import pyramid.session
import pytest
from pyramid.session import JSONSerializer
from sqlalchemy import event, func, select
from webob.cookies import SignedSerializer

from xietong import main, sessions, tokens
from xietong.models import ApiToken, utcnow
from xietong.models.org import LoginSession
from xietong.testing import PASSWORD, SECRET, _client, app_settings, csrf_token, get_user, login

ROOT = Path(__file__).resolve().parents[1]
COOKIE_SERIALIZER = SignedSerializer(SECRET, "pyramid.session.", "sha512", serializer=JSONSerializer())


class Clock:
    """A settable stand-in for ``time.time`` and :func:`xietong.sessions.clock`."""

    def __init__(self):
        self.now = float(int(time.time()))

    def time(self) -> float:
        return self.now

    def __call__(self) -> int:
        return int(self.now)

    def advance(self, seconds: int) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(sessions, "clock", frozen)
    monkeypatch.setattr(pyramid.session, "time", frozen)
    return frozen


def cookie_payload(client) -> dict:
    """The JSON inside the signed session cookie: (accessed, created, state) -> state."""
    _accessed, _created, state = COOKIE_SERIALIZER.loads(client.cookies["xietong"].encode("ascii"))
    return state


def forge_cookie(state: dict, now: float) -> str:
    """A correctly signed session cookie with any contents (the tests know the secret)."""
    return COOKIE_SERIALIZER.dumps([now, now, state]).decode("ascii")


def issue_token(testapp, username) -> str:
    return testapp.post_json("/api/auth/token", {"username": username, "password": PASSWORD}).json["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- login, logout, revocation -----------------------------------------------------------------------

def test_the_cookie_holds_json_ints_and_strings_only(testapp, dbsession, users):
    login(testapp, users["staff"])
    state = cookie_payload(testapp)
    user = get_user(dbsession, users["staff"])
    assert state["user_id"] == user.id
    assert isinstance(state["login_at"], int) and isinstance(state["sid"], str)
    row_id, _, secret = state["sid"].partition(":")
    row = dbsession.get(LoginSession, int(row_id))
    assert row.user_id == user.id and row.revoked_at is None
    assert secret not in row.secret_hash and len(row.secret_hash) == 64  # only the hash is stored


def test_logout_revokes_the_login_so_a_copied_cookie_is_dead(testapp, users):
    login(testapp, users["staff"])
    copied = testapp.cookies["xietong"]
    testapp.post("/logout", {"csrf_token": csrf_token(testapp.get("/"))}, status=303)
    testapp.set_cookie("xietong", copied)  # replay the cookie from before the logout
    assert "/login" in testapp.get("/", status=302).location


def test_logging_in_again_revokes_the_login_it_replaces(testapp, users):
    login(testapp, users["staff"])
    first = testapp.cookies["xietong"]
    token = csrf_token(testapp.get("/"))  # the same browser logs in again, as someone else
    testapp.post("/login", {"username": users["head"], "password": PASSWORD, "csrf_token": token,
                            "came_from": "/"}, status=303)
    assert users["head"] in testapp.get("/", status=200).text
    testapp.set_cookie("xietong", first)
    testapp.get("/", status=302)


def test_each_login_is_its_own_session(testapp, users):
    login(testapp, users["staff"])
    first = testapp.cookies["xietong"]
    testapp.reset()
    login(testapp, users["staff"])
    second = testapp.cookies["xietong"]
    testapp.post("/logout", {"csrf_token": csrf_token(testapp.get("/"))}, status=303)
    testapp.set_cookie("xietong", first)  # logging out one browser leaves the other logged in
    testapp.get("/", status=200)
    testapp.set_cookie("xietong", second)
    testapp.get("/", status=302)


def test_a_cookie_with_a_wrong_secret_or_another_users_login_is_refused(testapp, dbsession, users, clock):
    login(testapp, users["staff"])
    state = cookie_payload(testapp)
    row_id = state["sid"].split(":")[0]
    testapp.set_cookie("xietong", forge_cookie({**state, "sid": f"{row_id}:guessed"}, clock.time()))
    testapp.get("/", status=302)
    other = get_user(dbsession, users["head"])
    testapp.set_cookie("xietong", forge_cookie({**state, "user_id": other.id}, clock.time()))
    testapp.get("/", status=302)
    testapp.set_cookie("xietong", forge_cookie(state, clock.time()))  # the genuine contents still work
    testapp.get("/", status=200)


def test_the_login_records_address_and_browser_as_printable_text(testapp, dbsession, users):
    page = testapp.get("/login")
    testapp.post("/login", {"username": users["staff"], "password": PASSWORD, "csrf_token": csrf_token(page),
                            "came_from": "/"}, headers={"User-Agent": "Evil\x00Agent\x1b/1.0 " + "x" * 300},
                 status=303)
    row = dbsession.get(LoginSession, int(cookie_payload(testapp)["sid"].split(":")[0]))
    assert row.user_agent.startswith("EvilAgent/1.0 x") and len(row.user_agent) == 200
    assert row.address == "127.0.0.1"


def test_a_deactivated_users_session_ends(testapp, dbsession, users):
    login(testapp, users["staff"])
    get_user(dbsession, users["staff"]).active = False
    dbsession.flush()
    testapp.get("/", status=302)


def test_login_deletes_the_users_dead_logins(testapp, dbsession, users):
    login(testapp, users["staff"])
    testapp.post("/logout", {"csrf_token": csrf_token(testapp.get("/"))}, status=303)
    user = get_user(dbsession, users["staff"])
    count = lambda: dbsession.scalar(select(func.count(LoginSession.id)).where(LoginSession.user_id == user.id))  # noqa: E731
    assert count() == 1  # the revoked one
    login(testapp, users["staff"])
    assert count() == 1  # the revoked one is gone, the new one is there


def test_get_requests_write_nothing(testapp, dbsession, users, clock):
    login(testapp, users["staff"])
    token = issue_token(testapp, users["staff"])
    clock.advance(sessions.REISSUE_SECONDS + 1)  # the cookie is re-issued, the database untouched
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.split(None, 1)[0].upper())

    connection = dbsession.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        for path in ("/", "/account", "/documents", "/units"):
            testapp.get(path, status=200)
        testapp.get("/api/me", headers=bearer(token), status=200)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert statements and not {"INSERT", "UPDATE", "DELETE"} & set(statements)


# -- timeouts ---------------------------------------------------------------------------------------

def test_idle_timeout_ends_a_session_that_is_not_used(testapp, users, clock):
    login(testapp, users["staff"])
    clock.advance(sessions.IDLE_SECONDS - 60)
    testapp.get("/", status=200)  # used in time: the idle clock starts again
    clock.advance(sessions.IDLE_SECONDS - 60)
    testapp.get("/", status=200)
    clock.advance(sessions.IDLE_SECONDS + 1)
    assert "/login" in testapp.get("/", status=302).location


def test_absolute_timeout_ends_even_a_busy_session(testapp, users, clock):
    login(testapp, users["staff"])
    for _hour in range(sessions.ABSOLUTE_SECONDS // 3600 - 1):
        clock.advance(3600)
        testapp.get("/", status=200)
    clock.advance(3600 - 1)
    testapp.get("/", status=200)  # one second before the end
    clock.advance(1)
    assert "/login" in testapp.get("/", status=302).location
    login(testapp, users["staff"])  # a new login starts a new clock
    testapp.get("/", status=200)


def test_timeouts_are_settings_and_must_be_positive():
    assert sessions.idle_seconds({}) == 2 * 3600 and sessions.absolute_seconds({}) == 12 * 3600
    assert sessions.absolute_seconds({"xietong.session_absolute_seconds": "3600"}) == 3600
    with pytest.raises(SystemExit, match="session_idle_seconds"):
        sessions.idle_seconds({"xietong.session_idle_seconds": "0"})


@pytest.fixture(scope="module")
def tls_app(engine, db_url):
    """The application as production.ini configures its cookies, with short timeouts."""
    return main({}, **app_settings(db_url, **{
        "xietong.cookie_secure": "true", "xietong.session_idle_seconds": "600",
        "xietong.session_absolute_seconds": "3600"}))


@pytest.fixture
def tls_client(tls_app, dbsession):
    client, tm = _client(tls_app, dbsession)
    client.extra_environ["wsgi.url_scheme"] = "https"
    client.extra_environ["HTTP_ORIGIN"] = "https://localhost"  # Pyramid checks it on HTTPS POSTs
    yield client
    tm.abort()


def test_behind_tls_the_cookie_is_secure_and_the_settings_apply(tls_client, users, clock):
    response = login(tls_client, users["staff"])
    cookie = [v for k, v in response.headerlist if k == "Set-Cookie" and v.startswith("xietong=")][-1]
    assert "secure" in cookie.lower() and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # ends with the browser
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    clock.advance(601)
    tls_client.get("/", status=302)  # idle after 10 minutes
    login(tls_client, users["staff"])
    for _ in range(6):
        clock.advance(590)
        tls_client.get("/", status=200)
    clock.advance(590)  # 3540 + 590 > 3600: the absolute end
    tls_client.get("/", status=302)


def test_production_ini_marks_cookies_secure():
    ini = ConfigParser(interpolation=None)
    ini.read(ROOT / "production.ini")
    assert ini["app:main"]["xietong.cookie_secure"] == "true"


# -- password change and "log out everywhere" ---------------------------------------------------------

def test_password_change_ends_other_sessions_and_tokens_and_rotates_this_one(testapp, users):
    login(testapp, users["leader"])
    other_browser = testapp.cookies["xietong"]
    token = issue_token(testapp, users["leader"])
    testapp.reset()
    login(testapp, users["leader"])
    before = testapp.cookies["xietong"]
    form = testapp.get("/password").forms["deform"]
    form["current_password"] = PASSWORD
    form["new_password"] = "a-brand-new-secret"
    form["new_password-confirm"] = "a-brand-new-secret"
    form.submit("submit", status=303)
    assert "修改" in testapp.get("/", status=200).text  # still logged in here, with the flash
    testapp.get("/api/me", headers=bearer(token), status=401)
    testapp.set_cookie("xietong", other_browser)
    testapp.get("/", status=302)
    testapp.set_cookie("xietong", before)  # this browser's pre-change session is gone too
    testapp.get("/", status=302)


def test_log_out_everywhere(testapp, dbsession, users):
    login(testapp, users["staff"])
    other_browser = testapp.cookies["xietong"]
    token = issue_token(testapp, users["staff"])
    testapp.reset()
    login(testapp, users["head"])  # someone else's session is not affected
    head_browser = testapp.cookies["xietong"]
    testapp.reset()
    login(testapp, users["staff"])
    page = testapp.get("/account")
    assert len(page.html.find(id="logins").tbody.find_all("tr")) == 2
    response = page.forms["logout-everywhere"].submit("logout_everywhere", status=303)
    assert response.location.endswith("/login")
    flash = response.follow().html.find(class_="alert-info").text
    assert "所有" in flash or "everywhere" in flash
    testapp.get("/", status=302)
    testapp.get("/api/me", headers=bearer(token), status=401)
    testapp.set_cookie("xietong", other_browser)
    testapp.get("/", status=302)
    testapp.set_cookie("xietong", head_browser)
    testapp.get("/", status=200)
    user = get_user(dbsession, users["staff"])
    assert sessions.live_sessions(dbsession, user.id) == []


def test_log_out_everywhere_needs_the_csrf_token(testapp, users):
    login(testapp, users["staff"])
    testapp.post("/account", {"logout_everywhere": "1", "csrf_token": "forged"}, status=400)
    testapp.post("/account", {"logout_everywhere": "1"}, status=400)
    testapp.get("/", status=200)


# -- the account page and API tokens -------------------------------------------------------------------

def test_anonymous_is_sent_to_log_in(testapp):
    assert "/login?came_from=%2Faccount" in testapp.get("/account", status=302).location


def test_the_account_page_shows_who_where_and_which_tokens(testapp, dbsession, users):
    login(testapp, users["reviewer"])
    issue_token(testapp, users["reviewer"])
    issue_token(testapp, users["staff"])  # not shown: someone else's
    page = testapp.get("/account")
    account = page.html.find(id="account").get_text(" ")
    assert users["reviewer"] in account and "黄山市信息化工作办公室" in account
    assert "填报员" in account and "审核" in account  # unit role and global role
    assert page.html.find(id="nav-account")["href"] == "/account"
    rows = page.html.find(id="tokens").tbody.find_all("tr", attrs={"data-token": True})
    mine = dbsession.scalars(select(ApiToken.id).join(ApiToken.user)
                             .where(ApiToken.user.has(username=users["reviewer"]))).all()
    assert [int(r["data-token"]) for r in rows] == mine and rows[0]["data-status"] == "active"
    logins = page.html.find(id="logins").tbody.find_all("tr")
    assert len(logins) == 1 and logins[0].find(class_="badge") is not None  # this browser


def test_revoking_a_token_makes_the_api_answer_401(testapp, users):
    login(testapp, users["staff"])
    token = issue_token(testapp, users["staff"])
    testapp.get("/api/me", headers=bearer(token), status=200)
    page = testapp.get("/account")
    row = page.html.find(id="tokens").find("tr", attrs={"data-status": "active"})
    response = testapp.post(f"/account/tokens/{row['data-token']}/revoke",
                            {"csrf_token": csrf_token(page)}, status=303)
    page = response.follow()
    assert page.html.find("tr", attrs={"data-token": row["data-token"]})["data-status"] == "revoked"
    assert page.html.find(class_="alert-success") is not None
    testapp.get("/api/me", headers=bearer(token), status=401)
    testapp.post(f"/account/tokens/{row['data-token']}/revoke",  # again: still revoked, no error
                 {"csrf_token": csrf_token(page)}, status=303)


def test_an_expired_token_gets_401_and_shows_as_expired(testapp, dbsession, users):
    login(testapp, users["staff"])
    token = issue_token(testapp, users["staff"])
    row = dbsession.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    row.expires_at = utcnow() - timedelta(seconds=1)
    dbsession.flush()
    testapp.get("/api/me", headers=bearer(token), status=401)
    page = testapp.get("/account")
    tr = page.html.find("tr", attrs={"data-token": str(row.id)})
    assert tr["data-status"] == "expired" and tr.find("form") is None


def test_revoking_someone_elses_token_is_404(testapp, dbsession, users):
    other_token = issue_token(testapp, users["head"])
    other_id = dbsession.scalars(select(ApiToken.id).order_by(ApiToken.id.desc())).first()
    login(testapp, users["staff"])
    token = csrf_token(testapp.get("/account"))
    testapp.post(f"/account/tokens/{other_id}/revoke", {"csrf_token": token}, status=404)
    testapp.get("/api/me", headers=bearer(other_token), status=200)  # untouched
    for bad in ("999999999", "abc", "99999999999999999999999", "%D9%A1%D9%A2"):  # the last: Arabic-Indic digits
        testapp.post(f"/account/tokens/{bad}/revoke", {"csrf_token": token}, status=404)


def test_revoking_a_token_needs_post_and_the_csrf_token(testapp, dbsession, users):
    login(testapp, users["staff"])
    token = issue_token(testapp, users["staff"])
    token_id = dbsession.scalars(select(ApiToken.id).order_by(ApiToken.id.desc())).first()
    testapp.get(f"/account/tokens/{token_id}/revoke", status=404)
    testapp.post(f"/account/tokens/{token_id}/revoke", {}, status=400)
    testapp.get("/api/me", headers=bearer(token), status=200)


def test_token_helpers(dbsession, users):
    user = get_user(dbsession, users["finance"])
    _token, row = tokens.issue_token(dbsession, user)
    assert tokens.status(row) == "active"
    assert tokens.revoke(dbsession, user.id + 1000, row.id) is None
    assert tokens.revoke_all(dbsession, user.id) == 1
    assert tokens.status(row) == "revoked" and tokens.revoke_all(dbsession, user.id) == 0
