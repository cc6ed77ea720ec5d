"""A filing's contact phone (联系电话) is personal data: validated on the way in, shown in full to
the filing's unit, the reviewer, finance and administrators, masked for everyone else — on the
document page, in its field-change history and in the API — and never put into the search text.
"""
from xietong.models import Node
from xietong.services import privacy
from xietong.services.privacy import PHONE_READERS, mask_phone
from xietong.testing import login

from .test_api_documents import api, error_of, filing_body  # noqa: F401 (api is a fixture)

MOBILE, MASKED_MOBILE = "13812345678", "138****5678"
LANDLINE, MASKED_LANDLINE = "0559-1234567", "0559-***4567"


def reviewed_filing(api, **fields) -> int:
    """A filing of the police bureau with a contact, submitted and reviewed (the auditor may view it)."""
    document = api["staff"].create(filing_body(contact_person="王建国", contact_phone=MOBILE, **fields)).json
    api["staff"].fire(document["id"], "submit")
    api["reviewer"].fire(document["id"], "review")
    return document["id"]


def test_the_mask_keeps_the_prefix_and_the_last_four_digits():
    for phone, masked in [(MOBILE, MASKED_MOBILE), (LANDLINE, MASKED_LANDLINE), ("010-87654321", "010-****4321"),
                          ("", "")]:
        assert mask_phone(phone) == masked


def test_a_phone_that_is_neither_mobile_nor_landline_is_refused(api):
    for phone in ["12345678901", "1381234567", "138123456789", "0559 1234567", "559-1234567", "0559-12345",
                  "+8613812345678", "1381234567x", "１３８１２３４５６７８"]:
        error = error_of(api["staff"].create(filing_body(contact_phone=phone), status=400))
        assert set(error["details"]["fields"]) == {"contact_phone"}, phone
        assert "手机号码" in error["details"]["fields"]["contact_phone"]


def test_the_form_refuses_a_bad_phone_and_saves_a_good_one(testapp, dbsession, users):
    login(testapp, users["staff"])
    form = testapp.get("/documents/add/filing").forms["deform"]
    for name, value in {"title": "公安云平台", "year": "2018", "project_type": "om", "funding_kind": "om",
                        "amount": "12.5", "funding_source": "municipal", "build_mode": "government",
                        "contact_person": "王建国", "contact_phone": "138-1234"}.items():
        form[name] = value
    form["network"] = "extranet"
    refused = form.submit("submit")
    assert refused.status_int == 200 and "请填写手机号码" in refused.text
    refused.forms["deform"]["contact_phone"] = f" {LANDLINE} "
    page = refused.forms["deform"].submit("submit").follow()
    assert LANDLINE in page.html.find(id="fields").text and "项目联系人" in page.text


def test_who_needs_the_phone_sees_it_in_full(api):
    """(Administrators are readers too, where the workflow lets them view a filing at all.)"""
    document_id = reviewed_filing(api)
    for role in ("staff", "head", "reviewer", "finance"):
        answer = api[role].get(f"/api/documents/{document_id}").json
        assert answer["contact_phone"] == MOBILE and answer["contact_person"] == "王建国", role


def test_an_auditor_sees_the_phone_masked_on_the_page_in_the_history_and_in_the_api(api, testapp, users):
    document_id = reviewed_filing(api)
    url = f"/api/documents/{document_id}"
    version = api["reviewer"].get(url).json["version"]
    api["reviewer"].patch(url, {"contact_phone": LANDLINE}, version=version)  # a correction after review

    answer = api["auditor"].get(url).json
    assert answer["contact_phone"] == MASKED_LANDLINE and answer["contact_person"] == "王建国"
    login(testapp, users["auditor"])
    page = testapp.get(f"/documents/{document_id}")
    assert MASKED_LANDLINE in page.html.find(id="fields").text
    assert MASKED_MOBILE in page.text  # the recorded change: old and new, both masked
    assert MOBILE not in page.text and LANDLINE not in page.text
    assert "1234567" not in page.text and "12345678" not in page.text


def test_the_filings_unit_sees_the_phone_in_full_in_the_history(api, testapp, users):
    document = api["staff"].create(filing_body(contact_phone=MOBILE)).json
    api["staff"].patch(f"/api/documents/{document['id']}", {"contact_phone": LANDLINE}, version=1)
    login(testapp, users["staff"])
    page = testapp.get(f"/documents/{document['id']}")
    assert MOBILE in page.text and LANDLINE in page.text


def test_the_phone_is_not_searchable(api, dbsession):
    document_id = reviewed_filing(api)
    node = dbsession.get(Node, document_id)
    assert MOBILE not in (node.search_text or "") and "公安大数据平台运维" in node.search_text
    assert api["reviewer"].get(f"/api/search?q={MOBILE[-8:]}").json["total"] == 0


def test_everyone_who_may_edit_a_filing_may_read_its_phone(workflows):
    """The edit form shows the phone unmasked (a masked value saved back would destroy it)."""
    definition = workflows.get("filing").definition
    for state in definition.states.values():
        editors = set(state.roles_for("edit"))
        assert editors <= PHONE_READERS, (state.id, editors - PHONE_READERS)
    assert privacy.PERSONAL_FIELDS == {"filing": {"contact_phone"}}
