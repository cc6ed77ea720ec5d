"""The Excel exports, fetched through the pages and opened again with openpyxl, cell by cell:
Chinese headers, 万元 as numbers with two decimals, dates as 2018年1月31日, a frozen header
row, column widths — and only the rows the reader may see."""
from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from xietong.formatting import china_today, format_date
from xietong.models import utcnow
from xietong.services import content
from xietong.services.exports import XLSX_TYPE
from xietong.services.workflow import Actor
from xietong.testing import login

from tests import dashboard_data
from tests.dashboard_data import HOSTILE
from tests.test_content import filing_data


@pytest.fixture
def world(dbsession, workflows, people):
    return dashboard_data.build(dbsession, workflows, people)


def fetch(testapp, path):
    response = testapp.get(path)
    assert response.content_type == XLSX_TYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and "filename*=UTF-8''" in disposition
    return openpyxl.load_workbook(BytesIO(response.body)).active


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_clerk_layout(sheet, widths: dict[str, int]):
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    for letter, width in widths.items():
        assert sheet.column_dimensions[letter].width == width


def test_the_task_ledger(testapp, users, world, key_tasks):
    login(testapp, users["leader"])
    sheet = fetch(testapp, "/exports/tasks.xlsx")
    assert sheet.title == "重点任务台账"
    rows = values(sheet)
    assert rows[0] == ["序号", "任务", "牵头单位", "配合单位", "时间节点", "状态", "是否逾期", "完成进度（%）", "最新进展"]
    assert_clerk_layout(sheet, {"A": 8, "B": 40, "E": 60, "I": 50})
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["T5-1"] == ["T5-1", "测试任务：接入共享平台", "测试甲局", "市公安局",
                                 "2018年1月31日 完成接入（逾期）\n2099年12月31日 全面共享", "推进中", "是", 40,
                                 "已完成接口开发，正在联调"]
    assert by_number["T5-3"] == ["T5-3", HOSTILE, HOSTILE, None, "2018年3月31日 按期完成（已完成 2018年3月30日）",
                                 "未启动", "否", None, None]
    assert by_number["T5-2"][5:7] == ["已完成", "否"]
    assert "1" in by_number and "三(二)" in by_number  # the seed's tasks are in the ledger too


def test_the_overdue_items(testapp, users, world):
    login(testapp, users["reviewer"])
    sheet = fetch(testapp, "/exports/overdue.xlsx")
    rows = values(sheet)
    assert rows[0] == ["类型", "事项", "所属任务或文号", "责任单位", "完成时限", "逾期天数", "状态"]
    assert_clerk_layout(sheet, {"A": 14, "B": 50, "E": 16})
    today = china_today()
    assert ["重点任务节点", "完成接入", "T5-1 测试任务：接入共享平台", "测试甲局", "2018年1月31日",
            (today - date(2018, 1, 31)).days, "推进中"] in rows
    assert ["责令整改通知", "关于测试甲局的整改通知", "黄信办〔2018〕31号", "测试甲局", "2018年5月31日",
            (today - date(2018, 5, 31)).days, "已下发"] in rows
    assert not [row for row in rows if row[1] in ("完成清理", "按期完成", "全面共享")]  # not overdue
    reports = [row for row in rows if row[0] == "年度共享情况报告"]
    assert reports and all(row[-1] == "未报送" for row in reports)


def test_the_filings_with_their_decisions(testapp, users, world):
    login(testapp, users["finance"])
    sheet = fetch(testapp, "/exports/filings.xlsx")
    rows = values(sheet)
    assert rows[0] == ["单位", "项目名称", "年度", "申请金额（万元）", "状态", "决定人", "决定日期", "决定意见"]
    assert_clerk_layout(sheet, {"A": 18, "B": 40, "D": 16, "H": 40})
    decided = format_date(utcnow())
    assert rows[1:] == [
        ["市公安局", "公安视频专网运维", 2018, 100.25, "已批准", "t_finance", decided, None],
        ["市公安局", HOSTILE, 2018, 50.1, "不予拨付", "t_finance", decided, "重复建设，不予拨付"],
        ["市公安局", "公安数据中台", 2019, 10, "已审核", None, None, None],
        ["测试甲局", "甲局政务云迁移", 2018, 200, "已批准", "t_finance", decided, None],
        ["测试甲局", "甲局共享接口", 2019, 33.33, "已审核", None, None, None],
    ]  # the unit's draft is not the finance bureau's to see
    assert sheet["D2"].number_format == "#,##0.00" and sheet["D2"].data_type == "n"


def test_the_filings_export_is_permission_filtered_and_never_a_formula(testapp, users, world, dbsession,
                                                                       workflows, people):
    content.create(dbsession, workflows, "filing", filing_data(title='=HYPERLINK("http://evil.example","x")',
                                                               amount=Decimal("1")), Actor.of(people["staff"]))
    login(testapp, users["staff"])
    sheet = fetch(testapp, "/exports/filings.xlsx")
    rows = values(sheet)
    assert {row[0] for row in rows[1:]} == {"市公安局"} and len(rows) == 1 + 5  # own unit's, draft included
    formula = next(c for c in sheet["B"] if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"
    testapp.reset()
    login(testapp, users["other_staff"])
    assert values(fetch(testapp, "/exports/filings.xlsx"))[1:] == []


@pytest.mark.parametrize("path", ["/exports/tasks.xlsx", "/exports/overdue.xlsx"])
def test_the_leadership_exports_are_the_leadership_groups(testapp, users, path):
    login(testapp, users["staff"])
    testapp.get(path, status=403)
