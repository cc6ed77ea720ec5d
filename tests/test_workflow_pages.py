"""The workflow pages and the document page: what a person sees and clicks."""
import re

from xietong.services import history
from xietong.testing import csrf_token, get_user, login, make_note


def test_workflow_list_and_page(testapp, users):
    login(testapp, users["staff"])
    listing = testapp.get("/workflows")
    assert "项目备案流程" in listing.text
    page = testapp.get("/workflows/filing")
    states = page.html.find(id="states").text
    assert "草稿" in states and "不予拨付" in states and "10 天" in states
    transitions = page.html.find(id="transitions").text
    assert "block_funding" in transitions and "财政经办人" in transitions and "必填" in transitions
    matrix = page.html.find(id="matrix")
    # the matrix row of "approved": the leadership group may view, the auditor too
    row = next(tr for tr in matrix.find_all("tr") if tr.th and tr.th.text.strip() == "已批准")
    assert row.text.count("✓") == 7
    diagram = page.html.find("pre", class_="mermaid").text
    assert diagram.startswith("stateDiagram-v2") and 'state "不予拨付" as funding_blocked' in diagram
    assert " current" not in diagram  # no state is highlighted on the workflow's own page
    testapp.get("/workflows/nope", status=404)


def test_workflow_pages_need_a_login(testapp):
    testapp.get("/workflows", status=302)


def _note(dbsession, review_workflows, users, **kw):
    return make_note(dbsession, review_workflows, get_user(dbsession, users["staff"]), **kw)


def test_document_page_shows_state_actions_history_and_highlighted_diagram(
        review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["staff"])
    page = review_testapp.get(f"/documents/{note.id}")
    assert page.html.find(id="state").text.strip() == "草稿"
    submit = page.html.find("form", attrs={"data-transition": "submit"})
    assert submit.button.get("disabled") is None
    assert "class draft current" in page.html.find("pre", class_="mermaid").text
    assert "创建" in page.html.find(id="history").text


def test_clicking_a_transition_fires_it(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["staff"])
    form = review_testapp.get(f"/documents/{note.id}").forms["transition-submit"]
    form["comment"] = "请审核"
    page = form.submit(status=303).follow()
    assert page.html.find(id="state").text.strip() == "已提交"
    assert "请审核" in page.html.find(id="history").text
    assert [e.transition for e in history.entries(dbsession, note.id)] == [None, "submit"]


def test_a_disabled_button_says_why(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["head"])  # same unit, so the head may view; submitting is allowed too
    review_testapp.post(f"/documents/{note.id}/transitions/submit",
                        {"csrf_token": csrf_token(review_testapp.get("/")), "version": "1"}, status=303)
    review_testapp.post("/logout", {"csrf_token": csrf_token(review_testapp.get("/"))})
    login(review_testapp, users["reviewer"])
    page = review_testapp.get(f"/documents/{note.id}")
    expire = page.html.find("form", attrs={"data-transition": "expire"})
    assert expire.button.get("disabled") is not None
    assert "只有以下角色可以执行“过期”：系统（期限巡检）" in expire.text


def test_a_refused_transition_shows_the_reason_and_changes_nothing(
        review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["staff"])
    token = csrf_token(review_testapp.get("/"))
    page = review_testapp.post(f"/documents/{note.id}/transitions/approve", {"csrf_token": token}, status=403)
    assert "只有以下角色可以执行“批准”：审核员（信息办）" in page.html.find(id="transition-error").text
    assert page.html.find(id="state").text.strip() == "草稿"
    assert note.state == "draft" and len(history.entries(dbsession, note.id)) == 1


def test_who_may_not_view_may_not_act(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["reviewer"])  # a reviewer does not see another unit's draft
    review_testapp.get(f"/documents/{note.id}", status=403)
    token = csrf_token(review_testapp.get("/"))
    review_testapp.post(f"/documents/{note.id}/transitions/approve", {"csrf_token": token}, status=403)
    assert note.state == "draft"


def test_a_stale_form_is_a_conflict(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["staff"])
    stale = review_testapp.get(f"/documents/{note.id}").forms["transition-submit"]
    stale.submit(status=303)  # first submission wins
    token = csrf_token(review_testapp.get("/"))
    page = review_testapp.post(f"/documents/{note.id}/transitions/submit",
                               {"csrf_token": token, "version": "1"}, status=409)
    assert "已被他人修改" in page.html.find(id="transition-error").text
    assert len(history.entries(dbsession, note.id)) == 2


def test_required_comment_and_unknown_transition(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["staff"])
    token = csrf_token(review_testapp.get("/"))
    review_testapp.post(f"/documents/{note.id}/transitions/submit", {"csrf_token": token}, status=303)
    review_testapp.post("/logout", {"csrf_token": csrf_token(review_testapp.get("/"))})
    login(review_testapp, users["reviewer"])
    token = csrf_token(review_testapp.get("/"))
    page = review_testapp.post(f"/documents/{note.id}/transitions/return", {"csrf_token": token}, status=400)
    assert "必须填写意见" in page.text
    review_testapp.post(f"/documents/{note.id}/transitions/fly", {"csrf_token": token}, status=400)


def test_other_units_cannot_view_or_act(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users)
    login(review_testapp, users["other_staff"])
    review_testapp.get(f"/documents/{note.id}", status=403)
    token = csrf_token(review_testapp.get("/"))
    review_testapp.post(f"/documents/{note.id}/transitions/submit", {"csrf_token": token}, status=403)
    assert note.state == "draft"


def test_unknown_and_malformed_document_ids(review_testapp, users):
    login(review_testapp, users["staff"])
    review_testapp.get("/documents/999999999", status=404)
    review_testapp.get("/documents/abc", status=404)
    review_testapp.get(f"/documents/{2**70}", status=404)


def test_titles_are_escaped_in_the_page_and_the_diagram(review_testapp, dbsession, review_workflows, users):
    note = _note(dbsession, review_workflows, users, title="<script>alert(1)</script>")
    login(review_testapp, users["staff"])
    page = review_testapp.get(f"/documents/{note.id}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert not re.search(r"<script>alert", page.text)
