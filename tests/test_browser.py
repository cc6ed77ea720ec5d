"""End-to-end tests in headless Chromium (Playwright's sync API) against ``live_server``.

Each test gets a fresh server over a fresh migrated and seeded database (with the
demo accounts) and a new, empty browser context.  Screenshots of the key pages go to
``tests/screenshots/<test>-<step>.png`` (gitignored).

Chromium is Debian's (``apt-get install chromium``) or the one named by
``XIETONG_CHROMIUM``; Playwright's own browser downloads are not used.
"""
import re

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.browser import log_in, log_out  # noqa: E402


def test_staff_logs_in_sees_units_and_logs_out(page, shot, live_server):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\b"))  # anonymous: sent to log in
    expect(page).to_have_title(re.compile(r"^登录"))
    shot(page, "login")

    log_in(page, "gaj_staff")
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("#whoami")).to_contain_text("公安局填报员")
    expect(page.locator("h1")).to_contain_text("公安局填报员")
    expect(page.locator("#me")).to_contain_text("黄山市公安局")
    expect(page.locator("#me")).to_contain_text("gaj_staff")
    shot(page, "home")

    page.get_by_role("link", name="全市单位").first.click()
    expect(page).to_have_url(f"{live_server}/units")
    expect(page.locator("h1")).to_contain_text("全市单位")
    tree = page.locator("#unit-tree")
    # the city at the top, its districts and departments nested under it
    city = tree.locator(":scope > ul > li").filter(
        has=page.get_by_role("link", name="黄山市人民政府", exact=True))
    expect(city).to_have_count(1)
    expect(city.get_by_role("link", name="屯溪区人民政府", exact=True)).to_be_visible()
    expect(city.get_by_role("link", name="黄山市信息化工作办公室", exact=True)).to_be_visible()
    expect(city.get_by_role("link", name="黄山市公安局", exact=True)).to_be_visible()
    expect(tree).to_contain_text("341002")  # 屯溪区's division code
    shot(page, "units")

    log_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page).to_have_title(re.compile(r"^登录"))
    expect(page.get_by_role("status")).to_contain_text("您已退出登录")
    expect(page.locator("#whoami")).to_have_count(0)
    shot(page, "logged-out")

    page.goto("/units")  # the session is really gone
    expect(page).to_have_url(re.compile(r"/login\?came_from=%2Funits$"))


def test_wrong_password_shows_error_and_stays_on_login(page, shot, live_server):
    log_in(page, "gaj_staff", "not-the-password")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误，或账号已停用。")
    expect(page).to_have_url(f"{live_server}/login")
    expect(page).to_have_title(re.compile(r"^登录"))
    expect(page.locator("#username")).to_have_value("gaj_staff")
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#whoami")).to_have_count(0)
    shot(page, "error")


def test_switching_language(page, shot, live_server):
    log_in(page, "gaj_staff")
    expect(page.locator("#whoami")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(f"{live_server}/")  # came back to the same page
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title(re.compile(r"^Home · Xietong$"))
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.get_by_role("link", name="Units", exact=True)).to_be_visible()
    shot(page, "english")

    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_title(re.compile(r"^首页 · 协同$"))
    expect(page.get_by_role("link", name="English")).to_be_visible()
    shot(page, "chinese")


def test_admin_adds_a_user_who_can_then_log_in(page, shot, live_server):
    new_password = "wangwu-pass-2024"
    log_in(page, "admin")
    expect(page.locator("#whoami")).to_contain_text("系统管理员")

    page.get_by_role("link", name="用户管理").click()
    expect(page).to_have_url(f"{live_server}/admin/users")
    users_table = page.locator("#users")
    expect(users_table).to_contain_text("gaj_staff")
    expect(users_table.get_by_role("cell", name="wang.wu", exact=True)).to_have_count(0)
    shot(page, "users")

    page.get_by_role("link", name="新增用户").click()
    form = page.locator("form#deform")
    expect(form).to_be_visible()
    form.locator("input[name=username]").fill("wang.wu")
    form.locator("input[name=display_name]").fill("王五")
    form.locator("select[name=unit]").select_option("gonganju")
    form.locator("select[name=unit_role]").select_option("staff")
    form.locator("input[name=password]").fill(new_password)
    form.locator("input[name=password-confirm]").fill(new_password)
    shot(page, "form")
    form.locator("button[name=submit]").click()

    expect(page).to_have_url(f"{live_server}/admin/users")
    row = page.locator("#users tbody tr").filter(
        has=page.get_by_role("cell", name="wang.wu", exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("王五")
    expect(row).to_contain_text("公安局")
    expect(row).to_contain_text("填报员")
    expect(page.get_by_role("status")).to_contain_text("wang.wu")
    shot(page, "created")

    log_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, "wang.wu", new_password)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("#whoami")).to_contain_text("王五")
    expect(page.locator("#me")).to_contain_text("wang.wu")
    expect(page.locator("#me")).to_contain_text("黄山市公安局")
    expect(page.get_by_role("link", name="用户管理")).to_have_count(0)  # not an administrator
    shot(page, "new-user-home")


def test_department_user_gets_403_on_admin_pages(page, shot, live_server):
    log_in(page, "gaj_staff")
    expect(page.locator("#whoami")).to_be_visible()
    expect(page.get_by_role("link", name="用户管理")).to_have_count(0)  # no link offered

    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page).to_have_url(f"{live_server}/admin/users")
    expect(page.locator("h1")).to_have_text("无权访问")
    expect(page.locator("main")).to_contain_text("您无权查看此页面。")
    expect(page.locator("#denial-reason")).to_contain_text("需要以下角色之一：系统管理员")
    expect(page.locator("#users")).to_have_count(0)
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    shot(page, "forbidden")
