"""The permission matrix: every workflow file × state × principal × permission and transition,
asked of the HTML pages and of the JSON API, answered from the workflow files alone.

What the files allow must work; everything else must be refused — 403 for a logged-in
person, a redirect to the login page (HTML) or 401 (API) for an anonymous one — and a
document another unit may not see must not leak through ids in URLs, attachment
downloads, listings, search results or worklists.

How the cases are made
    At import time the project's ``workflows/*.yaml`` are read with
    :func:`xietong.workflow.load_or_fail` (the same loader and checks as the application)
    and turned into cases, each with the answer the file gives:

    * :data:`PERMISSION_CASES` — (workflow, state, principal, permission) for ``view``,
      ``edit``, ``delete`` and ``manage``;
    * :data:`TRANSITION_CASES` — (workflow, state, principal, transition) for every
      transition leaving every state;
    * :data:`LISTING_CASES` — (workflow, state, principal): where the document must and
      must not show up (``/documents``, ``/search``, ``/worklist`` and their API twins);
    * :data:`IDOR_CASES` — (workflow, state) where another unit's staff may not view.

    A new workflow file, state, transition or role in a map adds cases by itself; a new
    content type needs a recipe in :data:`CREATORS` and :func:`document_data` (the module
    fails at import without one).  A case is named ``workflow-state-principal-action-yes|no``
    (``yes``: the file allows it); a mismatch is reported under that name with the
    request, the expected and the actual answer.

    The cases run grouped by (workflow, principal) — :func:`test_matrix` — because a
    login costs an argon2 verification (~0.25 s here) and logins are rows rolled back
    with each test: one group logs in once through the real login form and fetches one
    token from ``POST /api/auth/token``, then runs all its cases, one document per state,
    and reports every mismatch of the group at once.

The principals (:data:`PRINCIPALS`), and the document each one is tried on
    Every document is made in the unit of the test users ``staff`` and ``head``
    (市公安局).  Per content type two creators make the documents: A by the first,
    B by the second (a unit's ``staff`` / ``head`` for systems, filings and plans; a
    ``reviewer`` / ``leader`` for rectification orders, made *in* that unit too — the
    rules do not care which unit issues an order, and so the unit's staff and head can
    be tried on it).  ``lead`` and ``contributor`` are the other unit's staff
    (``other_staff``, 市工商局) on a copy of A carrying a :class:`LocalRole` row that grants
    that role to their unit.  A rectification order's own target unit (granted
    ``contributor`` by the service) is a unit no test user belongs to.

    ==============  =====================  =========  ==========================================
    principal       user                   document   roles meant (checked against the database)
    ==============  =====================  =========  ==========================================
    anonymous       nobody                 A          anonymous
    owner           creator of A           A          staff + owner (orders: reviewer + owner)
    staff           ``staff``              B          staff (orders: on A, owned by a reviewer)
    head            ``head``               A          head
    other_staff     ``other_staff``        A          — (staff of another unit)
    reviewer        ``reviewer``           A          reviewer (orders: on B, owned by a leader)
    finance …       global-role users      A          that global role (``admin`` included)
    lead            ``other_staff``        A + row    lead
    contributor     ``other_staff``        A + row    contributor
    ==============  =====================  =========  ==========================================

    Every user also holds ``authenticated``.  The expected answer is computed by
    :func:`roles_held` — the rules of step 2 of :mod:`xietong.security`'s docstring
    restated here from the database rows (global roles, unit and unit role, owner,
    local-role rows), *not* :func:`xietong.security.roles_on`, or the test would check
    the code against itself — intersected with the state's permission map or the
    transition's roles.  ``system`` is the deadline sweeper's alone: a person never
    holds it, whatever a row says (:func:`test_the_system_role_is_never_a_persons`).

Reaching a state
    The document is created through :func:`xietong.services.content.create` (valid data,
    so the guards — ``required_fields_complete``, ``sharing_compliant``, ``plan_has_items``,
    ``plan_items_done`` — pass) and then its ``state`` is set on the row and flushed.
    Firing the real transitions to get there would test the transitions again for every
    case (their own tests do that) and cost the run several times over; what is checked
    here is who may do what *in* a state, which the application computes from ``state``
    alone (DESIGN.md: nothing is copied into rows).  Everything happens inside the test's
    rolled-back ``dbsession``; a successful delete or transition is undone on the row
    before the next request.

What "works" and "refused" mean per channel
    ========== =============================================== ======= ======= =========
    permission request                                          allowed denied  anonymous
    ========== =============================================== ======= ======= =========
    view       GET /documents/{id}                              200     403     302 login
               GET /attachments/{id} (a PDF on the document)    200     403     302 login
               GET /api/documents/{id}, …/@workflow             200     403     401
    edit       GET /documents/{id}/edit                         200     403     302 login
               POST /documents/{id}/attachments (upload)        303     403     302 login
               PATCH /api/documents/{id} (If-Match)             200     403     401
    delete     POST /documents/{id}/trash (CSRF token)          303     403     302 login
               DELETE /api/documents/{id}                       204     403     401
    manage     GET /documents/{id}/sharing                      200     403     302 login
               POST …/sharing revoking nothing                  400*    403     302 login
    transition POST /api/documents/{id}/@workflow/{t}           200     403     401
               POST /documents/{id}/transitions/{t}             303     403     302 login
               POST /worklist/bulk (when it may view)           moves   stays   —
               GET …/@workflow lists it ``allowed``             true    false   —
    ========== =============================================== ======= ======= =========

    (*) the sharing form refuses to revoke a grant that does not exist — a 400 means the
    request got past the permission check.  Allowed writes are also checked to have
    happened (title changed, trashed, attachment added, state moved to the file's
    target), refused ones not to.  A transition allowed by role is sent with a comment
    (unless the file says ``comment: none``) and must succeed; a refused one must be
    refused for the role (``details.kind == "role"``) or because the person may not
    view the document at all — never for a guard or a missing comment.

    Listings (:data:`LISTING_CASES`): the document is in ``/documents``, ``/search?q=<a
    word only its title has>``, ``/api/documents`` and ``/api/search`` exactly when the
    principal may view it, and in ``/worklist`` and ``/api/worklist`` exactly when they
    may view it *and* hold a role of a transition leaving its state (the worklist's
    documented meaning — :mod:`xietong.api.workflow`; guards are not evaluated there).

IDOR sweep (:data:`IDOR_CASES`, :func:`test_other_units_cannot_reach_the_documents`)
    A document of unit A (with an attachment and a unique title word) in a state where
    unit B's staff may not view it: the owner finds it (the control — otherwise the
    negative checks would prove nothing), B finds it nowhere: not in the listings (also
    filtered by A's unit, type and state), ``/my-unit``, the search page and API (also
    filtered), the worklist and its API, and every id-addressed URL refuses: the page,
    edit form, sharing page, copy, attachment download, the API document and workflow,
    every transition, and the worklist's bulk action.
    The dashboards and exports are swept too: the unit dashboard and the filings workbook
    (open to everyone logged in) leave the document out, the leadership and finance pages
    and the task workbooks refuse B's staff.  :func:`test_no_unswept_export_or_dashboard_routes`
    fails as soon as another route that looks like one appears, so that it gets added here.
"""
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
import re
import uuid

import pytest
import webtest
from sqlalchemy import and_, or_, select

from xietong.models import KeyTask, LocalRole, Node, Unit, UserRole
from xietong.services import content
from xietong.services.attachments import add_attachment, attachments_of
from xietong.services.workflow import Actor
from xietong.testing import PASSWORD, csrf_token, get_user, login
from xietong.workflow import load_or_fail

WORKFLOWS = load_or_fail(Path(__file__).resolve().parents[1] / "workflows")

PERMISSIONS = ("view", "edit", "delete", "manage")

#: the documents' unit (its staff and head are the test users ``staff``/``head``)
DOCUMENT_UNIT = "gonganju"
#: the unit of ``other_staff``, granted ``lead``/``contributor`` on the local-role variants
OTHER_UNIT = "gongshangju"
#: a rectification order's target unit: no test user belongs to it
TARGET_UNIT = "zhijianju"
#: per content type, the test users (keys of ``xietong.testing.TEST_USERS``) who create documents A and B
CREATORS = {
    "information_system": ("staff", "head"),
    "filing": ("staff", "head"),
    "integration_plan": ("staff", "head"),
    "rectification_order": ("reviewer", "leader"),
    "key_task": ("reviewer", "leader"),
    "progress_report": ("staff", "head"),
    "annual_report": ("staff", "head"),
    "aggregate_report": ("reviewer", "leader"),
}
#: the key task progress reports are written on: 市公安局 cooperates on it, and its lead unit
#: (市政务服务中心, granted ``lead`` on every report) is no test user's unit
REPORTED_TASK = "10"
#: every case document's title starts so (then a word of its own); nothing else in the database does
TITLE_PREFIX = "权限矩阵核查"

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass(frozen=True)
class Principal:
    name: str
    user: str | None  # key of xietong.testing.TEST_USERS; None: anonymous
    variant: str  # the document tried: "A", "B", "lead" or "contributor"
    roles: frozenset  # the roles meant to be held there (checked against the database)


def _principals(type_name: str) -> dict[str, Principal]:
    a_creator, _b_creator = CREATORS[type_name]
    owner_roles = {"staff"} if a_creator == "staff" else {a_creator}
    table = [
        ("anonymous", None, "A", {"anonymous"}),
        ("owner", a_creator, "A", {"authenticated", "owner", *owner_roles}),
        ("staff", "staff", "B" if a_creator == "staff" else "A", {"authenticated", "staff"}),
        ("head", "head", "A", {"authenticated", "head"}),
        ("other_staff", "other_staff", "A", {"authenticated"}),
        ("reviewer", "reviewer", "B" if a_creator == "reviewer" else "A", {"authenticated", "reviewer"}),
        ("finance", "finance", "A", {"authenticated", "finance"}),
        ("auditor", "auditor", "A", {"authenticated", "auditor"}),
        ("leader", "leader", "A", {"authenticated", "leader"}),
        ("admin", "admin", "A", {"authenticated", "admin"}),
        ("lead", "other_staff", "lead", {"authenticated", "lead"}),
        ("contributor", "other_staff", "contributor", {"authenticated", "contributor"}),
    ]
    return {name: Principal(name, user, variant, frozenset(roles)) for name, user, variant, roles in table}


def _type_of(compiled) -> str:
    (type_name,) = compiled.definition.types  # one type per workflow in this project
    if type_name not in CREATORS:
        raise LookupError(f"no document recipe for type {type_name!r} (workflow {compiled.id}): "
                          "add it to CREATORS and document_data()")
    return type_name


PRINCIPALS = {_type_of(c): _principals(_type_of(c)) for c in WORKFLOWS}


def person_roles(roles: frozenset) -> frozenset:
    """``system`` is the sweeper's; a person may not act with it, whatever grants it."""
    return roles - {"system"}


@dataclass(frozen=True)
class Case:
    kind: str  # "permission", "transition", "listing" or "idor"
    workflow: str
    state: str
    principal: str
    action: str  # the permission or transition id; "listed"; "idor"
    expected: bool

    def __str__(self) -> str:
        return f"{self.workflow}-{self.state}-{self.principal}-{self.action}-{'yes' if self.expected else 'no'}"

    @property
    def definition(self):
        return WORKFLOWS[self.workflow].definition


def _generate():
    cases = {"permission": [], "transition": [], "listing": [], "idor": []}
    for compiled in WORKFLOWS:
        definition, principals = compiled.definition, PRINCIPALS[_type_of(compiled)]
        for state_id, state in definition.states.items():
            leaving = definition.transitions_from(state_id)
            for p in principals.values():
                viewable = bool(p.roles & state.roles_for("view"))
                cases["listing"].append(Case("listing", compiled.id, state_id, p.name, "listed", viewable))
                for permission in PERMISSIONS:
                    cases["permission"].append(Case("permission", compiled.id, state_id, p.name, permission,
                                                    bool(p.roles & state.roles_for(permission))))
                for transition in leaving:
                    cases["transition"].append(Case("transition", compiled.id, state_id, p.name, transition.id,
                                                    bool(person_roles(p.roles) & transition.roles)))
            if not principals["other_staff"].roles & state.roles_for("view"):
                cases["idor"].append(Case("idor", compiled.id, state_id, "other_staff", "idor", False))
    return cases["permission"], cases["transition"], cases["listing"], cases["idor"]


PERMISSION_CASES, TRANSITION_CASES, LISTING_CASES, IDOR_CASES = _generate()

#: (workflow, principal) -> its cases, listings first (they read, the others write and undo)
GROUPS: dict[tuple[str, str], list[Case]] = {}
for _case in LISTING_CASES + PERMISSION_CASES + TRANSITION_CASES:
    GROUPS.setdefault((_case.workflow, _case.principal), []).append(_case)


# -- the expected roles, restated from security.py's docstring -------------------------------------

def roles_held(dbsession, user, document) -> frozenset:
    """The roles ``user`` holds on ``document`` by the rules of :mod:`xietong.security`, step 2.

    Restated from the database rows, independently of ``security.roles_on``: no user →
    ``anonymous``; otherwise ``authenticated``, the user's global roles (``user_roles``),
    their unit role when the document belongs to their unit, ``owner`` when they own it,
    and the local roles granted on the document to them or to their unit — never ``system``.
    """
    if user is None:
        return frozenset({"anonymous"})
    held = {"authenticated"}
    held.update(dbsession.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    if user.unit_role and user.unit_id == document.unit_id:
        held.add(user.unit_role)
    if document.owner_id == user.id:
        held.add("owner")
    held.update(dbsession.scalars(select(LocalRole.role).where(
        LocalRole.node_id == document.id,
        or_(LocalRole.user_id == user.id, and_(LocalRole.unit_id.is_not(None), LocalRole.unit_id == user.unit_id)))))
    return person_roles(frozenset(held))


# -- documents and clients ------------------------------------------------------------------------------

def unit(dbsession, code: str) -> Unit:
    return dbsession.execute(select(Unit).where(Unit.code == code)).scalar_one()


def document_data(dbsession, workflows, type_name: str, creator, title: str, year: int) -> dict:
    """Valid data for ``type_name`` that lets every guard of its workflow pass."""
    if type_name == "filing":
        return {"title": title, "year": year, "project_type": "om", "funding_kind": "om",
                "amount": Decimal("125.50"), "funding_source": "municipal", "build_mode": "government",
                "description": "年度运维", "systems": [],
                "compliance": {"network": "extranet", "connected_to_exchange": True, "catalogued": True,
                               "duplicates_existing": False}}
    if type_name == "information_system":
        return {"title": title, "function": "视频监控", "status": "in_use", "network": "extranet",
                "connected_to_exchange": True, "catalogued": True}
    if type_name == "integration_plan":  # one per unit and year: ``year`` differs per document of a test
        listed = content.create(dbsession, workflows, "information_system", {
            "title": "清单所列系统", "function": "治安管理", "status": "in_use", "network": "extranet",
            "connected_to_exchange": True, "catalogued": True}, Actor.of(creator), unit=unit(dbsession, DOCUMENT_UNIT))
        return {"title": title, "year": year, "description": "年度整合",
                "items": [{"system": listed.id, "action": "keep", "target_system": None,
                           "due_date": date(year, 2, 28), "done_date": date(year, 2, 1), "evidence": "已规范"}]}
    if type_name == "rectification_order":
        return {"title": title, "target_unit": unit(dbsession, TARGET_UNIT).id, "basis": "实施方案第二部分",
                "findings": "两个系统长期闲置", "due_date": date(year, 3, 31), "doc_number": f"黄信办〔{year}〕3号"}
    if type_name == "key_task":  # made by make_key_task: tasks come from the seed, not from a form
        return {"title": title, "body": "任务全文"}
    if type_name == "progress_report":
        task = dbsession.execute(select(KeyTask).where(KeyTask.number == REPORTED_TASK)).scalar_one()
        return {"title": title, "task": task.id, "percentage": 40, "text": "已完成培训"}
    if type_name == "annual_report":
        return {"title": title, "year": year, "catalogue": "已编制", "platform": "已接入", "sharing": "已共享"}
    if type_name == "aggregate_report":
        return {"title": title, "year": year, "summary": "汇总情况"}
    raise LookupError(f"no document recipe for type {type_name!r}")


def make_key_task(dbsession, workflows, data: dict, creator, in_unit: Unit) -> KeyTask:
    """A key task like the seed's (``xietong load-seed`` makes them the same way), owned by ``creator``,
    with a milestone and a pending delay request on it (so that the guard of ``request_delay`` passes:
    the task page's form files the request before it fires the transition)."""
    from xietong.models import DelayRequest, Milestone
    from xietong.services.workflow import create_document

    name = "pm-" + uuid.uuid4().hex[:8]
    task = KeyTask(name=name, path=f"/tasks/{name}/", number=name, section="key", sort_order=99,
                   unit_id=in_unit.id, owner=creator, search_text=data["title"], **data)
    task.milestones.append(Milestone(title="节点", due_date=date(2018, 1, 31), original_due_date=date(2018, 1, 31)))
    create_document(dbsession, workflows, task, Actor.of(creator))
    dbsession.add(DelayRequest(task_id=task.id, milestone_id=task.milestones[0].id,
                               requested_due_date=date(2018, 3, 31), reason="待协调"))
    return task


class Client:
    """One principal's WebTest client: a session cookie for HTML, a bearer token for /api."""

    def __init__(self, app: webtest.TestApp, principal: str, token: str | None, csrf: str):
        self.app, self.principal, self.token, self.csrf = app, principal, token, csrf

    @property
    def anonymous(self) -> bool:
        return self.token is None

    def get(self, url, params=None):
        return self.app.get(url, params or {}, status="*")

    def post(self, url, params=None, upload_files=None):
        return self.app.post(url, {**(params or {}), "csrf_token": self.csrf}, upload_files=upload_files,
                             status="*")

    def api(self, method: str, url: str, body=None, headers=None, params=None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if method == "GET":
            return self.app.get(url, params or {}, headers=headers, status="*")
        if method == "DELETE":
            return self.app.delete(url, headers=headers, status="*")
        call = {"POST": self.app.post_json, "PATCH": self.app.patch_json}[method]
        return call(url, body if body is not None else {}, headers=headers, status="*")


@dataclass
class Trial:
    """One document in one state, tried by one principal."""

    document: Node
    attachment_id: int
    client: Client
    held: frozenset
    word: str  # occurs in this document's title only


class Matrix:
    """Builds the documents and clients of the cases, inside the test's rolled-back session."""

    def __init__(self, testapp, dbsession, users, workflows):
        self.testapp, self.db, self.users, self.workflows = testapp, dbsession, users, workflows
        self.made = 0

    def user(self, key: str | None):
        return get_user(self.db, self.users[key]) if key else None

    def client(self, principal: Principal, app: webtest.TestApp | None = None) -> Client:
        """Log in through the login form and fetch a token from ``POST /api/auth/token``."""
        app = app or webtest.TestApp(self.testapp.app, extra_environ=dict(self.testapp.extra_environ))
        if principal.user is None:
            return Client(app, principal.name, None, csrf_token(app.get("/login")))
        username = self.users[principal.user]
        login(app, username)
        token = app.post_json("/api/auth/token", {"username": username, "password": PASSWORD}).json["token"]
        return Client(app, principal.name, token, csrf_token(app.get("/")))

    def document(self, workflow_id: str, state: str, variant: str):
        """A new document of the workflow's type in ``state``, with an attachment; and its unique word."""
        type_name = _type_of(WORKFLOWS[workflow_id])
        a_creator, b_creator = CREATORS[type_name]
        creator = self.user(b_creator if variant == "B" else a_creator)
        word = "pm" + uuid.uuid4().hex[:10]
        self.made += 1
        data = document_data(self.db, self.workflows, type_name, creator, TITLE_PREFIX + word, 2010 + self.made)
        if type_name == "key_task":
            document = make_key_task(self.db, self.workflows, data, creator, unit(self.db, DOCUMENT_UNIT))
        else:
            document = content.create(self.db, self.workflows, type_name, data, Actor.of(creator),
                                      unit=unit(self.db, DOCUMENT_UNIT))
        assert document.workflow_id == workflow_id
        if variant in ("lead", "contributor"):
            self.db.add(LocalRole(node_id=document.id, unit_id=unit(self.db, OTHER_UNIT).id, role=variant))
        attachment = add_attachment(self.db, document, "核查材料.pdf", PDF, Actor.of(creator))
        document.state = state  # see the module docstring: the check is about the state, not reaching it
        self.db.flush()
        self.db.expire(document, ["local_role_rows"])
        return document, attachment.id, word

    def trial(self, workflow_id: str, state: str, principal: Principal, client: Client) -> Trial:
        document, attachment_id, word = self.document(workflow_id, state, principal.variant)
        held = roles_held(self.db, self.user(principal.user), document)
        assert held == principal.roles, (
            f"fixture problem: {principal.name} was meant to hold {sorted(principal.roles)} "
            f"on the {workflow_id} document but holds {sorted(held)}")
        return Trial(document, attachment_id, client, held, word)

    def reset(self, document, state: str) -> None:
        """Undo a successful delete or transition on the row (the next request starts afresh)."""
        document.trashed_at = None
        document.state = state
        self.db.flush()


@pytest.fixture
def matrix(testapp, dbsession, users, app, key_tasks):  # progress reports are written on a seed task
    return Matrix(testapp, dbsession, users, app.registry["workflows"])


# -- judging responses ----------------------------------------------------------------------------------

def want_html(allowed: bool, anonymous: bool, ok: int) -> int:
    return 302 if anonymous else (ok if allowed else 403)


def want_api(allowed: bool, anonymous: bool, ok: int) -> int:
    return 401 if anonymous else (ok if allowed else 403)


class Verdicts:
    """The mismatches of one case, each naming the case, the request, expected and got."""

    def __init__(self, case):
        self.case, self.failures = case, []

    def status(self, label: str, response, want: int) -> bool:
        got = response.status_int
        ok = got == want and (want != 302 or "/login" in response.headers.get("Location", ""))
        if not ok:
            detail = ""
            if response.content_type == "application/json":
                detail = f" {response.text[:200]}"
            elif got == 302:
                detail = f" -> {response.headers.get('Location')}"
            self.failures.append(f"{self.case}: {label}: expected {want}, got {got}{detail}")
        return ok

    def true(self, label: str, condition: bool, message: str) -> None:
        if not condition:
            self.failures.append(f"{self.case}: {label}: {message}")


def _workbook_text(response) -> str:
    """Every cell of every sheet of an .xlsx answer, as one string."""
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(response.body), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                      for cell in row if cell is not None)


def _linked(response, document_id: int) -> bool:
    return re.search(rf'href="/documents/{document_id}"', response.text) is not None


def _ids(response) -> list:
    return [item["id"] for item in response.json["items"]]


# -- the checks of one case ----------------------------------------------------------------------------

def check_listing(case: Case, t: Trial, matrix: Matrix) -> list[str]:
    definition = case.definition
    viewable = bool(t.held & definition.states[case.state].roles_for("view"))
    actionable = any(t.held & t_.roles for t_ in definition.transitions_from(case.state))
    on_worklist = viewable and actionable
    assert viewable == case.expected
    doc, client, v = t.document, t.client, Verdicts(case)
    if client.anonymous:
        for url in ("/documents", "/search", "/worklist"):
            v.status(f"GET {url}", client.get(url, {"q": t.word} if url == "/search" else None), 302)
        for url in ("/api/documents", "/api/search", "/api/worklist"):
            v.status(f"GET {url}", client.api("GET", url, params={"q": t.word} if url == "/api/search" else None),
                     401)
        return v.failures

    def seen(label, response, present, want):
        if v.status(label, response, 200):
            v.true(label, present(response) == want, "listed, but should not be" if not want else "not listed")

    seen("GET /documents", client.get("/documents"), lambda r: _linked(r, doc.id), viewable)
    seen("GET /search?q=<word>", client.get("/search", {"q": t.word}), lambda r: _linked(r, doc.id), viewable)
    seen("GET /api/documents", client.api("GET", "/api/documents"), lambda r: doc.id in _ids(r), viewable)
    seen("GET /api/search?q=<word>", client.api("GET", "/api/search", params={"q": t.word}),
         lambda r: doc.id in _ids(r), viewable)
    seen("GET /worklist", client.get("/worklist"), lambda r: _linked(r, doc.id), on_worklist)
    seen("GET /api/worklist", client.api("GET", "/api/worklist"), lambda r: doc.id in _ids(r), on_worklist)
    return v.failures


def check_permission(case: Case, t: Trial, matrix: Matrix) -> list[str]:
    allowed = bool(t.held & case.definition.states[case.state].roles_for(case.action))
    assert allowed == case.expected
    doc, client, anon, v = t.document, t.client, t.client.anonymous, Verdicts(case)
    url = f"/documents/{doc.id}"
    if case.action == "view":
        v.status(f"GET {url}", client.get(url), want_html(allowed, anon, 200))
        v.status(f"GET /attachments/{t.attachment_id}", client.get(f"/attachments/{t.attachment_id}"),
                 want_html(allowed, anon, 200))
        v.status(f"GET /api{url}", client.api("GET", f"/api{url}"), want_api(allowed, anon, 200))
        v.status(f"GET /api{url}/@workflow", client.api("GET", f"/api{url}/@workflow"),
                 want_api(allowed, anon, 200))
    elif case.action == "edit":
        v.status(f"GET {url}/edit", client.get(f"{url}/edit"), want_html(allowed, anon, 200))
        before = len(attachments_of(matrix.db, doc.id))
        if v.status(f"POST {url}/attachments", client.post(f"{url}/attachments", upload_files=[
                ("file", "补充材料.pdf", PDF)]), want_html(allowed, anon, 303)):
            v.true(f"POST {url}/attachments", len(attachments_of(matrix.db, doc.id)) == before + allowed,
                   "the attachment was not added" if allowed else "an attachment was added")
        title = doc.title
        response = client.api("PATCH", f"/api{url}", {"title": title + "改"}, headers={"If-Match": str(doc.version)})
        if v.status(f"PATCH /api{url}", response, want_api(allowed, anon, 200)):
            v.true(f"PATCH /api{url}", (doc.title == title + "改") == allowed, f"the title is now {doc.title!r}")
    elif case.action == "delete":
        for label, response, ok in ((f"POST {url}/trash", lambda: client.post(f"{url}/trash"), 303),
                                    (f"DELETE /api{url}", lambda: client.api("DELETE", f"/api{url}"), 204)):
            want = want_html(allowed, anon, ok) if label.startswith("POST") else want_api(allowed, anon, ok)
            if v.status(label, response(), want):
                v.true(label, (doc.trashed_at is not None) == allowed,
                       "not in the trash" if allowed else "moved to the trash")
            matrix.reset(doc, case.state)
    elif case.action == "manage":
        v.status(f"GET {url}/sharing", client.get(f"{url}/sharing"), want_html(allowed, anon, 200))
        v.status(f"POST {url}/sharing (revoke nothing)", client.post(f"{url}/sharing", {"revoke": "0"}),
                 want_html(allowed, anon, 400))
    else:
        raise AssertionError(f"no check for permission {case.action!r}")
    return v.failures


def check_transition(case: Case, t: Trial, matrix: Matrix) -> list[str]:
    definition = case.definition
    transition = definition.transition(case.action)
    allowed = bool(t.held & transition.roles)
    viewable = bool(t.held & definition.states[case.state].roles_for("view"))
    assert allowed == case.expected
    doc, client, anon, v = t.document, t.client, t.client.anonymous, Verdicts(case)
    body = {} if transition.comment == "none" else {"comment": "权限矩阵测试意见"}
    url = f"/documents/{doc.id}"

    if viewable and not anon:
        listed = client.api("GET", f"/api{url}/@workflow")
        if v.status(f"GET /api{url}/@workflow", listed, 200):
            offered = {o["id"]: o for o in listed.json["transitions"]}
            v.true(f"GET /api{url}/@workflow", offered.get(case.action, {}).get("allowed") == allowed,
                   f"lists {case.action} as {offered.get(case.action)}")

    label = f"POST /api{url}/@workflow/{case.action}"
    response = client.api("POST", f"/api{url}/@workflow/{case.action}", body)
    if v.status(label, response, want_api(allowed, anon, 200)):
        if allowed:
            v.true(label, doc.state == transition.dest, f"the state is {doc.state}, not {transition.dest}")
        elif not anon:
            details = response.json["error"]["details"]
            v.true(label, details.get("kind") == "role" or details.get("permission") == "view",
                   f"refused, but not for the role: {details}")
    matrix.reset(doc, case.state)

    label = f"POST {url}/transitions/{case.action}"
    if v.status(label, client.post(f"{url}/transitions/{case.action}", body), want_html(allowed, anon, 303)) \
            and allowed:
        v.true(label, doc.state == transition.dest, f"the state is {doc.state}, not {transition.dest}")
    matrix.reset(doc, case.state)

    if viewable and not anon:  # refusals of unviewable documents: the IDOR sweep
        label = f"POST /worklist/bulk {case.action}"
        response = client.post("/worklist/bulk", {"ids": str(doc.id), "transition": case.action,
                                                  "comment": body.get("comment", "")})
        if v.status(label, response, 200):
            v.true(label, doc.state == (transition.dest if allowed else case.state), f"the state is {doc.state}")
        matrix.reset(doc, case.state)
    return v.failures


CHECKS = {"listing": check_listing, "permission": check_permission, "transition": check_transition}


# -- the matrix --------------------------------------------------------------------------------------

@pytest.mark.parametrize("workflow,principal", list(GROUPS), ids=[f"{w}-{p}" for w, p in GROUPS])
def test_matrix(workflow, principal, matrix):
    """Every case of one principal in one workflow: one login, one document per state."""
    cases = GROUPS[(workflow, principal)]
    p = PRINCIPALS[_type_of(WORKFLOWS[workflow])][principal]
    client = matrix.client(p, matrix.testapp)
    failures, run = [], 0
    for state in WORKFLOWS[workflow].definition.states:
        trial = matrix.trial(workflow, state, p, client)
        for case in (c for c in cases if c.state == state):
            failures += CHECKS[case.kind](case, trial, matrix)
            run += 1
    assert run == len(cases)
    assert not failures, f"{len(failures)} mismatch(es) with the workflow file:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize("workflow", sorted({c.workflow for c in IDOR_CASES}))
def test_other_units_cannot_reach_the_documents(workflow, matrix):
    """Unit B's staff reach unit A's documents by no id, listing, search or worklist."""
    principals = PRINCIPALS[_type_of(WORKFLOWS[workflow])]
    owner = matrix.client(principals["owner"], matrix.testapp)
    other = matrix.client(principals["other_staff"])
    a_unit = unit(matrix.db, DOCUMENT_UNIT)
    failures = []
    for case in (c for c in IDOR_CASES if c.workflow == workflow):
        doc, attachment_id, word = matrix.document(workflow, case.state, "A")
        assert not roles_held(matrix.db, matrix.user("other_staff"), doc) & \
            case.definition.states[case.state].roles_for("view")
        filters = {"type": doc.type, "state": doc.state, "unit": a_unit.id}
        url = f"/documents/{doc.id}"
        v = Verdicts(case)

        # the control: the owner finds it, so that not finding it below means something
        v.true("control: /search", _linked(owner.get("/search", {"q": word}), doc.id), "the owner cannot find it")
        v.true("control: /documents", _linked(owner.get("/documents", filters), doc.id), "the owner does not see it")
        v.true("control: /api/search", doc.id in _ids(owner.api("GET", "/api/search", params={"q": word})),
               "the owner cannot find it")
        v.true("control: /api/documents", doc.id in _ids(owner.api("GET", "/api/documents", params=filters)),
               "the owner does not see it")
        v.status("control: attachment", owner.get(f"/attachments/{attachment_id}"), 200)

        def absent_html(label, response, echoed=""):
            if v.status(label, response, 200):  # the search page echoes the query in its search box
                text = response.text.replace(f'value="{echoed}"', "") if echoed else response.text
                v.true(label, not _linked(response, doc.id) and TITLE_PREFIX not in text,
                       "a document of the other unit shows")

        def absent_api(label, response):
            if v.status(label, response, 200):
                v.true(label, doc.id not in _ids(response) and not any(
                    TITLE_PREFIX in (item.get("title") or "") for item in response.json["items"]),
                    "a document of the other unit shows")

        absent_html("GET /documents", other.get("/documents"))
        absent_html("GET /documents?type&state&unit", other.get("/documents", filters))
        absent_html("GET /my-unit", other.get("/my-unit"))
        absent_html("GET /search?q", other.get("/search", {"q": word}))
        absent_html("GET /search?q&type&state&unit", other.get("/search", {"q": word, **filters}))
        absent_html("GET /search?q=<the common title prefix>", other.get("/search", {"q": TITLE_PREFIX}),
                    echoed=TITLE_PREFIX)
        absent_html("GET /worklist", other.get("/worklist"))
        absent_api("GET /api/documents", other.api("GET", "/api/documents"))
        absent_api("GET /api/documents?type&state&unit", other.api("GET", "/api/documents", params=filters))
        absent_api("GET /api/search?q", other.api("GET", "/api/search", params={"q": word}))
        absent_api("GET /api/search?q&type&state&unit",
                   other.api("GET", "/api/search", params={"q": word, **filters}))
        absent_api("GET /api/search?q=<the common title prefix>",
                   other.api("GET", "/api/search", params={"q": TITLE_PREFIX}))
        absent_api("GET /api/worklist", other.api("GET", "/api/worklist"))

        # dashboards and exports: the unit's own dashboard and the filings workbook are open to
        # every logged-in user and must leave the document out; the others are not theirs at all
        absent_html("GET /dashboards/unit", other.get("/dashboards/unit"))
        for path in ("/dashboards/leadership", "/dashboards/finance", "/exports/tasks.xlsx", "/exports/overdue.xlsx"):
            v.status(f"GET {path}", other.get(path), 403)
        if doc.type == "filing":
            v.true("control: /exports/filings.xlsx", word in _workbook_text(owner.get("/exports/filings.xlsx")),
                   "the owner's workbook lacks it")
        workbook = other.get("/exports/filings.xlsx")
        if v.status("GET /exports/filings.xlsx", workbook, 200):
            v.true("GET /exports/filings.xlsx", TITLE_PREFIX not in _workbook_text(workbook),
                   "a document of the other unit is in the workbook")

        for path in (url, f"{url}/edit", f"{url}/sharing", f"/attachments/{attachment_id}"):
            response = other.get(path)
            if v.status(f"GET {path}", response, 403):
                v.true(f"GET {path}", TITLE_PREFIX not in response.text, "the refusal shows the title")
        for path in (f"/api{url}", f"/api{url}/@workflow"):
            response = other.api("GET", path)
            if v.status(f"GET {path}", response, 403):
                v.true(f"GET {path}", word not in response.text, "the refusal shows the title")
        v.status(f"POST {url}/copy", other.post(f"{url}/copy"), 403)
        for transition in case.definition.transitions_from(case.state):
            v.status(f"POST /api{url}/@workflow/{transition.id}",
                     other.api("POST", f"/api{url}/@workflow/{transition.id}", {"comment": "越权"}), 403)
            response = other.post("/worklist/bulk", {"ids": str(doc.id), "transition": transition.id,
                                                     "comment": "越权", f"version-{doc.id}": str(doc.version)})
            v.true(f"POST /worklist/bulk {transition.id}", response.status_int in (200, 303, 403)
                   and TITLE_PREFIX not in response.text and doc.state == case.state,
                   f"answered {response.status_int}, the state is {doc.state}")
        failures += v.failures
    assert not failures, f"{len(failures)} leak(s):\n  " + "\n  ".join(failures)


# -- around the matrix ---------------------------------------------------------------------------------

def test_the_generated_matrix_covers_every_file_state_role_and_transition(app):
    """The cases come from the files the application runs with, and cover all of them."""
    running = app.registry["workflows"]
    assert sorted(c.id for c in running) == sorted(c.id for c in WORKFLOWS)
    for compiled in WORKFLOWS:
        assert replace(running[compiled.id].definition, source="") == replace(compiled.definition, source="")
    states = {(c.workflow, c.state) for c in PERMISSION_CASES}
    assert states == {(c.id, s) for c in WORKFLOWS for s in c.definition.states}
    transitions = {(c.workflow, c.state, c.action) for c in TRANSITION_CASES}
    assert transitions == {(c.id, s, t.id) for c in WORKFLOWS for t in c.definition.transitions
                           for s in t.sources}
    named = {r for c in WORKFLOWS for s in c.definition.states.values() for rs in s.permissions.values()
             for r in rs} | {r for c in WORKFLOWS for t in c.definition.transitions for r in t.roles}
    covered = {r for table in PRINCIPALS.values() for p in table.values() for r in p.roles}
    assert named - {"system"} <= covered, f"roles no principal holds: {sorted(named - covered)}"
    assert {c.expected for c in PERMISSION_CASES} == {True, False}
    assert {c.expected for c in TRANSITION_CASES} == {True, False}


def test_the_system_role_is_never_a_persons(review_testapp, review_app, dbsession, users):
    """``system`` (the deadline sweeper) cannot be taken by a person, even if a row grants it.

    The project's files name ``system`` in no transition, so this uses the engine tests'
    ``review`` workflow (``expire``: roles [system]).  The staff user may view the
    submitted note, holds ``system`` through local-role rows (as an import or a hand-made
    grant could leave them), and must still be refused — by the API and by ``fire``.
    """
    from xietong.services.workflow import TransitionDenied, fire
    from xietong.testing import make_note

    workflows = review_app.registry["workflows"]
    staff = get_user(dbsession, users["staff"])
    note = make_note(dbsession, workflows, staff)
    note.state = "submitted"
    dbsession.add(LocalRole(node_id=note.id, user_id=staff.id, role="system"))
    dbsession.add(LocalRole(node_id=note.id, unit_id=staff.unit_id, role="system"))
    dbsession.flush()
    dbsession.expire(note, ["local_role_rows"])
    token = review_testapp.post_json("/api/auth/token", {"username": users["staff"], "password": PASSWORD}).json
    answer = review_testapp.post_json(f"/api/documents/{note.id}/@workflow/expire", {},
                                      headers={"Authorization": f"Bearer {token['token']}"}, status="*")
    assert answer.status_int == 403, \
        f"a person took the sweeper's transition: {answer.status_int} {answer.text[:300]}"
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, note.id, "expire", Actor.of(staff))
    assert note.state == "submitted"


def test_the_system_role_cannot_be_granted_on_the_sharing_page(matrix):
    head = PRINCIPALS["filing"]["head"]
    trial = matrix.trial("filing", "draft", head, matrix.client(head, matrix.testapp))
    response = trial.client.post(f"/documents/{trial.document.id}/sharing", {"role": "system", "unit": OTHER_UNIT})
    assert response.status_int == 400
    assert not matrix.db.scalars(select(LocalRole).where(LocalRole.node_id == trial.document.id,
                                                         LocalRole.role == "system")).all()


EXPORT_LIKE = re.compile(r"export|dashboard|report|statistic|stats|chart|download|\.(csv|xlsx?|pdf)", re.I)
#: the export and dashboard routes :func:`test_other_units_cannot_reach_the_documents` sweeps
SWEPT = {"dashboards", "dashboard_leadership", "dashboard_finance", "dashboard_unit", "export_tasks",
         "export_overdue", "export_filings"}


def test_no_unswept_export_or_dashboard_routes(app):
    """Every export- or dashboard-like route is in the IDOR sweep above (``/dashboards`` only redirects)."""
    from pyramid.interfaces import IRoutesMapper

    routes = app.registry.getUtility(IRoutesMapper).get_routes()
    found = {r.name for r in routes if EXPORT_LIKE.search(f"{r.name} {r.pattern}")}
    assert found - SWEPT == set(), f"export/dashboard-like routes not covered by the IDOR sweep: {found - SWEPT}"
    assert SWEPT <= found
