"""In Chromium: the workflow diagram renders (current state highlighted) and a transition is clicked."""
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.browser import log_in
from xietong.db import make_engine, write_engine
from xietong.testing import get_user, make_note
from xietong.workflow import load_or_fail

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TEST_WORKFLOWS = Path(__file__).parent / "workflows"
HIGHLIGHT = "rgb(253, 230, 138)"  # #fde68a, the "current" class of xietong.workflow.machine


@pytest.fixture
def note_server(live_server_factory, fresh_db_url):
    base = live_server_factory(**{"xietong.workflows": str(TEST_WORKFLOWS)})
    engine = make_engine(fresh_db_url)
    with Session(bind=write_engine(engine)) as session:
        note = make_note(session, load_or_fail(TEST_WORKFLOWS), get_user(session, "gaj_staff"),
                         title="关于市公安局信息系统整合的说明")
        session.commit()
        note_id = note.id
    engine.dispose()
    return base, note_id


def test_diagram_highlights_the_state_and_a_click_moves_it(open_page, shot, note_server):
    base, note_id = note_server
    page = open_page(base)
    log_in(page, "gaj_staff")
    page.goto(f"/documents/{note_id}")
    expect(page.locator("#state")).to_have_text("草稿")
    node = page.locator("#diagram svg g.node", has_text="草稿").first
    expect(node).to_be_visible()  # mermaid.js drew the SVG
    expect(node.locator("rect, path").first).to_have_css("fill", HIGHLIGHT)
    shot(page, "draft")

    form = page.locator("#transition-submit")
    form.locator("input[name=comment]").fill("请信息办审核")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("#state")).to_have_text("已提交")
    expect(page.locator(".alert-success")).to_contain_text("已完成：提交")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("请信息办审核")
    expect(history.nth(1)).to_contain_text("公安局填报员")
    expect(page.locator("#diagram svg g.node", has_text="已提交").first.locator("rect, path").first
           ).to_have_css("fill", HIGHLIGHT)
    # nothing more for the unit to do: the buttons left are disabled, each saying why
    approve = page.locator("#transition-approve button")
    expect(approve).to_be_disabled()
    expect(page.locator("#why-approve")).to_contain_text("审核员（信息办）")
    shot(page, "submitted")


def test_workflow_page_draws_the_filing_workflow(page, shot, live_server):
    log_in(page, "xxb_reviewer")
    page.goto("/workflows/filing")
    expect(page.locator("#diagram svg g.node")).to_have_count(7)  # six states and the start point
    expect(page.locator("#matrix")).to_contain_text("领导小组")
    shot(page, "filing")
