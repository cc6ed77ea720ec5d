"""In Chromium: a project filing's life across three units, through the real pages.

公安局's clerk files a compliant project through the add form and submits it; 信息办's
reviewer opens it from the worklist and passes the review; 财政局 blocks the funding,
writing the comment in the modal dialog; the page's history timeline then shows who did
what, from which unit, with the comment.  Screenshots go to this test's ``tmp_path``.
"""
import re

import pytest

from tests.browser import log_in, log_out

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TITLE = "市公安局视频监控平台运维项目"


def test_a_filing_is_filed_reviewed_and_blocked(page, live_server, tmp_path):
    shots = []

    def shot(step):
        path = tmp_path / f"{len(shots) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    # 公安局填报员 files the project
    log_in(page, "gaj_staff")
    page.goto("/my-unit")
    page.locator("#new-filing").click()
    expect(page.locator("h1")).to_have_text("新建项目备案")
    form = page.locator("#document-form form")
    form.locator("input[name=title]").fill(TITLE)
    form.locator("input[name=year]").fill("2018")
    form.locator("select[name=project_type]").select_option(label="运维")
    form.locator("select[name=funding_kind]").select_option("om")
    form.locator("input[name=amount]").fill("125.50")
    form.locator("select[name=funding_source]").select_option(label="市级财政")
    form.locator("select[name=build_mode]").select_option("government")
    form.locator("textarea[name=description]").fill("视频监控平台年度运行维护")
    form.locator("select[name=network]").select_option("extranet")
    form.locator("input[name=connected_to_exchange]").check()
    form.locator("input[name=catalogued]").check()
    shot("form")
    form.locator("button[name=submit]").click()

    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#state")).to_have_text("草稿")
    expect(page.locator("#field-amount")).to_have_text("125.50万元")
    expect(page.locator("#compliance")).to_have_text("符合共建共享要求。")
    filing_url = page.url
    assert re.search(r"/documents/\d+$", filing_url)
    page.locator("#transition-submit input[name=comment]").fill("请信息办审核")
    page.locator("#transition-submit button").click()
    expect(page.locator("#state")).to_have_text("已提交")
    shot("submitted")
    log_out(page)

    # 信息办审核员 finds it on the worklist and passes the review
    log_in(page, "xxb_reviewer")
    page.locator("#nav-worklist").click()
    row = page.locator("#worklist tbody tr", has_text=TITLE)
    expect(row.locator(".allowed")).to_contain_text("审核通过")
    shot("reviewer-worklist")
    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(filing_url)
    page.locator("#transition-review button").click()
    expect(page.locator("#state")).to_have_text("已审核")
    log_out(page)

    # 财政局经办人 blocks the funding; the comment is asked for in a modal dialog
    log_in(page, "czj_finance")
    page.goto(filing_url)
    dialog = page.locator("#modal-block_funding")
    expect(dialog).to_be_hidden()
    page.locator("#open-block_funding").click()
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=comment]").fill("本年度运维经费已统筹安排，不予重复拨付")
    shot("block-dialog")
    dialog.locator("#confirm-block_funding").click()
    expect(page.locator("#state")).to_have_text("不予拨付")
    expect(page.locator(".alert-success")).to_contain_text("不予拨付")

    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(4)
    expected = [("创建", "公安局填报员", "市公安局", ""),
                ("提交", "公安局填报员", "市公安局", "请信息办审核"),
                ("审核通过", "信息办审核员", "市信息办", ""),
                ("不予拨付", "财政局经办人", "市财政局", "本年度运维经费已统筹安排，不予重复拨付")]
    for number, (action, person, unit, comment) in enumerate(expected):
        cells = rows.nth(number).locator("td")
        expect(cells.nth(1)).to_have_text(action)
        expect(cells.nth(3)).to_have_text(person)
        expect(cells.nth(4)).to_have_text(unit)
        expect(cells.nth(5)).to_have_text(comment)
    expect(rows.nth(3).locator("td").nth(2)).to_have_text("已审核 → 不予拨付")
    shot("blocked")
    assert all(path.stat().st_size > 0 for path in shots)
    print("screenshots:", *shots, sep="\n  ")
