"""Attachments over HTTP: upload (sniffed, size-limited, 'edit' only), download ('view' only, safe headers)."""
from urllib.parse import quote

import pytest

from xietong.models import Attachment
from xietong.services import content
from xietong.services.attachments import MAX_BYTES, add_attachment, attachments_of
from xietong.services.workflow import Actor, fire
from xietong.testing import csrf_token, login
from xietong.views.attachments import MAX_REQUEST_BYTES, ascii_filename
from tests.test_content import filing_data

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
DOCX = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 40


@pytest.fixture
def filing(dbsession, workflows, people):
    """A draft filing of the public security bureau (gonganju), created by its staff member."""
    return content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))


def logged_in(testapp, username) -> str:
    """Log in (afresh); return the session's CSRF token (every page's logout form carries it)."""
    testapp.reset()
    login(testapp, username)
    return csrf_token(testapp.get("/"))


def upload(testapp, document, token, name, data, status=303):
    return testapp.post(f"/documents/{document.id}/attachments", {"csrf_token": token},
                        upload_files=[("file", name, data)], status=status)


def flashed(testapp) -> str:
    """The page after a redirect shows the flash; any page pops it."""
    return testapp.get("/notifications").text


@pytest.mark.parametrize("name, data, kind", [
    ("建设方案.pdf", PDF, "application/pdf"),
    ("拓扑图.png", PNG, "image/png"),
    ("运维合同.docx", DOCX, "application/zip"),
    ("说明.txt", "整合共享说明\n".encode(), "text/plain; charset=utf-8"),
])
def test_staff_uploads_allowed_kinds(testapp, dbsession, filing, users, name, data, kind):
    token = logged_in(testapp, users["staff"])
    response = upload(testapp, filing, token, name, data)
    assert response.location.endswith(f"/documents/{filing.id}#attachments")
    assert f"已上传附件：{name}" in flashed(testapp)
    [attachment] = attachments_of(dbsession, filing.id)
    assert (attachment.filename, attachment.content_type, attachment.size) == (name, kind, len(data))


@pytest.mark.parametrize("name, data, message", [
    ("setup.exe", EXE, "只能上传 PDF、图片、Office 和 OFD 文档、zip 压缩包及 UTF-8 文本文件"),
    ("截图.pdf", PNG, "文件内容与文件名“截图.pdf”不符"),
    ("空.pdf", b"", "文件为空"),
])
def test_wrong_kinds_are_refused_with_the_reason(testapp, dbsession, filing, users, name, data, message):
    token = logged_in(testapp, users["staff"])
    upload(testapp, filing, token, name, data)
    assert message in flashed(testapp)
    assert attachments_of(dbsession, filing.id) == []


def test_a_file_over_the_limit_is_refused(testapp, dbsession, filing, users):
    token = logged_in(testapp, users["staff"])
    upload(testapp, filing, token, "大文件.pdf", PDF + b"0" * (MAX_BYTES - len(PDF) + 1))
    assert "单个文件不能超过 10 MB" in flashed(testapp)
    assert attachments_of(dbsession, filing.id) == []


def test_a_body_over_the_limit_is_refused_unparsed(testapp, dbsession, filing, users):
    token = logged_in(testapp, users["staff"])
    data = PDF + b"0" * (MAX_REQUEST_BYTES + 1)
    upload(testapp, filing, token, "更大.pdf", data)
    assert "单个文件不能超过 10 MB" in flashed(testapp)
    # refused before the body was parsed: even a missing CSRF token is not reached
    testapp.post(f"/documents/{filing.id}/attachments", {"csrf_token": "wrong"},
                 upload_files=[("file", "更大.pdf", data)], status=303)
    assert attachments_of(dbsession, filing.id) == []


def test_upload_needs_the_csrf_token_and_a_file(testapp, dbsession, filing, users):
    token = logged_in(testapp, users["staff"])
    testapp.post(f"/documents/{filing.id}/attachments", {"csrf_token": "forged"},
                 upload_files=[("file", "a.pdf", PDF)], status=400)
    testapp.post(f"/documents/{filing.id}/attachments", {"csrf_token": token}, status=303)
    assert "请选择要上传的文件" in flashed(testapp)
    assert attachments_of(dbsession, filing.id) == []


def test_upload_needs_edit_permission(testapp, dbsession, workflows, filing, people, users):
    token = logged_in(testapp, users["other_staff"])  # another unit: may not even see the draft
    upload(testapp, filing, token, "a.pdf", PDF, status=403)
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    token = logged_in(testapp, users["staff"])  # submitted: the unit may view, no longer edit
    response = upload(testapp, filing, token, "a.pdf", PDF, status=403)
    assert "denial-reason" in response.text
    assert attachments_of(dbsession, filing.id) == []


@pytest.fixture
def attachment(dbsession, filing, people) -> Attachment:
    return add_attachment(dbsession, filing, "整改报告（2018）.pdf", PDF, Actor.of(people["staff"]))


def test_download_sends_the_file_with_safe_headers(testapp, attachment, users):
    logged_in(testapp, users["head"])  # the unit's head: 'view' on the draft
    response = testapp.get(f"/attachments/{attachment.id}", status=200)
    assert response.body == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="2018.pdf"' in disposition
    assert f"filename*=UTF-8''{quote('整改报告（2018）.pdf', safe='')}" in disposition
    assert "%E6%95%B4%E6%94%B9" in disposition  # 整改, percent-encoded UTF-8
    disposition.encode("latin-1")  # a header must be Latin-1: nothing unencoded


def test_a_text_file_keeps_its_charset(testapp, dbsession, filing, people, users):
    text = add_attachment(dbsession, filing, "说明.txt", "说明".encode(), Actor.of(people["staff"]))
    logged_in(testapp, users["staff"])
    response = testapp.get(f"/attachments/{text.id}")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.body.decode("utf-8") == "说明"


def test_download_needs_view_on_the_document(testapp, attachment, users):
    testapp.get(f"/attachments/{attachment.id}", status=302)  # anonymous: to the login page
    assert "/login" in testapp.get(f"/attachments/{attachment.id}").location
    logged_in(testapp, users["other_staff"])
    response = testapp.get(f"/attachments/{attachment.id}", status=403)
    assert "denial-reason" in response.text and response.headers["Content-Type"].startswith("text/html")


def test_missing_or_trashed_attachments_are_not_found(testapp, dbsession, attachment, users):
    from xietong.services.attachments import trash_attachment

    logged_in(testapp, users["staff"])
    for bad in ("999999999", "x", str(2**70), "-1"):
        testapp.get(f"/attachments/{bad}", status=404)
    trash_attachment(dbsession, attachment)
    testapp.get(f"/attachments/{attachment.id}", status=404)


def test_ascii_fallback_names():
    assert ascii_filename("整改报告.pdf") == "attachment.pdf"
    assert ascii_filename("plan v2.docx") == "plan_v2.docx"
    assert ascii_filename("Café.txt") == "Cafe.txt"


def test_the_partial_lists_and_offers_upload_to_editors(app, dbsession, attachment, filing, people):
    from pyramid.renderers import render
    from pyramid.request import Request
    from pyramid.scripting import prepare

    def rendered(user):
        request = Request.blank("/", environ={"xietong.dbsession": dbsession, "HTTP_HOST": "localhost"})
        env = prepare(registry=app.registry, request=request)
        try:
            if user is not None:
                from xietong import sessions

                sessions.start(request, user.id)
            return render("_attachments.jinja2", {
                "document": filing, "attachments": attachments_of(dbsession, filing.id),
                "get_csrf_token": lambda: "t", "_": lambda m, **kw: str(m)}, request=request)
        finally:
            env["closer"]()

    html = rendered(people["staff"])
    assert "整改报告（2018）.pdf" in html and f"/attachments/{attachment.id}" in html
    assert 'id="upload-form"' in html and 'enctype="multipart/form-data"' in html
    assert 'id="upload-form"' not in rendered(people["reviewer"])  # may not edit a draft of another unit


def test_the_document_page_shows_the_attachments(testapp, attachment, filing, users):
    logged_in(testapp, users["staff"])
    page = testapp.get(f"/documents/{filing.id}")
    assert 'id="attachments"' in page.text and "整改报告（2018）.pdf" in page.text
    assert f"/attachments/{attachment.id}" in page.text and 'id="upload-form"' in page.text
