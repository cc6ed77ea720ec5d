"""Logging in and out, throttling, CSRF, password changes, and the API's 401."""
import pytest
from sqlalchemy import select

from xietong.models import User
from xietong.services import auth as auth_service
from xietong.testing import PASSWORD, csrf_token, login


def test_login_page_is_chinese_by_default(testapp):
    page = testapp.get("/login")
    assert "<title>登录" in page.text
    assert 'name="csrf_token"' in page.text


def test_anonymous_html_request_is_sent_to_login(testapp):
    response = testapp.get("/units", status=302)
    assert response.location.endswith("/login?came_from=%2Funits")


def test_login_success_shows_who_and_which_unit(testapp, users):
    response = login(testapp, users["staff"])
    home = response.follow()
    assert "t_staff" in home.text and "黄山市公安局" in home.text
    assert "填报员" in home.text  # the unit role, in Chinese


def test_login_returns_to_the_page_first_asked_for(testapp, users):
    page = testapp.get("/login?came_from=/units")
    response = testapp.post("/login", {"username": users["staff"], "password": PASSWORD,
                                       "csrf_token": csrf_token(page), "came_from": "/units"}, status=303)
    assert response.location.endswith("/units")


def test_login_never_redirects_off_site(testapp, users):
    page = testapp.get("/login")
    response = testapp.post("/login", {"username": users["staff"], "password": PASSWORD,
                                       "csrf_token": csrf_token(page), "came_from": "//evil.example/"},
                            status=303)
    assert response.location == "http://localhost/"


def test_wrong_password_is_refused_with_a_message(testapp, users):
    page = login(testapp, users["staff"], password="wrong-password", status=200)
    assert "用户名或密码错误" in page.text
    testapp.get("/", status=302)  # still anonymous


def test_inactive_user_cannot_log_in(testapp, dbsession, users):
    user = dbsession.execute(select(User).where(User.username == users["staff"])).scalar_one()
    user.active = False
    dbsession.flush()
    page = login(testapp, users["staff"], status=200)
    assert "用户名或密码错误" in page.text


def test_session_cookie_is_httponly_and_samesite(testapp, users):
    response = login(testapp, users["staff"])
    cookie = [v for k, v in response.headerlist if k == "Set-Cookie" and v.startswith("xietong=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_rotates_the_session(testapp, users):
    testapp.get("/login")
    before = testapp.cookies["xietong"]
    token_before = csrf_token(testapp.get("/login"))
    login(testapp, users["staff"])
    assert testapp.cookies["xietong"] != before
    assert csrf_token(testapp.get("/password")) != token_before


def test_logout_ends_the_session(testapp, users):
    login(testapp, users["staff"])
    home = testapp.get("/")
    testapp.post("/logout", {"csrf_token": csrf_token(home)}, status=303)
    testapp.get("/", status=302)


def test_post_without_csrf_token_is_rejected(testapp, users):
    response = testapp.post("/login", {"username": users["staff"], "password": PASSWORD}, status=400)
    assert "表单已过期" in response.text
    testapp.get("/", status=302)  # not logged in


def test_logout_needs_the_csrf_token(testapp, users):
    login(testapp, users["staff"])
    testapp.post("/logout", {"csrf_token": "forged"}, status=400)
    testapp.get("/", status=200)  # still logged in


def test_five_failures_throttle_the_username(testapp, users):
    for _ in range(auth_service.MAX_PER_USERNAME):
        login(testapp, users["head"], password="wrong-password", status=200)
    page = login(testapp, users["head"], status=429)  # even the right password is refused now
    assert "登录失败次数过多" in page.text and "15" in page.text
    # another user from the same address is not affected
    login(testapp, users["staff"])


def test_throttle_ends_after_the_window(testapp, dbsession, users):
    from datetime import timedelta

    from xietong.models import LoginAttempt

    for _ in range(auth_service.MAX_PER_USERNAME):
        login(testapp, users["head"], password="wrong-password", status=200)
    login(testapp, users["head"], status=429)
    for attempt in dbsession.scalars(select(LoginAttempt).where(LoginAttempt.username == users["head"])):
        attempt.created_at = attempt.created_at - auth_service.WINDOW - timedelta(seconds=1)
    dbsession.flush()
    login(testapp, users["head"])


def test_many_failures_from_one_address_throttle_the_address(testapp, users):
    address = "10.9.8.7"
    for n in range(auth_service.MAX_PER_ADDRESS):
        login(testapp, f"nobody{n % 4}", password="wrong-password", status=200, address=address)
    login(testapp, users["staff"], status=429, address=address)
    login(testapp, users["staff"], address="10.9.8.8")


def test_change_password(testapp, users):
    login(testapp, users["leader"])
    page = testapp.get("/password")
    form = page.forms["deform"]
    form["current_password"] = PASSWORD
    form["new_password"] = "a-brand-new-secret"
    form["new_password-confirm"] = "a-brand-new-secret"
    form.submit("submit", status=303)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp.get("/"))})
    login(testapp, users["leader"], status=200)  # the old password no longer works
    login(testapp, users["leader"], password="a-brand-new-secret")


def test_change_password_field_errors_in_chinese(testapp, users):
    login(testapp, users["leader"])
    form = testapp.get("/password").forms["deform"]
    form["current_password"] = "not-my-password"
    form["new_password"] = "short"
    form["new_password-confirm"] = "short"
    page = form.submit("submit", status=200)
    assert "密码至少需要10个字符" in page.text or "10" in page.text
    form = page.forms["deform"]
    form["current_password"] = "not-my-password"
    form["new_password"] = "long-enough-secret"
    form["new_password-confirm"] = "long-enough-secret"
    page = form.submit("submit", status=200)
    assert "当前密码错误" in page.text


def test_anonymous_api_request_gets_json_401(testapp):
    response = testapp.get("/api/me", status=401)
    assert response.content_type == "application/json"
    assert response.json["error"]["type"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_ignores_the_session_cookie(testapp, users):
    login(testapp, users["staff"])
    testapp.get("/api/me", status=401)


def test_api_token_flow(testapp, users):
    testapp.post_json("/api/auth/token", {"username": users["staff"], "password": "nope"}, status=401)
    token = testapp.post_json("/api/auth/token", {"username": users["staff"], "password": PASSWORD}).json["token"]
    me = testapp.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["username"] == users["staff"] and me["unit"]["code"] == "gonganju"
    testapp.get("/api/me", headers={"Authorization": "Bearer not-a-token"}, status=401)


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{not json", '{"username": 5, "password": []}'])
def test_api_token_rejects_malformed_bodies(testapp, body):
    response = testapp.post("/api/auth/token", body, content_type="application/json", status=400)
    assert response.json["error"]["type"] == "bad_request"
