"""Notifications: who is told after a transition, e-mail only after commit, the user's list."""
from datetime import date

import pytest
from pyramid_mailer.mailer import DebugMailer, DummyMailer, Mailer
from sqlalchemy import select
from sqlalchemy.orm import Session

from xietong.models import Notification
from xietong.services import content, notifications, sharing
from xietong.services.workflow import Actor, fire
from xietong.testing import TEST_USERS, csrf_token, get_user, login, migrate, populate
from tests.test_content import filing_data


@pytest.fixture
def filing(dbsession, workflows, people):
    return content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))


def notified(dbsession, document) -> dict[str, list[str]]:
    """username -> messages about ``document``."""
    from xietong.models import User

    rows = dbsession.execute(select(User.username, Notification.message)
                             .join(Notification, Notification.user_id == User.id)
                             .where(Notification.node_id == document.id).order_by(Notification.id)).all()
    result = {}
    for username, message in rows:
        result.setdefault(username, []).append(message)
    return result


def test_those_who_can_act_next_are_notified_not_the_actor(dbsession, workflows, filing, people):
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    assert notified(dbsession, filing) == {"t_reviewer": ["《公安大数据平台运维》待您处理：审核通过/退回修改"]}
    fire(dbsession, workflows, filing.id, "review", Actor.of(people["reviewer"]))
    after_review = notified(dbsession, filing)
    assert after_review["t_finance"] == ["《公安大数据平台运维》待您处理：批准/不予拨付"]
    assert len(after_review["t_reviewer"]) == 1  # the actor of "review" is not told again
    fire(dbsession, workflows, filing.id, "return", Actor.of(people["reviewer"]), comment="金额有误")
    after_return = notified(dbsession, filing)
    assert after_return["t_staff"] == ["《公安大数据平台运维》待您处理：提交"]  # owner and staff
    assert after_return["t_head"] == ["《公安大数据平台运维》待您处理：提交"]  # the unit's head
    assert "t_other" not in after_return and "t_auditor" not in after_return  # may view, may not act


def test_local_role_holders_are_notified(dbsession, workflows, people):
    order = content.create(dbsession, workflows, "rectification_order", {
        "title": "关于僵尸系统的整改通知", "target_unit": people["other_staff"].unit_id, "basis": "实施方案",
        "findings": "系统闲置", "due_date": date(2018, 3, 31), "doc_number": "黄信办〔2018〕5号"},
        Actor.of(people["reviewer"]))
    sharing.grant(dbsession, order, role="contributor", user=people["finance"], actor=people["reviewer"])
    fire(dbsession, workflows, order.id, "issue", Actor.of(people["reviewer"]))
    told = notified(dbsession, order)
    assert told["t_other"] == ["《关于僵尸系统的整改通知》待您处理：反馈整改情况"]  # the target unit
    assert told["t_finance"] == ["《关于僵尸系统的整改通知》待您处理：反馈整改情况"]  # granted to one user
    assert set(told) == {"t_other", "t_finance"}


def test_no_mailer_means_in_app_only(dbsession, workflows, filing, people):
    assert "mailer" not in dbsession.info
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    assert "xietong.after_commit" not in dbsession.info  # nothing queued to send
    assert list(notified(dbsession, filing)) == ["t_reviewer"]


@pytest.fixture
def committed(fresh_db_url):
    """A migrated, populated database of this test's own, and an engine on it."""
    from xietong.db import make_engine, write_engine

    migrate(fresh_db_url)
    populate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield write_engine(engine)
    engine.dispose()


def test_mail_is_sent_after_commit_only(committed, workflows):
    mailer = DummyMailer()
    with Session(bind=committed, expire_on_commit=False) as session:
        session.info.update(mailer=mailer, mail_domain="huangshan.gov.cn", mail_sender="xietong@huangshan.gov.cn",
                            mail_base_url="https://xt.huangshan.gov.cn")
        staff = get_user(session, TEST_USERS["staff"][0])
        reviewer = get_user(session, TEST_USERS["reviewer"][0])
        filing = content.create(session, workflows, "filing", filing_data(), Actor.of(staff))
        session.commit()

        fire(session, workflows, filing.id, "submit", Actor.of(staff))
        assert mailer.outbox == []  # not yet: the transaction is open
        session.rollback()
        assert mailer.outbox == []  # rolled back: never
        assert session.scalars(select(Notification)).all() == []  # and no notice either

        fire(session, workflows, filing.id, "submit", Actor.of(staff))
        assert mailer.outbox == []
        session.commit()
        [message] = mailer.outbox
        assert message.recipients == [f"{reviewer.username}@huangshan.gov.cn"]
        assert message.sender == "xietong@huangshan.gov.cn"
        assert message.subject == "《公安大数据平台运维》待您处理：审核通过/退回修改"
        assert f"https://xt.huangshan.gov.cn/documents/{filing.id}" in message.body
        assert "t_reviewer，您好" in message.body
        [notice] = session.scalars(select(Notification)).all()
        assert (notice.user_id, notice.node_id, notice.read_at) == (reviewer.id, filing.id, None)

        fire(session, workflows, filing.id, "review", Actor.of(reviewer))
        session.commit()
        assert [m.recipients for m in mailer.outbox[1:]] == [["t_finance@huangshan.gov.cn"]]  # not the actor


def test_a_request_sends_through_the_configured_mailer(committed, fresh_db_url, workflows, tmp_path):
    """The whole path: db.py gives request sessions the file mailer from ``xietong.mail_dir``."""
    import email
    import email.policy

    import webtest

    from xietong import main
    from xietong.testing import app_settings

    with Session(bind=committed) as session:
        staff = get_user(session, TEST_USERS["staff"][0])
        filing = content.create(session, workflows, "filing", filing_data(), Actor.of(staff))
        session.commit()
        filing_id = filing.id
    mail_dir = tmp_path / "mail"
    wsgi = main({}, **app_settings(fresh_db_url, **{"xietong.mail_dir": str(mail_dir),
                                                    "xietong.mail_domain": "huangshan.gov.cn"}))
    try:
        client = webtest.TestApp(wsgi, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"})
        login(client, TEST_USERS["staff"][0])
        token = csrf_token(client.get("/"))
        assert list(mail_dir.iterdir()) == []
        client.post(f"/documents/{filing_id}/transitions/submit", {"csrf_token": token}, status=303)
        [eml] = list(mail_dir.iterdir())
        message = email.message_from_string(eml.read_text(), policy=email.policy.default)
        assert message["To"] == "t_reviewer@huangshan.gov.cn"
        assert message["From"] == "xietong@huangshan.gov.cn"  # no mail.default_sender: xietong@<domain>
        assert message["Subject"] == "《公安大数据平台运维》待您处理：审核通过/退回修改"
        assert f"/documents/{filing_id}" in message.get_content()
    finally:
        wsgi.registry["db.engine"].dispose()


def test_mail_info_from_settings(tmp_path):
    assert "mailer" not in notifications.mail_info({})
    info = notifications.mail_info({"xietong.mail_dir": str(tmp_path / "m")})
    assert isinstance(info["mailer"], DebugMailer) and (tmp_path / "m").is_dir()
    info = notifications.mail_info({"mail.host": "smtp.huangshan.gov.cn", "mail.port": "25",
                                    "mail.default_sender": "xietong@huangshan.gov.cn",
                                    "xietong.mail_domain": "huangshan.gov.cn"})
    assert isinstance(info["mailer"], Mailer)
    assert (info["mail_sender"], info["mail_domain"]) == ("xietong@huangshan.gov.cn", "huangshan.gov.cn")
    assert notifications.mail_info({})["mail_sender"] == "xietong@localhost"


def test_the_page_lists_newest_first_and_marks_read(testapp, dbsession, people, users):
    reviewer, other = people["reviewer"], people["other_staff"]
    dbsession.add_all([Notification(user_id=reviewer.id, message="第一条"),
                       Notification(user_id=reviewer.id, message="第二条"),
                       Notification(user_id=other.id, message="别人的")])
    dbsession.flush()
    mine = dbsession.scalars(select(Notification).where(Notification.user_id == reviewer.id)
                             .order_by(Notification.id)).all()
    theirs = dbsession.scalar(select(Notification).where(Notification.user_id == other.id))
    testapp.get("/notifications", status=302)  # anonymous: to the login page
    login(testapp, users["reviewer"])
    page = testapp.get("/notifications")
    assert page.text.index("第二条") < page.text.index("第一条") and "别人的" not in page.text
    assert page.text.count("fw-bold unread") == 2
    assert all(n.read_at is None for n in mine)  # reading the page writes nothing

    testapp.post("/notifications", {"csrf_token": csrf_token(page), "id": str(mine[0].id)}, status=303)
    assert mine[0].read_at is not None and mine[1].read_at is None
    testapp.post("/notifications", {"csrf_token": csrf_token(page), "id": str(theirs.id)}, status=303)
    assert theirs.read_at is None  # not theirs to mark
    testapp.post("/notifications", {"csrf_token": csrf_token(page)}, status=303)
    assert mine[1].read_at is not None and theirs.read_at is None
    page = testapp.get("/notifications")
    assert "fw-bold unread" not in page.text and 'id="mark-all-read"' not in page.text
    assert notifications.unread_count(dbsession, reviewer) == 0 and notifications.unread_count(dbsession, other) == 1
    testapp.post("/notifications", {"csrf_token": "forged"}, status=400)


def test_the_page_links_to_the_document(testapp, dbsession, workflows, filing, people, users):
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    login(testapp, users["reviewer"])
    page = testapp.get("/notifications")
    assert f'href="/documents/{filing.id}"' in page.text and "待您处理" in page.text
