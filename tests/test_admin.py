"""Administration of users and units: who may reach it, what it records, how it refuses bad input."""
import pytest
from sqlalchemy import select

from xietong.models import AuditEntry, Unit, User
from xietong.testing import PASSWORD, csrf_token, login

ADMIN_PAGES = ["/admin/users", "/admin/users/add", "/admin/units", "/admin/units/add",
               "/admin/users/1/edit", "/admin/units/1/edit"]


def _unit_id(dbsession, code):
    return dbsession.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def _user(dbsession, username):
    return dbsession.execute(select(User).where(User.username == username)).scalar_one()


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/admin/audit"])
def test_anonymous_is_sent_to_login(testapp, path):
    assert "/login?came_from=" in testapp.get(path, status=302).location


@pytest.mark.parametrize("role", ["staff", "head", "reviewer", "finance", "auditor", "leader"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_denied_to_other_roles(testapp, users, role, path):
    login(testapp, users[role])
    page = testapp.get(path, status=403)
    assert "无权" in page.text
    assert "需要以下角色之一：系统管理员" in page.html.find(id="denial-reason").text


@pytest.mark.parametrize("role", ["staff", "head", "reviewer", "finance", "leader"])
def test_audit_log_is_denied_to_other_roles(testapp, users, role):
    login(testapp, users[role])
    testapp.get("/admin/audit", status=403)


def test_user_reset_needs_admin(testapp, dbsession, users):
    login(testapp, users["reviewer"])
    target = _user(dbsession, users["staff"])
    testapp.post(f"/admin/users/{target.id}/reset-password",
                 {"csrf_token": csrf_token(testapp.get("/"))}, status=403)
    assert not target.must_change_password


def _add_user_form(testapp, **values):
    form = testapp.get("/admin/users/add").forms["deform"]
    defaults = {"username": "zhang.san", "display_name": "张三", "unit": "gonganju",
                "unit_role": "staff", "password": "initial-secret-1", "password-confirm": "initial-secret-1"}
    defaults.update(values)
    for key, value in defaults.items():
        form[key] = value
    return form


def test_admin_creates_a_user_who_can_log_in(testapp, dbsession, users):
    login(testapp, users["admin"])
    form = _add_user_form(testapp)
    form.get("checkbox", index=1).checked = True  # the second global role: reviewer
    form.submit("submit", status=303)
    created = _user(dbsession, "zhang.san")
    assert created.unit.code == "gonganju" and created.roles == {"reviewer"}
    actions = [e.action for e in dbsession.scalars(
        select(AuditEntry).where(AuditEntry.target_label == "zhang.san").order_by(AuditEntry.id))]
    assert actions == ["user.created", "role.granted"]
    listing = testapp.get("/admin/users")
    assert "张三" in listing.text


def test_duplicate_username_is_a_field_error(testapp, dbsession, users):
    login(testapp, users["admin"])
    count = len(dbsession.scalars(select(User)).all())
    page = _add_user_form(testapp, username=users["staff"]).submit("submit", status=200)
    assert "用户名已被占用" in page.text
    assert len(dbsession.scalars(select(User)).all()) == count


@pytest.mark.parametrize("field,value,message", [
    ("username", "", "必填"),
    ("username", "Bad Name", "小写字母"),
    ("display_name", "长" * 61, "长度不能超过 60"),
    ("password", "short", "10"),
])
def test_bad_user_input_gets_field_messages(testapp, users, field, value, message):
    login(testapp, users["admin"])
    values = {field: value}
    if field == "password":
        values["password-confirm"] = value
    page = _add_user_form(testapp, **values).submit("submit", status=200)
    assert message in page.text
    assert 'class="invalid-feedback"' in page.text or "error" in page.text


def test_edit_user_changes_roles_and_audits_them(testapp, dbsession, users):
    login(testapp, users["admin"])
    target = _user(dbsession, users["other_staff"])
    form = testapp.get(f"/admin/users/{target.id}/edit").forms["deform"]
    form.get("checkbox", index=2).checked = True  # finance
    form["unit"] = "caizhengju"
    form.submit("submit", status=303)
    dbsession.refresh(target)
    assert target.roles == {"finance"} and target.unit.code == "caizhengju"
    actions = {e.action for e in dbsession.scalars(select(AuditEntry).where(AuditEntry.target_id == target.id,
                                                                            AuditEntry.target_type == "user"))}
    assert {"user.changed", "role.granted"} <= actions


def test_deactivated_user_cannot_log_in(testapp, dbsession, users):
    login(testapp, users["admin"])
    target = _user(dbsession, users["other_staff"])
    form = testapp.get(f"/admin/users/{target.id}/edit").forms["deform"]
    form["active"] = False
    form.submit("submit", status=303)
    assert dbsession.scalar(select(AuditEntry.action).where(
        AuditEntry.target_type == "user", AuditEntry.target_id == target.id
    ).order_by(AuditEntry.id.desc()).limit(1)) == "user.deactivated"
    other = testapp.__class__(testapp.app, extra_environ=testapp.extra_environ)
    login(other, users["other_staff"], status=200)


def test_admin_cannot_deactivate_themselves(testapp, dbsession, users):
    login(testapp, users["admin"])
    me = _user(dbsession, users["admin"])
    form = testapp.get(f"/admin/users/{me.id}/edit").forms["deform"]
    form["active"] = False
    page = form.submit("submit", status=200)
    assert "不能停用本人账号" in page.text
    assert me.active


def test_password_reset_forces_a_change_at_next_login(testapp, dbsession, users):
    login(testapp, users["admin"])
    target = _user(dbsession, users["head"])
    page = testapp.get(f"/admin/users/{target.id}/edit")
    result = testapp.post(f"/admin/users/{target.id}/reset-password", {"csrf_token": csrf_token(page)})
    temporary = result.html.find(id="temporary-password").text
    other = testapp.__class__(testapp.app, extra_environ=testapp.extra_environ)
    login(other, users["head"], status=200)  # the old password is gone
    response = login(other, users["head"], password=temporary)
    assert response.location.endswith("/password")
    assert other.get("/units", status=302).location.endswith("/password")  # every page sends there
    form = other.get("/password").forms["deform"]
    form["current_password"] = temporary
    form["new_password"] = "my-own-new-secret"
    form["new_password-confirm"] = "my-own-new-secret"
    form.submit("submit", status=303)
    other.get("/units", status=200)
    assert dbsession.scalar(select(AuditEntry.action).where(AuditEntry.target_id == target.id,
                                                            AuditEntry.action == "password.reset"))


def test_admin_adds_a_unit_with_a_valid_credit_code(testapp, dbsession, users):
    login(testapp, users["admin"])
    form = testapp.get("/admin/units/add").forms["deform"]
    form["code"] = "tongjiju"
    form["name"] = "黄山市统计局"
    form["short_name"] = "市统计局"
    form["kind"] = "department"
    form["parent"] = "huangshan"
    form["credit_code"] = "91350100m000100y43"
    form.submit("submit", status=303)
    unit = dbsession.execute(select(Unit).where(Unit.code == "tongjiju")).scalar_one()
    assert unit.credit_code == "91350100M000100Y43" and unit.parent.code == "huangshan"
    assert "市统计局" in testapp.get("/units").text


@pytest.mark.parametrize("field,value,message", [
    ("credit_code", "91350100M000100Y44", "校验码错误：第 18 位应为 3"),
    ("credit_code", "9135010", "应为 18 位，当前为 7 位"),
    ("division_code", "99100", "6 位数字"),
    ("code", "Bad Code", "小写字母"),
    ("name", "", "必填"),
])
def test_bad_unit_input_gets_field_messages(testapp, dbsession, users, field, value, message):
    login(testapp, users["admin"])
    count = len(dbsession.scalars(select(Unit)).all())
    form = testapp.get("/admin/units/add").forms["deform"]
    values = {"code": "tongjiju", "name": "黄山市统计局", "short_name": "市统计局", "kind": "department",
              field: value}
    for key, val in values.items():
        form[key] = val
    page = form.submit("submit", status=200)
    assert message in page.text
    assert len(dbsession.scalars(select(Unit)).all()) == count


def test_duplicate_unit_name_is_refused(testapp, users):
    login(testapp, users["admin"])
    form = testapp.get("/admin/units/add").forms["deform"]
    for key, val in {"code": "dup", "name": "黄山市公安局", "short_name": "重复", "kind": "department"}.items():
        form[key] = val
    page = form.submit("submit", status=200)
    assert "已被其他单位使用" in page.text


def test_edit_unit_is_audited_and_cannot_make_a_cycle(testapp, dbsession, users):
    login(testapp, users["admin"])
    city_id = _unit_id(dbsession, "huangshan")
    form = testapp.get(f"/admin/units/{city_id}/edit").forms["deform"]
    form["parent"] = "gonganju"  # the city under one of its own departments
    page = form.submit("submit", status=200)
    assert "下级" in page.text
    unit_id = _unit_id(dbsession, "gonganju")
    form = testapp.get(f"/admin/units/{unit_id}/edit").forms["deform"]
    form["short_name"] = "公安局"
    form.submit("submit", status=303)
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "unit.changed")).one()
    assert entry.details == {"short_name": ["市公安局", "公安局"]}


def test_auditor_reads_the_audit_log(testapp, dbsession, users):
    login(testapp, users["admin"])
    _add_user_form(testapp, username="li.si", display_name="李四").submit("submit", status=303)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp.get("/"))})
    login(testapp, users["auditor"])
    page = testapp.get("/admin/audit")
    assert "li.si" in page.text and "创建用户" in page.text and users["admin"] in page.text


def test_unknown_ids_are_404(testapp, users):
    login(testapp, users["admin"])
    testapp.get("/admin/users/999999/edit", status=404)
    testapp.get("/admin/units/999999/edit", status=404)


def test_password_reset_ends_the_users_logins_and_tokens(testapp, dbsession, users):
    other = testapp.__class__(testapp.app, extra_environ=testapp.extra_environ)
    login(other, users["head"])
    other.get("/units", status=200)
    token = other.post_json("/api/auth/token", {"username": users["head"], "password": PASSWORD}).json["token"]
    login(testapp, users["admin"])
    target = _user(dbsession, users["head"])
    testapp.post(f"/admin/users/{target.id}/reset-password",
                 {"csrf_token": csrf_token(testapp.get(f"/admin/users/{target.id}/edit"))})
    assert other.get("/units", status=302).location.split("?")[0].endswith("/login")
    other.get("/api/me", headers={"Authorization": f"Bearer {token}"}, status=401)
