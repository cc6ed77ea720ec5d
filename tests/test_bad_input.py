"""Malformed requests get a 400 or 404 with a message — never a server error."""
import pytest

from xietong.testing import login


@pytest.mark.parametrize("path", ["/documents/%ff", "/api/documents/%ff"])
def test_a_path_that_is_not_utf8(testapp, path):
    response = testapp.get(path, status=400, expect_errors=True)
    assert "UTF-8" in response.text


def test_a_query_string_that_is_not_utf8(testapp, users):
    login(testapp, users["staff"])
    response = testapp.get("/search?q=%ff%fe", status=(400, 200))
    assert response.status_int in (200, 400)


def test_a_form_body_that_is_not_utf8(testapp):
    response = testapp.post("/login", b"username=%ff%fe&password=x", content_type="application/x-www-form-urlencoded",
                            status=400)
    assert "UTF-8" in response.text or "表单" in response.text


@pytest.mark.parametrize("raw", ["-99999999999999999999999", "99999999999999999999999", "1e5", "%EF%BC%90%EF%BC%91", "abc"])
def test_document_ids_that_are_not_ids(testapp, users, raw):
    login(testapp, users["staff"])
    testapp.get(f"/documents/{raw}", status=404)


def test_nan_amount_is_a_field_error(testapp, users):
    login(testapp, users["staff"])
    form = testapp.get("/documents/add/filing").forms["deform"]
    form["title"] = "测试项目"
    form["amount"] = "NaN"
    page = form.submit("submit", status=200)
    assert "不是有效的数字" in page.text or "不是数字" in page.text
