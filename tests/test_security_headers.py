"""Security headers and the Content-Security-Policy on every kind of response, output
escaping of hostile titles on every page that shows them, and — in Chromium — the key
pages working under the policy without a single CSP violation."""
import re

from pyramid.interfaces import IRoutesMapper
import pytest
from sqlalchemy import select

from xietong import headers
from xietong.models import Unit
from xietong.services import attachments, content
from xietong.services.workflow import Actor
from xietong.testing import csrf_token, get_user, login

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_security_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response.headers


# -- headers ---------------------------------------------------------------------------------------

def test_an_html_page_gets_the_strict_policy(testapp):
    response = testapp.get("/login")
    assert_security_headers(response)
    assert csp_directives(response) == {
        "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"], "object-src": ["'none'"], "base-uri": ["'self'"],
        "form-action": ["'self'"], "frame-ancestors": ["'none'"]}
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: meaningless there


@pytest.mark.parametrize("path,status", [
    ("/static/css/xietong.css", 200),            # our static files
    ("/deform_static/scripts/deform.js", 200),   # deform's
    ("/api/me", 401),                            # JSON
    ("/api/no-such-thing", 404),
    ("/no-such-page", 404),                      # error page
    ("/units", 302),                             # redirect to log in
])
def test_every_kind_of_response_gets_the_headers(testapp, path, status):
    response = testapp.get(path, status=status)
    assert_security_headers(response)
    assert "'unsafe-inline'" not in csp_directives(response)["script-src"]


def test_a_rejected_post_gets_the_headers(testapp):
    assert_security_headers(testapp.post("/login", {"username": "x"}, status=400))


def test_no_page_without_a_form_allows_inline_script(testapp, users):
    login(testapp, users["admin"])
    for path in ("/", "/account", "/documents", "/admin/users", "/admin/units", "/workflows", "/search?q=%E5%B9%B3%E5%8F%B0"):
        assert csp_directives(testapp.get(path))["script-src"] == ["'self'"], path


def test_a_deform_form_allows_exactly_its_own_inline_scripts(testapp, users):
    login(testapp, users["staff"])
    page = testapp.get("/documents/add/integration_plan")
    script_src = csp_directives(page)["script-src"]
    bodies = [m.group(1) for m in re.finditer(r"<script[^>]*>(.*?)</script>", page.text, re.DOTALL)
              if m.group(1).strip()]
    assert bodies and any("deform.addCallback" in body for body in bodies)
    for body in bodies:  # every inline script on the page is allowed by its hash ...
        assert headers.csp_hash(body) in script_src
    handlers = {"javascript: return deform.appendSequenceItem(this);", "javascript:deform.removeSequenceItem(this);"}
    for handler in handlers:  # ... and so are deform's two handlers (the remove one is in the prototype)
        assert headers.csp_hash(handler) in script_src
    assert "'unsafe-hashes'" in script_src and "'unsafe-inline'" not in script_src
    assert len(script_src) == 1 + 1 + len(bodies) + len(handlers)  # and nothing else


def test_hashes_come_from_the_form_not_from_the_page():
    markup = ('<form><script>deform.addCallback("a")</script><script src="/x.js"></script>'
              '<a onclick="go(&quot;x&quot;)">x</a>'
              '<input type="hidden" prototype="%3Cbutton%20onclick%3D%22del()%22%3E%3C%2Fbutton%3E"></form>')
    scripts, handlers = headers.inline_script_hashes(markup)
    assert scripts == {headers.csp_hash('deform.addCallback("a")')}
    assert handlers == {headers.csp_hash('go("x")'), headers.csp_hash("del()")}
    # the browser hashes the text with CRLF normalised to LF
    assert headers.csp_hash("a\r\nb") == headers.csp_hash("a\nb")


def test_attachments_keep_their_own_stricter_policy(testapp, dbsession, users):
    login(testapp, users["staff"])
    staff = get_user(dbsession, users["staff"])
    filing = content.create(dbsession, testapp.app.registry["workflows"], "filing", filing_data(),
                            Actor.of(staff))
    attachment = attachments.add_attachment(dbsession, filing, "说明.txt", "纯文本".encode("utf-8"), Actor.of(staff))
    response = testapp.get(f"/attachments/{attachment.id}")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


# -- escaping --------------------------------------------------------------------------------------

def filing_data(**overrides):
    data = {"title": "公安大数据平台运维", "year": 2018, "project_type": "om", "funding_kind": "om",
            "amount": "125.50", "funding_source": "municipal", "build_mode": "government",
            "description": "年度运维", "systems": [],
            "compliance": {"network": "extranet", "connected_to_exchange": True, "catalogued": True,
                           "duplicates_existing": False}}
    data.update(overrides)
    return data


def assert_escaped(page, *, expect_shown=True):
    assert EVIL not in page.text and "<script>alert" not in page.text
    if expect_shown:
        assert ESCAPED in page.text


def test_a_hostile_document_title_is_text_everywhere(testapp, dbsession, users):
    login(testapp, users["staff"])
    form = testapp.get("/documents/add/filing").forms["deform"]
    for name, value in {"title": EVIL, "year": "2018", "project_type": "om", "funding_kind": "om",
                        "amount": "10", "funding_source": "municipal", "build_mode": "government",
                        "description": EVIL, "network": "extranet"}.items():
        form[name] = value
    created = form.submit("submit", status=303)
    document = created.follow()
    flash = document.html.find(class_="alert-success")
    assert EVIL in flash.text  # shown as text in the flash message ...
    assert_escaped(document)   # ... and on the document page (h1, breadcrumb, <title>, fields)
    assert document.html.find("h1").text == EVIL
    assert document.html.find("title").text.startswith(EVIL)
    diagram = document.html.find("pre", class_="mermaid")
    assert diagram is not None and diagram.find("script") is None

    # the history: an edit of the title and a transition comment
    url = created.location
    edit = testapp.get(url + "/edit")
    assert_escaped(edit)  # in the edit form's input values
    form = edit.forms["deform"]
    form["title"] = EVIL + " 2"
    document = form.submit("submit", status=303).follow()
    token = csrf_token(document)
    doc_id = int(url.rsplit("/", 1)[1])
    testapp.post(f"/documents/{doc_id}/transitions/submit", {"csrf_token": token, "comment": EVIL}, status=303)
    document = testapp.get(url)
    assert_escaped(document)
    history = document.html.find(id="history").get_text(" ")
    assert f"{EVIL} → {EVIL} 2" in history and history.count(EVIL) >= 3

    for path in ("/documents", "/documents?type=filing", "/my-unit"):
        assert_escaped(testapp.get(path))
    assert_escaped(testapp.get("/worklist"), expect_shown=False)
    search = testapp.get("/search?q=alert")  # the hit is highlighted inside the escaped title
    assert_escaped(search, expect_shown=False)
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in search.text


def test_a_hostile_unit_and_user_name_are_text_in_the_admin_lists(testapp, dbsession, users):
    login(testapp, users["admin"])
    form = testapp.get("/admin/units/add").forms["deform"]
    for name, value in {"code": "evil", "name": EVIL, "short_name": EVIL + "短", "kind": "department"}.items():
        form[name] = value
    form.submit("submit", status=303)
    form = testapp.get("/admin/users/add").forms["deform"]
    for name, value in {"username": "mallory", "display_name": EVIL, "unit": "evil", "unit_role": "staff",
                        "password": "initial-secret-1", "password-confirm": "initial-secret-1"}.items():
        form[name] = value
    listing = form.submit("submit", status=303).follow()
    assert_escaped(listing)  # the user list (display name, unit short name)
    for path in ("/admin/units", "/units", "/admin/audit"):
        assert_escaped(testapp.get(path))
    unit = dbsession.scalars(select(Unit).where(Unit.code == "evil")).one()
    assert_escaped(testapp.get(f"/units/{unit.url_name}"))
    assert_escaped(testapp.get("/admin/users/add"))  # the unit in the form's select

    # the hostile user logs in: the welcome flash, the navigation bar, the account page
    testapp.reset()
    home = login(testapp, "mallory", password="initial-secret-1").follow()
    assert_escaped(home)
    assert EVIL in home.html.find(class_="alert-success").text
    assert_escaped(testapp.get("/account"))


def test_a_hostile_title_in_the_trash_flash(testapp, dbsession, users):
    staff = get_user(dbsession, users["staff"])
    filing = content.create(dbsession, testapp.app.registry["workflows"], "filing", filing_data(title=EVIL),
                            Actor.of(staff))
    login(testapp, users["staff"])
    page = testapp.get(f"/documents/{filing.id}")
    landing = testapp.post(f"/documents/{filing.id}/trash", {"csrf_token": csrf_token(page)},
                           status=303).follow()
    assert_escaped(landing)
    assert EVIL in landing.html.find(class_="alert-success").text


# -- in Chromium -----------------------------------------------------------------------------------

@pytest.mark.browser
def test_key_pages_run_under_the_policy_without_violations(open_page, live_server, shot):
    expect = pytest.importorskip("playwright.sync_api").expect
    from tests.browser import log_in, log_out, watch

    page = open_page(live_server)
    violations, errors, dialogs = watch(page)

    hostile = '<img src=x onerror="alert(2)">' + EVIL
    log_in(page, "gaj_staff")
    expect(page.locator("#whoami")).to_be_visible()

    # the document add form (deform, hand-filled) and the new document with its mermaid diagram
    page.goto("/documents/add/filing")
    form = page.locator("#document-form form")
    form.locator("input[name=title]").fill(hostile)
    form.locator("input[name=year]").fill("2018")
    form.locator("select[name=project_type]").select_option("om")
    form.locator("select[name=funding_kind]").select_option("om")
    form.locator("input[name=amount]").fill("12.5")
    form.locator("select[name=funding_source]").select_option("municipal")
    form.locator("select[name=build_mode]").select_option("government")
    form.locator("select[name=network]").select_option("extranet")
    form.locator("button[name=submit]").click()
    expect(page.locator("h1")).to_have_text(hostile)
    expect(page.locator(".alert-success")).to_contain_text(hostile)
    expect(page.locator("#diagram svg")).to_be_visible()  # mermaid drew the diagram
    shot(page, "document")
    document_url = page.url

    # the integration plan's sequence widget: its inline script and onclick handlers run
    page.goto("/documents/add/integration_plan")
    items = page.locator(".deform-seq-item")
    count = items.count()
    page.locator(".deform-seq-add").first.click()
    expect(items).to_have_count(count + 1)
    items.last.locator(".deform-close-button").click()
    expect(items).to_have_count(count)
    shot(page, "plan-form")

    for path in ("/", "/documents", "/search?q=img", "/account", "/workflows"):
        page.goto(path)
        expect(page.locator("h1").first).to_be_visible()
    page.goto(document_url)
    expect(page.locator("#diagram svg")).to_be_visible()
    log_out(page)

    # the administrator's forms
    log_in(page, "admin")
    for path in ("/admin/users", "/admin/users/add", "/admin/units", "/admin/units/add", "/password"):
        page.goto(path)
        expect(page.locator("h1").first).to_be_visible()
    page.locator("#nav-account").click()
    expect(page).to_have_url(f"{live_server}/account")
    shot(page, "account")

    assert violations == []
    assert errors == []
    assert dialogs == []  # nothing hostile ran


# -- CSRF ------------------------------------------------------------------------------------------

def test_every_unsafe_html_request_needs_the_csrf_token(testapp, dbsession, users):
    """Every HTML route (the API excepted), whatever its view, refuses a POST without the token.

    Pyramid checks permissions before the token, so each route is asked as someone allowed there.
    """
    staff = get_user(dbsession, users["staff"])
    workflows = testapp.app.registry["workflows"]
    filing = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(staff))
    attachment = attachments.add_attachment(dbsession, filing, "a.txt", b"text", Actor.of(staff))
    unit = dbsession.scalars(select(Unit).where(Unit.code == "gonganju")).one()
    values = {"id": str(filing.id), "type": "filing", "transition": "submit", "code": "en",
              "name": unit.url_name, "milestone": "1"}
    special = {"admin_user_edit": {"id": str(staff.id)}, "admin_user_reset": {"id": str(staff.id)},
               "admin_unit_edit": {"id": str(unit.id)}, "attachment": {"id": str(attachment.id)},
               "account_token_revoke": {"id": "1"}, "workflow": {"id": filing.workflow_id}}
    as_admin = {"admin_unit_add", "admin_user_add", "admin_audit", "admin_unit_edit", "admin_user_edit",
                "admin_units", "admin_users", "admin_user_reset", "trash", "document_restore"}
    as_head = {"document_sharing"}
    takes_post = {}  # route -> whether any of its views answers a POST
    for view in testapp.app.registry.introspector.get_category("views"):
        name, methods = view["introspectable"]["route_name"], view["introspectable"]["request_methods"]
        if name and not name.startswith(("api", "__")):
            takes_post[name] = takes_post.get(name, False) or methods is None or "POST" in methods
    mapper = testapp.app.registry.getUtility(IRoutesMapper)
    for name, post in sorted(takes_post.items()):
        testapp.reset()
        if name != "login":
            login(testapp, users["admin"] if name in as_admin else users["head"] if name in as_head
                  else users["staff"])
        path = mapper.get_route(name).generate({**values, **special.get(name, {})})
        response = testapp.post(path, {"logout_everywhere": "1"}, status="*")
        assert response.status_int == (400 if post else 404), f"{name} {path}: {response.status}"
    assert len([name for name, post in takes_post.items() if post]) > 30
