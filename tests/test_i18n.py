"""Chinese first, English on request; dates and money the way a clerk writes them."""
from datetime import date, datetime, timezone
from decimal import Decimal

from xietong.formatting import format_date, format_datetime, format_wan
from xietong.testing import login


def test_switch_to_english_and_back(testapp, users):
    login(testapp, users["staff"])
    assert "退出登录" in testapp.get("/").text
    response = testapp.get("/locale/en", params={"came_from": "/units"}, status=303)
    assert response.location.endswith("/units")
    page = response.follow()
    assert "Log out" in page.text and "退出登录" not in page.text
    assert '<html lang="en">' in page.text
    testapp.get("/locale/zh_CN", status=303)
    assert "退出登录" in testapp.get("/").text


def test_unknown_locale_is_404(testapp):
    testapp.get("/locale/xx", status=404)


def test_colander_messages_are_chinese(testapp, users):
    login(testapp, users["admin"])
    form = testapp.get("/admin/units/add").forms["deform"]
    page = form.submit("submit", status=200)
    assert "必填" in page.text and "Required" not in page.text


def test_units_page_lists_the_city_in_chinese(testapp, users):
    login(testapp, users["staff"])
    page = testapp.get("/units")
    for name in ("黄山市人民政府", "屯溪区人民政府", "黄山市信息化工作办公室", "黄山风景区管理委员会"):
        assert name in page.text
    unit_page = testapp.get("/units/341002-tunxi")
    assert "341002" in unit_page.text and "区政府" in unit_page.text
    testapp.get("/units/341003-tunxi", status=404)  # the division does not match the unit


def test_dates_without_zero_padding():
    assert format_date(date(2018, 1, 31)) == "2018年1月31日"
    assert format_date(date(2018, 1, 31), "en") == "2018-01-31"
    # 2018-01-31 20:30 UTC is already 1 February in China (UTC+8)
    assert format_datetime(datetime(2018, 1, 31, 20, 30, tzinfo=timezone.utc)) == "2018年2月1日 04:30"


def test_money_in_wan_yuan_rounds_half_up():
    assert format_wan(Decimal("1234.5")) == "1,234.50万元"
    assert format_wan("0.005") == "0.01万元"
    assert format_wan(Decimal("2.675")) == "2.68万元"  # a float would give 2.67
