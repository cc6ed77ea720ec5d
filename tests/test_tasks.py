"""Key tasks: the seed load against the seed's own text, the task workflow with delays, progress
reports, the sweeper's reminders, escalation, and GET /api/tasks.

The test database is loaded by the fixtures as ``xietong load-seed`` loads it
(:func:`xietong.testing.populate`); every test runs in a rolled-back session.
"""
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
import re

import pytest
from pyramid_mailer.mailer import DummyMailer
from sqlalchemy import func, select

from xietong.models import DelayRequest, KeyTask, LocalRole, Milestone, Node, Notification, RectificationOrder, Unit
from xietong.services import ServiceError, content
from xietong.services import tasks as task_service
from xietong.services.deadlines import sweep
from xietong.services.workflow import Actor, TransitionDenied, fire
from xietong.testing import PASSWORD, csrf_token, login

SEED = (Path(__file__).parent / "fixtures" / "seed" / "huangshan-2017-integration-plan.zh.txt").read_text("utf-8")
NUMERALS = "一二三四五六七八九十"
DEPARTMENTS = ["市政府办公厅", "市信息办", "市审计局", "市质监局", "市公安局", "市工商局", "市政务服务中心", "市编办",
               "市财政局", "市发改委", "市公管局"]
COUNTIES = ["屯溪区", "黄山区", "徽州区", "歙县", "休宁县", "黟县", "祁门县"]


@pytest.fixture(autouse=True)
def seeded_tasks(key_tasks):
    """Every test here works on the seed's tasks, loaded into its rolled-back session."""
    return key_tasks


def seed_paragraphs() -> dict[str, str]:
    """number -> the seed's paragraph of that task, read straight from the seed text."""
    key = SEED[SEED.index("二、重点抓好"):SEED.index("三、加大机制")]
    safeguard = SEED[SEED.index("三、加大机制"):]
    found = {}
    for section, text in (("key", key), ("safeguard", safeguard)):
        for line in text.splitlines():
            match = re.match(r"\((.)\)", line.strip())
            if match and match.group(1) in NUMERALS:
                number = str(NUMERALS.index(match.group(1)) + 1) if section == "key" else f"三({match.group(1)})"
                found[number] = line.strip()
    return found


def expected_units(paragraph: str) -> tuple[list[str], list[str]]:
    """The seed's (牵头责任单位:…,配合单位:…) with 市政府各部门 and 各区县人民政府 expanded."""
    tail = re.search(r"牵头责任单位:(.*?)\)\s*$", paragraph).group(1)
    lead_text, _, coop_text = tail.partition(",配合单位:")

    def expand(text, leave_out=()):
        names = []
        for name in re.split("[、,]", text):
            name = name.removesuffix("等")
            group = DEPARTMENTS if name == "市政府各部门" else COUNTIES if name == "各区县人民政府" else [name]
            names += [n for n in group if n and n not in leave_out and n not in names]
        return names

    lead = expand(lead_text)
    return lead, expand(coop_text, lead) if coop_text else []


def task(dbsession, number: str) -> KeyTask:
    return dbsession.execute(select(KeyTask).where(KeyTask.number == number)).scalar_one()


def order_units(names: list[str]) -> list[str]:
    order = DEPARTMENTS + COUNTIES
    return sorted(names, key=order.index)


# -- the seed load -------------------------------------------------------------------------------------

def test_all_ten_tasks_and_seven_items_are_loaded_as_the_seed_writes_them(dbsession):
    paragraphs = seed_paragraphs()
    assert list(paragraphs) == [str(i) for i in range(1, 11)] + [f"三({n})" for n in "一二三四五六七"]
    summaries = {s.number: s for s in task_service.task_summaries(dbsession)}
    assert list(summaries) == list(paragraphs)
    for number, paragraph in paragraphs.items():
        loaded = task(dbsession, number)
        assert loaded.body == paragraph, number
        assert loaded.title in paragraph
        lead, cooperating = expected_units(paragraph)
        assert summaries[number].lead_units == order_units(lead), number
        assert summaries[number].cooperating_units == order_units(cooperating), number
        assert loaded.state == "not_started"


def test_units_are_expanded_leaving_out_the_leads(dbsession):
    summaries = {s.number: s for s in task_service.task_summaries(dbsession)}
    assert summaries["1"].lead_units == ["市审计局"]
    assert summaries["1"].cooperating_units == [d for d in DEPARTMENTS if d != "市审计局"]
    assert summaries["2"].lead_units == DEPARTMENTS and summaries["2"].cooperating_units == []
    assert summaries["3"].cooperating_units == [d for d in DEPARTMENTS if d != "市信息办"] + COUNTIES
    assert summaries["5"].cooperating_units == ["市政府办公厅"]  # "市政府办公厅等"
    assert summaries["8"].lead_units == ["市质监局"]
    assert summaries["8"].cooperating_units == ["市信息办", "市公安局", "市工商局"]
    assert summaries["9"].lead_units == ["市政府办公厅", "市信息办", "市政务服务中心"]
    assert summaries["三(五)"].lead_units == ["市信息办", "市财政局", "市发改委", "市公管局"]


def test_milestone_dates_are_the_last_day_of_the_month_the_seed_names(dbsession):
    dates = {s.number: [m.due_date for m in s.milestones] for s in task_service.task_summaries(dbsession)}
    assert dates["1"] == [date(2018, 1, 31), date(2018, 2, 28)]
    assert dates["2"] == [date(2018, 1, 31), date(2018, 2, 28)]
    assert dates["3"] == dates["4"] == [date(2018, 6, 30)]
    assert dates["6"] == [date(2018, 6, 30), date(2018, 6, 30)]
    assert dates["9"] == [date(2018, 1, 31)]
    assert dates["三(四)"] == [date(2018, 1, 31)]
    assert dates["三(五)"] == [date(2018, 7, 31)]
    assert dates["三(二)"] == [date(2019, 1, 10), date(2019, 1, 20)]
    for number in ("5", "7", "8", "10", "三(一)", "三(三)", "三(六)", "三(七)"):
        assert dates[number] == [], number
    # every dated milestone's deadline wording is in its task's paragraph
    paragraphs = seed_paragraphs()
    for entry in task_service.seed_tasks():
        for milestone in entry["milestones"]:
            assert milestone["phrase"] in paragraphs[entry["number"]]


def test_month_end_phrases():
    assert task_service.month_end("2018年2月底前") == date(2018, 2, 28)
    assert task_service.month_end("2020年2月底前") == date(2020, 2, 29)
    assert task_service.month_end("2018年12月底前") == date(2018, 12, 31)
    with pytest.raises(ValueError):
        task_service.month_end("每年1月10日前")


def test_loading_twice_changes_nothing(dbsession, workflows):
    counts = lambda: (dbsession.scalar(select(func.count(KeyTask.id))),  # noqa: E731
                      dbsession.scalar(select(func.count(Milestone.id))),
                      dbsession.scalar(select(func.count(LocalRole.id))))
    before = counts()
    assert task_service.load_tasks(dbsession, workflows) == (0, 0)
    assert counts() == before


def test_a_reload_keeps_a_delay_and_a_sharing_grant(dbsession, workflows, people):
    first = task(dbsession, "1")
    first.milestones[0].due_date = date(2018, 3, 31)  # as an approved delay leaves it
    extra = dbsession.execute(select(Unit).where(Unit.code == "lingdaoxiaozu")).scalar_one()
    first.local_role_rows.append(LocalRole(unit_id=extra.id, role="contributor"))
    dbsession.flush()
    task_service.load_tasks(dbsession, workflows)
    dbsession.refresh(first)
    assert first.milestones[0].due_date == date(2018, 3, 31)
    assert first.milestones[0].original_due_date == date(2018, 1, 31)
    assert extra.id in first.units_holding("contributor")


# -- the task workflow -------------------------------------------------------------------------------

def test_a_delay_is_requested_by_the_lead_and_approved_by_the_leadership_group(dbsession, workflows, people):
    audit_task = task(dbsession, "1")  # lead: 市审计局, the auditor's unit
    lead, leader = Actor.of(people["auditor"]), Actor.of(people["leader"])
    fire(dbsession, workflows, audit_task.id, "start", lead)
    survey = audit_task.milestones[0]
    assert task_service.task_summary(dbsession, audit_task).overdue  # 2018-01-31 is long past

    with pytest.raises(TransitionDenied) as bare:
        fire(dbsession, workflows, audit_task.id, "request_delay", lead, comment="需要时间")
    assert bare.value.details["guard"] == "delay_request_pending"
    with pytest.raises(TransitionDenied):  # a cooperating unit may not ask
        task_service.request_delay(dbsession, workflows, audit_task, survey.id, date(2099, 1, 31), "无",
                                   Actor.of(people["staff"]))
    assert task_service.pending_delay(dbsession, audit_task.id) is None  # the refused request left nothing
    with pytest.raises(ServiceError):
        task_service.request_delay(dbsession, workflows, audit_task, survey.id, date(2017, 1, 1), "太早", lead)

    new_date = task_service.china_today() + timedelta(days=60)
    task_service.request_delay(dbsession, workflows, audit_task, survey.id, new_date, "审计力量不足", lead)
    assert audit_task.state == "delay_requested"
    fire(dbsession, workflows, audit_task.id, "approve_delay", leader)
    dbsession.refresh(survey)
    assert audit_task.state == "in_progress"
    assert (survey.due_date, survey.original_due_date) == (new_date, date(2018, 1, 31))
    request = dbsession.scalars(select(DelayRequest).where(DelayRequest.task_id == audit_task.id)).one()
    assert (request.decision, request.decided_by_id) == ("approved", people["leader"].id)
    summary = task_service.task_summary(dbsession, audit_task)
    assert [m.overdue for m in summary.milestones] == [False, True]  # the clean-up is still late


def test_a_refused_delay_keeps_the_date(dbsession, workflows, people):
    audit_task = task(dbsession, "三(四)")  # lead: 市审计局
    lead, leader = Actor.of(people["auditor"]), Actor.of(people["leader"])
    fire(dbsession, workflows, audit_task.id, "start", lead)
    plan = audit_task.milestones[0]
    task_service.request_delay(dbsession, workflows, audit_task, plan.id, date(2030, 1, 31), "人手不足", lead)
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, audit_task.id, "refuse_delay", lead, comment="自己批")
    fire(dbsession, workflows, audit_task.id, "refuse_delay", leader, comment="不予延期，按期完成")
    dbsession.refresh(plan)
    assert plan.due_date == date(2018, 1, 31)
    assert task_service.delay_requests(dbsession, audit_task.id)[0].decision == "refused"


def test_completing_reaches_the_milestones_and_only_the_leadership_group_reopens(dbsession, workflows, people):
    audit_task = task(dbsession, "1")
    lead, leader = Actor.of(people["auditor"]), Actor.of(people["leader"])
    fire(dbsession, workflows, audit_task.id, "start", lead)
    fire(dbsession, workflows, audit_task.id, "complete", lead)
    summary = task_service.task_summary(dbsession, audit_task)
    assert summary.state == "completed" and not summary.overdue
    assert all(m.done_date == task_service.china_today() for m in summary.milestones)
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, audit_task.id, "reopen", lead, comment="再看看")
    fire(dbsession, workflows, audit_task.id, "reopen", leader, comment="清理不彻底")
    assert audit_task.state == "in_progress"


def test_marking_a_milestone_reached(dbsession, people):
    audit_task = task(dbsession, "1")
    survey = audit_task.milestones[0]
    with pytest.raises(ServiceError):
        task_service.mark_milestone_done(dbsession, audit_task, survey.id, date(2018, 1, 20), Actor.of(people["staff"]))
    task_service.mark_milestone_done(dbsession, audit_task, survey.id, date(2018, 1, 20), Actor.of(people["auditor"]))
    summary = task_service.task_summary(dbsession, audit_task)
    assert [(m.done_date, m.overdue) for m in summary.milestones] == [(date(2018, 1, 20), False),
                                                                     (None, True)]


# -- the task page ----------------------------------------------------------------------------------

def test_the_lead_asks_for_a_delay_on_the_task_page(testapp, dbsession, workflows, people, users):
    audit_task = task(dbsession, "1")
    fire(dbsession, workflows, audit_task.id, "start", Actor.of(people["auditor"]))
    login(testapp, users["auditor"])
    page = testapp.get(f"/documents/{audit_task.id}")
    assert "市审计局" in page.text and "delay-form" in page.text
    assert "2018年1月31日" in page.text
    bad = testapp.post(f"/documents/{audit_task.id}/delay", {
        "csrf_token": csrf_token(page), "milestone": str(audit_task.milestones[0].id), "new_date": "明天",
        "reason": "审计力量不足"}, status=400)
    assert "审计力量不足" in bad.text  # what was typed is not lost
    assert audit_task.state == "in_progress"
    testapp.post(f"/documents/{audit_task.id}/delay", {
        "csrf_token": csrf_token(page), "milestone": str(audit_task.milestones[0].id), "new_date": "2030-01-31",
        "reason": "审计力量不足"}, status=303)
    dbsession.refresh(audit_task)
    assert audit_task.state == "delay_requested"


def test_milestones_are_marked_reached_and_overdue_tasks_escalated_on_the_task_page(testapp, dbsession, users):
    audit_task = task(dbsession, "1")
    survey = audit_task.milestones[0]
    url = f"/documents/{audit_task.id}"
    login(testapp, users["staff"])  # a cooperating unit: neither forms nor the right to post them
    page = testapp.get(url)
    assert "escalate-form" not in page.text and f"/milestones/{survey.id}/done" not in page.text
    testapp.post(f"{url}/milestones/{survey.id}/done", {"csrf_token": csrf_token(page), "done_date": "2018-01-20"},
                 status=403)
    testapp.post(f"{url}/escalate", {"csrf_token": csrf_token(page), "unit": str(survey.task.unit_id)}, status=403)

    testapp.reset()
    login(testapp, users["auditor"])  # 市审计局 leads task 1
    page = testapp.get(url)
    bad = testapp.post(f"{url}/milestones/{survey.id}/done", {"csrf_token": csrf_token(page), "done_date": "昨天"},
                       status=400)
    assert "不是有效日期" in bad.text
    testapp.post(f"{url}/milestones/{survey.id}/done", {"csrf_token": csrf_token(page), "done_date": "2018-01-20"},
                 status=303)
    dbsession.refresh(survey)
    assert survey.done_date == date(2018, 1, 20)

    testapp.reset()
    login(testapp, users["leader"])
    page = testapp.get(url)
    assert "escalate-form" in page.text  # the clean-up (2018-02-28) is still overdue
    gonganju = dbsession.execute(select(Unit).where(Unit.code == "gonganju")).scalar_one()
    done = testapp.post(f"{url}/escalate", {"csrf_token": csrf_token(page), "unit": str(gonganju.id)}, status=303)
    order = dbsession.get(RectificationOrder, int(done.location.rsplit("/", 1)[1]))
    assert order.state == "draft" and order.target_unit_id == gonganju.id
    assert "2018年2月28日" in order.findings and "2018年1月31日" not in order.findings


def test_the_task_list_page(testapp, users):
    login(testapp, users["other_staff"])
    page = testapp.get("/tasks")
    assert "消除“僵尸”信息系统" in page.text and "加强安全保障" in page.text
    assert page.text.count('id="task-') == 17


# -- progress reports -------------------------------------------------------------------------------

def test_progress_is_reported_by_a_cooperating_unit_and_acknowledged(dbsession, workflows, people):
    audit_task = task(dbsession, "1")  # 市公安局 cooperates
    staff = Actor.of(people["staff"])
    report = content.create(dbsession, workflows, "progress_report", {
        "title": "公安局系统普查进展", "task": audit_task.id, "percentage": 60, "text": "已完成12个系统的登记"}, staff)
    assert report.parent_id == audit_task.id
    assert task_service.task_summary(dbsession, audit_task).progress is None  # a draft does not count
    fire(dbsession, workflows, report.id, "submit", staff)
    assert task_service.task_summary(dbsession, audit_task).progress == 60
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, report.id, "acknowledge", Actor.of(people["other_staff"]))
    fire(dbsession, workflows, report.id, "return", Actor.of(people["leader"]), comment="请补充清理计划")
    fire(dbsession, workflows, report.id, "submit", staff)
    fire(dbsession, workflows, report.id, "acknowledge", Actor.of(people["reviewer"]))
    assert report.state == "acknowledged"
    from xietong.security import permits
    assert permits(people["auditor"], report, "view", workflows)  # the lead unit follows it


def test_two_units_report_on_one_task_in_the_same_year(dbsession, workflows, people):
    """Reports are named per unit and year, and live under their task: the names must not meet there."""
    audit_task = task(dbsession, "1")  # 市审计局 leads, 市公安局 cooperates
    names = set()
    other_task = task(dbsession, "2")  # 市公安局 cooperates there too
    for role, on in (("staff", audit_task), ("auditor", audit_task), ("staff", audit_task), ("staff", other_task)):
        report = content.create(dbsession, workflows, "progress_report", {
            "title": "进展", "task": on.id, "percentage": 10, "text": "无"}, Actor.of(people[role]))
        dbsession.flush()
        names.add((on.id, report.name))
    assert len(names) == 4
    assert len({r.path for r in dbsession.query(Node).filter(Node.type == "progress_report")}) == 4


def test_only_units_of_the_task_may_report_on_it(testapp, dbsession, users, people):
    open_data = task(dbsession, "5")  # lead 市信息办, cooperating 市政府办公厅: not 市公安局
    token = testapp.post_json("/api/auth/token", {"username": users["staff"], "password": PASSWORD}).json["token"]
    answer = testapp.post_json("/api/documents", {"type": "progress_report", "title": "进展", "task": open_data.id,
                                                  "percentage": 10, "text": "无"},
                               headers={"Authorization": f"Bearer {token}"}, status=400)
    assert "task" in answer.json["error"]["details"]["fields"]
    answer = testapp.post_json("/api/documents", {"type": "progress_report", "title": "进展",
                                                  "task": task(dbsession, "1").id, "percentage": 101, "text": "无"},
                               headers={"Authorization": f"Bearer {token}"}, status=400)
    assert "percentage" in answer.json["error"]["details"]["fields"]


# -- reminders and escalation --------------------------------------------------------------------------

def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=timezone.utc)  # 09:00 China time


def test_the_sweeper_reminds_once_before_and_once_after_the_due_date(dbsession, workflows, people):
    mailer = DummyMailer()
    dbsession.info["mailer"] = mailer
    try:
        first = sweep(dbsession, workflows, at(date(2018, 1, 25)), reminder_days=7)
        january = {m.id for t in ("1", "2", "9", "三(四)") for m in task(dbsession, t).milestones
                   if m.due_date == date(2018, 1, 31)}
        assert set(first.reminders.due_soon) == january and first.reminders.overdue == []
        staff_notes = list(dbsession.scalars(select(Notification).where(Notification.user_id == people["staff"].id)))
        assert any("2018年1月31日" in n.message and "即将到期" in n.message for n in staff_notes)
        assert sweep(dbsession, workflows, at(date(2018, 1, 26)), reminder_days=7).reminders.due_soon == []

        later = sweep(dbsession, workflows, at(date(2018, 2, 1)), reminder_days=7)
        assert set(later.reminders.overdue) == january
        assert sweep(dbsession, workflows, at(date(2018, 2, 2)), reminder_days=7).reminders.overdue == []
        # the auditor's unit leads task 1: told once that the survey is due soon, once that it is late
        auditor_notes = list(dbsession.scalars(select(Notification).where(
            Notification.user_id == people["auditor"].id, Notification.node_id == task(dbsession, "1").id)))
        assert len(auditor_notes) == 2
    finally:
        dbsession.info.pop("mailer", None)


def test_an_overdue_task_is_escalated_into_a_draft_order(dbsession, workflows, people):
    audit_task = task(dbsession, "1")
    gonganju = dbsession.execute(select(Unit).where(Unit.code == "gonganju")).scalar_one()
    with pytest.raises(ServiceError):
        task_service.escalate(dbsession, workflows, audit_task, gonganju.id, Actor.of(people["staff"]))
    order = task_service.escalate(dbsession, workflows, audit_task, gonganju.id, Actor.of(people["leader"]))
    assert isinstance(order, RectificationOrder) and order.state == "draft"
    assert order.target_unit_id == gonganju.id
    assert "2018年1月31日" in order.findings and "重点任务1" in order.title
    nowhere = dbsession.execute(select(Unit).where(Unit.code == "lingdaoxiaozu")).scalar_one()
    with pytest.raises(ServiceError):
        task_service.escalate(dbsession, workflows, audit_task, nowhere.id, Actor.of(people["leader"]))


# -- the API ------------------------------------------------------------------------------------------

def test_api_tasks_lists_every_task_for_any_logged_in_user(testapp, dbsession, workflows, users, people):
    testapp.get("/api/tasks", status=401)
    token = testapp.post_json("/api/auth/token", {"username": users["other_staff"], "password": PASSWORD}).json
    answer = testapp.get("/api/tasks", headers={"Authorization": f"Bearer {token['token']}"}).json
    assert answer["total"] == 17 == len(answer["items"])
    items = {i["number"]: i for i in answer["items"]}
    assert list(items) == [str(i) for i in range(1, 11)] + [f"三({n})" for n in "一二三四五六七"]
    first = items["1"]
    assert first["lead_units"] == ["市审计局"] and "市公安局" in first["cooperating_units"]
    assert [m["due_date"] for m in first["milestones"]] == ["2018-01-31", "2018-02-28"]
    assert first["state"] == "not_started" and first["overdue"] is True and first["progress"] is None
    assert items["5"]["overdue"] is False and items["5"]["milestones"] == []


def test_xietong_sweep_mails_each_reminder_once(fresh_db_url, tmp_path):
    """The command cron runs: reminders are committed, mailed after commit, and never sent twice."""
    from tests.test_cli import PROJECT, run

    mail = tmp_path / "mail"
    ini = tmp_path / "sweep.ini"
    ini.write_text("\n".join([
        "[app:main]", "use = egg:xietong", "sqlalchemy.url = sqlite://", f"xietong.secret = {'s' * 40}",
        f"xietong.workflows = {PROJECT / 'workflows'}", f"xietong.mail_dir = {mail}", "xietong.reminder_days = 7",
        "[alembic]", f"script_location = {PROJECT / 'migrations'}", ""]), "utf-8")
    for command in (["init-db"], ["load-seed"], ["demo"]):
        assert run(fresh_db_url, *command, "-c", str(ini)).returncode == 0
    first = run(fresh_db_url, "sweep", "-c", str(ini), "--now", "2018-01-25T09:00:00+08:00")
    assert first.returncode == 0, first.stderr
    assert "即将到期 4，已逾期 0" in first.stdout
    sent = sorted(p.name for p in mail.iterdir())
    assert sent, "no reminder was mailed"
    bodies = "".join(p.read_text("utf-8", errors="replace") for p in mail.iterdir())
    assert "gaj_staff@" in bodies  # 市公安局 cooperates on tasks 1, 2 and 9
    again = run(fresh_db_url, "sweep", "-c", str(ini), "--now", "2018-01-26T09:00:00+08:00")
    assert "即将到期 0，已逾期 0，通知 0" in again.stdout
    assert sorted(p.name for p in mail.iterdir()) == sent
