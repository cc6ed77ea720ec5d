"""In Chromium: the leadership group's dashboard draws its ECharts charts under the CSP, and a
hostile title stays text in a chart's tooltip.  Screenshots: ``tests/screenshots/``."""
import pytest
from sqlalchemy.orm import Session

from xietong.db import make_engine, write_engine
from xietong.testing import TEST_USERS, get_user, project_workflows

from tests import dashboard_data
from tests.browser import log_in, watch
from tests.dashboard_data import HOSTILE

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SHOW_TOOLTIP_OF_TASK = """(number) => {
  const chart = echarts.getInstanceByDom(document.getElementById("chart-timeline"));
  const series = chart.getOption().series;
  for (let s = 0; s < series.length; s++) {
    const d = series[s].data.findIndex((item) => item.point.task === number);
    if (d >= 0) { chart.dispatchAction({type: "showTip", seriesIndex: s, dataIndex: d}); return true; }
  }
  return false;
}"""

TOOLTIP_TEXT = """(number) => {
  const tips = [...document.querySelectorAll("#chart-timeline div")].filter((d) => d.innerText.includes(number));
  return tips.length ? tips[tips.length - 1].innerText : null;
}"""


def add_the_known_world(url: str) -> None:
    engine = make_engine(url)
    with Session(bind=write_engine(engine)) as session:
        people = {role: get_user(session, spec[0]) for role, spec in TEST_USERS.items()}
        dashboard_data.build(session, project_workflows(), people)
        session.commit()
    engine.dispose()


def test_the_leadership_dashboard_draws_its_charts(open_page, live_server, fresh_db_url, shot):
    add_the_known_world(fresh_db_url)
    page = open_page(live_server)
    violations, errors, dialogs = watch(page)

    log_in(page, "ldxz_leader")
    expect(page.locator("#whoami")).to_be_visible()
    page.locator("#nav-dashboard").click()
    page.locator("#nav-dashboard-leadership").click()
    expect(page.locator("h1")).to_have_text("领导小组工作看板")
    charts = page.locator("[data-chart-source]")
    expect(charts).to_have_count(3)
    for number in range(3):
        expect(charts.nth(number)).to_have_attribute("data-chart-drawn", "true")
        expect(charts.nth(number).locator("svg")).to_be_visible()
    # drawn, not just initialised: the pie has a slice per status, the timeline a mark per milestone
    assert charts.nth(0).locator("svg path").count() >= 3
    assert page.locator("#chart-timeline svg path").count() >= page.locator("#table-timeline tbody tr").count()
    expect(page.locator("#scorecard")).to_contain_text(HOSTILE)  # the unit's name, as text

    assert page.evaluate(SHOW_TOOLTIP_OF_TASK, "T5-3")
    page.wait_for_function(TOOLTIP_TEXT, arg="T5-3")
    assert HOSTILE in page.evaluate(TOOLTIP_TEXT, "T5-3")  # shown as characters, not run
    assert page.locator("#chart-timeline script").count() == 0
    path = shot(page, "leadership")
    assert path.stat().st_size > 10_000

    page.goto("/dashboards/finance")
    expect(page.locator("#chart-money")).to_have_attribute("data-chart-drawn", "true")
    expect(page.locator("#money-total")).to_contain_text("300.25")
    shot(page, "finance")

    assert violations == []
    assert errors == []
    assert dialogs == []
