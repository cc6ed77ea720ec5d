"""Annual reports (each unit, by 10 January) and the leadership group's aggregate report (by 20 January)."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from xietong.formatting import CHINA_TZ
from xietong.models import Unit
from xietong.services import ServiceError, content
from xietong.services.reports import missing_annual_reports, units_without_report
from xietong.services.workflow import Actor, TransitionDenied, fire

SECTIONS = {"catalogue": "编制资源目录86条", "platform": "9个系统接入共享交换平台", "sharing": "向市场监管提供数据3类"}


def annual(dbsession, workflows, person, year=2018, **fields):
    return content.create(dbsession, workflows, "annual_report",
                          {"title": f"{year}年度政务信息资源共享情况报告", "year": year, **SECTIONS, **fields},
                          Actor.of(person))


def test_an_annual_report_is_due_on_10_january_and_accepted(dbsession, workflows, people):
    report = annual(dbsession, workflows, people["staff"])
    assert report.due_date == date(2019, 1, 10)
    assert report.due_at == datetime(2019, 1, 11, tzinfo=CHINA_TZ)  # due by the end of 10 January
    with pytest.raises(ServiceError):
        annual(dbsession, workflows, people["head"])  # one per unit and year
    fire(dbsession, workflows, report.id, "submit", Actor.of(people["staff"]))
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, report.id, "accept", Actor.of(people["other_staff"]))
    fire(dbsession, workflows, report.id, "accept", Actor.of(people["reviewer"]))
    assert report.state == "accepted"


def test_a_report_with_an_empty_section_cannot_be_submitted(dbsession, workflows, people):
    report = annual(dbsession, workflows, people["staff"], sharing="")
    with pytest.raises(TransitionDenied) as refused:
        fire(dbsession, workflows, report.id, "submit", Actor.of(people["staff"]))
    assert "sharing" in str(refused.value.reason.mapping["fields"])


def test_missing_reports_show_only_after_the_due_date(dbsession, workflows, people):
    owing = units_without_report(dbsession, 2018)
    assert len(owing) == 18  # 11 city departments, 3 districts, 4 counties
    assert missing_annual_reports(dbsession, 2018, date(2019, 1, 10)) == []
    draft = annual(dbsession, workflows, people["staff"])
    assert people["staff"].unit in missing_annual_reports(dbsession, 2018, date(2019, 1, 11))  # a draft is not a report
    fire(dbsession, workflows, draft.id, "submit", Actor.of(people["staff"]))
    late = missing_annual_reports(dbsession, 2018, date(2019, 1, 11))
    assert people["staff"].unit not in late and len(late) == 17
    groups = dbsession.scalars(select(Unit).where(Unit.kind.in_(("group", "committee", "city")))).all()
    assert not set(groups) & set(late)


def test_the_aggregate_report_goes_to_the_city_government_then_the_province(dbsession, workflows, people):
    reviewer, leader = Actor.of(people["reviewer"]), Actor.of(people["leader"])
    report = content.create(dbsession, workflows, "aggregate_report",
                            {"title": "2018年度全市政务信息资源共享情况汇总报告", "year": 2018, "summary": "全市18个单位已报送"},
                            reviewer)
    assert report.due_date == date(2019, 1, 20)
    with pytest.raises(ServiceError):
        content.create(dbsession, workflows, "aggregate_report", {"title": "重复", "year": 2018, "summary": "x"},
                       reviewer)
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, report.id, "submit", leader)
    fire(dbsession, workflows, report.id, "submit", reviewer)
    fire(dbsession, workflows, report.id, "send_back", leader, comment="请补充区县情况")
    assert report.state == "draft"
    fire(dbsession, workflows, report.id, "submit", reviewer)
    fire(dbsession, workflows, report.id, "approve", leader)
    fire(dbsession, workflows, report.id, "report_to_province", reviewer)
    assert report.state == "reported"


def test_who_may_create_reports(testapp, users):
    from xietong.testing import PASSWORD

    def create(user, body):
        token = testapp.post_json("/api/auth/token", {"username": users[user], "password": PASSWORD}).json["token"]
        return testapp.post_json("/api/documents", body, headers={"Authorization": f"Bearer {token}"}, status="*")

    annual_body = {"type": "annual_report", "title": "年度报告", "year": 2018, **SECTIONS}
    assert create("staff", annual_body).status_int == 201
    assert create("finance", dict(annual_body, year=2017)).status_int == 201  # 市财政局 is a department too
    assert create("leader", dict(annual_body, year=2017)).status_int == 403
    aggregate_body = {"type": "aggregate_report", "title": "汇总", "year": 2018, "summary": "汇总"}
    assert create("staff", aggregate_body).status_int == 403
    assert create("reviewer", aggregate_body).status_int == 201
