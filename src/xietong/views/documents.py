"""Document pages: the listings (all documents, my unit's), the add and edit forms, the trash,
restoring from it and starting a blocked filing again.

Thin views: parse the request, call :mod:`xietong.services.content` /
:mod:`xietong.services.listing`, render.  Decisions written down here:

* **Listing filters** (``type``, ``state``, ``unit``, ``year``, ``page``) are GET parameters;
  a value that is not one of the known choices or not a number in range is *ignored*
  (the listing shows as if it was not given and the form shows "all"), never a 400 or 500:
  people edit URLs, and a stale bookmark should still open.
* **Who may create what** (:data:`xietong.services.content.CREATORS`): a unit's staff and head file its systems,
  filings and integration plan; the information office's reviewers and the leadership
  group issue rectification orders.  The same rule hides the "新建…" buttons and guards
  ``/documents/add/{type}``.
* **Overdue** (:func:`is_overdue`): a rectification order whose ``due_date`` (a China-time
  date) has passed and which is not closed (销号).
* The trash and restoring are for administrators only (checked in the view: the site
  permissions in :mod:`xietong.resources` are left alone); copying is for the staff and
  head of the blocked filing's unit.
"""
from dataclasses import dataclass
from datetime import date
from functools import cache

import colander
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..formatting import china_today
from ..i18n import _, translate
from ..models import Filing, InformationSystem, Node, RectificationOrder, Unit
from ..schemas.documents import FUNDING_KIND_TITLES, TITLES
from ..services import ServiceError, content, listing, privacy
from ..services.workflow import Actor
from .forms import run_form

PER_PAGE = 50
MAX_PAGE = 100_000

#: content type -> who may create one: unit roles (staff/head of the user's unit) or global roles
CHOICE_FIELDS = frozenset({"project_type", "funding_kind", "funding_source", "build_mode", "network", "status"})
DATE_FIELDS = frozenset({"approval_date", "due_date", "done_date"})


def workflows_of(request):
    return request.registry["workflows"]


def current_user(request):
    return request.identity.user


def creatable_types(user) -> list[tuple[str, object]]:
    return [(name, content.TYPES[name].title) for name in content.CREATORS if content.may_create(user, name)]


def is_overdue(document, today: date | None = None) -> bool:
    """A rectification order past its due date and not closed (销号)."""
    if not isinstance(document, RectificationOrder) or document.due_date is None:
        return False
    return document.state != "closed" and document.due_date < (today or china_today())


def localized_title(request, thing) -> str:
    """A workflow state's or transition's title in the request's language."""
    if thing is None:
        return ""
    if request.locale_name == "en" and getattr(thing, "title_en", ""):
        return thing.title_en
    return thing.title


def state_of(request, document):
    compiled = workflows_of(request).get(document.workflow_id)
    return compiled.definition.states.get(document.state) if compiled else None


def type_title(type_name: str):
    info = content.TYPES.get(type_name)
    return info.title if info else type_name


def choice_title(field: str, value):
    if value in (None, ""):
        return ""
    titles = FUNDING_KIND_TITLES if field == "funding_kind" else TITLES
    return titles.get(value, value)


@cache
def field_labels(type_name: str) -> dict:
    """Field name -> its form title (a translation string), from the type's own schema.

    The compliance checklist's fields appear under their own names too.
    """
    info = content.TYPES.get(type_name)
    if info is None:
        return {}
    schema = info.schema(None, (), csrf=False)
    labels = {node.name: node.title for node in schema.children}
    if "compliance" in labels:
        labels.update({node.name: node.title for node in schema["compliance"].children})
    if "items" in labels:
        labels.update({f"item.{node.name}": node.title for node in schema["items"].children[0].children})
    return labels


# -- the document's fields, for the document page ---------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    label: object
    kind: str  # text, longtext, choice, bool, date, amount, systems, node, unit, overdue_date
    value: object


def document_fields(document, viewer=None) -> list[Field]:
    """The type's fields in form order, typed for display (the title is the page's heading).

    Personal fields are masked unless ``viewer`` may read them (:mod:`xietong.services.privacy`).
    """
    info = content.TYPES.get(document.type)
    if info is None:
        return []
    labels = field_labels(document.type)
    rows = []
    for name in info.fields:
        label = labels.get(name, name)
        if name in ("title", "items") or name.startswith("zombie_"):
            continue
        if name == "compliance":
            for part in content.COMPLIANCE:
                value = getattr(document, part)
                rows.append(Field(part, labels.get(part, part), "choice" if part == "network" else "bool",
                                  choice_title(part, value) if part == "network" else value))
        elif name == "amount":
            rows.append(Field(name, label, "amount", document.amount))
        elif name == "systems":
            rows.append(Field(name, label, "systems", list(document.systems)))
        elif name == "integrated_into":
            rows.append(Field(name, label, "node", document.integrated_into))
        elif name == "target_unit":
            rows.append(Field(name, label, "unit", document.target_unit))
        elif name == "task":
            rows.append(Field(name, label, "node", document.task))
        elif name == "percentage":
            rows.append(Field(name, label, "text", f"{document.percentage}%"))
        elif name == "due_date" and isinstance(document, RectificationOrder):
            rows.append(Field(name, label, "overdue_date", document.due_date))
        elif name in CHOICE_FIELDS:
            rows.append(Field(name, label, "choice", choice_title(name, getattr(document, name))))
        elif name in DATE_FIELDS:
            rows.append(Field(name, label, "date", getattr(document, name)))
        elif isinstance(getattr(document, name), bool):
            rows.append(Field(name, label, "bool", getattr(document, name)))
        elif name in ("description", "function", "basis", "findings", "body", "text", "catalogue", "platform",
                      "sharing", "summary"):
            rows.append(Field(name, label, "longtext", getattr(document, name)))
        else:
            rows.append(Field(name, label, "text", privacy.shown(viewer, document, name, getattr(document, name))))
    if isinstance(document, Filing) and document.copied_from_id:
        rows.append(Field("copied_from", _("Started again from"), "node", document.copied_from))
    return rows


def zombie_criteria(document) -> list:
    """The zombie criteria a system meets, as their titles (empty: not a candidate)."""
    if not isinstance(document, InformationSystem):
        return []
    labels = field_labels(document.type)
    return [labels.get(name, name) for name in document.zombie_criteria]


# -- form values --------------------------------------------------------------------------------

def _form_value(value):
    """A service value as deform wants it: None -> null, ids and numbers as given, recursively."""
    if value is None:
        return colander.null
    if isinstance(value, dict):
        return {k: _form_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_form_value(v) for v in value]
    return value


def form_values(document) -> dict:
    """``content.field_values`` shaped for the edit form (systems as str ids, nulls for None)."""
    values = content.field_values(document)
    if "systems" in values:
        values["systems"] = [str(i) for i in values["systems"]]
    return {k: _form_value(v) for k, v in values.items()}


# -- query parameters -----------------------------------------------------------------------------

def query(request):
    """The query string's parameters; one that is not UTF-8 is a 400, not a 500 from webob."""
    try:
        return request.GET
    except UnicodeDecodeError:
        raise HTTPBadRequest(translate(request.localizer, _("The address contains invalid characters"))) from None


def int_param(request, name: str, low: int, high: int) -> int | None:
    raw = query(request).get(name, "")
    if not raw or len(raw) > 12:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


def state_choices(request, type_name: str | None) -> list[tuple[str, str]]:
    """(state id, title) of the workflows of every type (or of ``type_name``), without repeats."""
    workflows = workflows_of(request)
    compiled = [workflows.for_type(type_name)] if type_name else [workflows.for_type(t) for t in content.TYPES]
    seen = {}
    for c in compiled:
        if c is None:
            continue
        for state in c.definition.states.values():
            seen.setdefault(state.id, localized_title(request, state))
    return list(seen.items())


def listing_filters(request, unit_id: int | None = None) -> dict:
    """The valid filters of the query string; anything else is ignored."""
    type_name = query(request).get("type", "")
    type_name = type_name if type_name in content.TYPES else None
    state = query(request).get("state", "")
    state = state if state in dict(state_choices(request, type_name)) else None
    unit = unit_id if unit_id is not None else int_param(request, "unit", 1, 2**31 - 1)
    return {"type": type_name, "state": state, "unit": unit, "year": int_param(request, "year", 2000, 2100)}


def _listing(request, route: str, heading, unit_id: int | None = None) -> dict:
    user = current_user(request)
    filters = listing_filters(request, unit_id)
    page_no = int_param(request, "page", 1, MAX_PAGE) or 1
    page = listing.documents(request.dbsession, workflows_of(request), user, type_=filters["type"],
                             state=filters["state"], unit_id=filters["unit"], year=filters["year"],
                             limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE, count_cap=listing.COUNT_CAP)
    pages = page.pages()
    query = {k: v for k, v in filters.items() if v is not None and not (unit_id is not None and k == "unit")}

    def page_url(number: int) -> str:
        return request.route_path(route, _query={**query, "page": number})

    this_year = china_today().year
    return {
        "title": heading, "route": route, "page": page, "page_no": page_no, "pages": pages, "page_url": page_url,
        "filters": filters, "fixed_unit": unit_id is not None,
        "type_choices": [(name, info.title) for name, info in content.TYPES.items()],
        "state_choices": state_choices(request, filters["type"]),
        "unit_choices": content.unit_choices(request.dbsession),
        "year_choices": list(range(this_year, this_year - 10, -1)),
        "creatable": creatable_types(user),
        "state_of": lambda d: localized_title(request, state_of(request, d)),
        "type_title": type_title, "is_overdue": is_overdue,
    }


@view_config(route_name="documents", renderer="documents.jinja2")
def list_documents(request):
    return _listing(request, "documents", _("Documents"))


@view_config(route_name="my_unit", renderer="documents.jinja2")
def my_unit(request):
    user = current_user(request)
    result = _listing(request, "my_unit", _("Documents of ${unit}", mapping={"unit": user.unit.short_name}),
                      unit_id=user.unit_id)
    return result


# -- add and edit -------------------------------------------------------------------------------

def _flash(request, message, queue="success"):
    request.session.flash(translate(request.localizer, message), queue)


def untitled(schema):
    """The page has its heading; deform would add the schema's (English) name as a second one."""
    schema.title = ""
    return schema


@view_config(route_name="document_add", renderer="document_form.jinja2")
def add_document(request):
    type_name = request.matchdict["type"]
    if type_name not in content.TYPES:
        raise HTTPNotFound()
    user = current_user(request)
    decision = content.may_create(user, type_name)
    if not decision:
        raise forbidden(request, decision.reason)
    info = content.TYPES[type_name]
    schema = untitled(content.schema_for(request.dbsession, type_name, user.unit_id, request))

    def save(data):
        return content.create(request.dbsession, workflows_of(request), type_name, data, Actor.of(user))

    preset = colander.null
    if type_name == "progress_report":  # "write a progress report" on a task page names the task
        task_id = int_param(request, "task", 1, 2**31 - 1)
        preset = {"task": task_id} if task_id else colander.null
    page = run_form(request, schema, save, appstruct=preset, button_title=_("Create"))
    if page.ok:
        _flash(request, _("Created: ${title}", mapping={"title": page.result.title}))
        return HTTPSeeOther(request.route_path("document", id=page.result.id))
    return {"title": _("New ${type}", mapping={"type": info.title}), "form_html": page.html,
            "document": None, "type_name": type_name}


@view_config(route_name="document_edit", renderer="document_form.jinja2", permission="edit")
def edit_document(request):
    document = request.context
    user = current_user(request)
    schema = untitled(content.schema_for(request.dbsession, document.type, document.unit_id, request))
    labels = field_labels(document.type)

    def save(data):
        return content.edit(request.dbsession, document, data, Actor.of(user))

    page = run_form(request, schema, save, appstruct=form_values(document))
    if page.ok:
        if page.result:
            _flash(request, _("Saved. Changed: ${fields}",
                              mapping={"fields": [labels.get(c.field, c.field) for c in page.result]}))
        else:
            _flash(request, _("Saved; nothing was changed"), "info")
        return HTTPSeeOther(request.route_path("document", id=document.id))
    return {"title": _("Edit ${title}", mapping={"title": document.title}), "form_html": page.html,
            "document": document, "type_name": document.type}


# -- trash, restore, copy ---------------------------------------------------------------------------

@view_config(route_name="document_trash", request_method="POST", permission="delete")
def trash_document(request):
    document = request.context
    content.trash(request.dbsession, document, Actor.of(current_user(request)))
    _flash(request, _("Moved to the trash: ${title}", mapping={"title": document.title}))
    return HTTPSeeOther(request.route_path("documents"))


def forbidden(request, reason) -> HTTPForbidden:
    """A 403 whose reason the error page shows (it reads ``result``)."""
    return HTTPForbidden(result=translate(request.localizer, reason))


def _require_admin(request):
    if "admin" not in current_user(request).roles:
        raise forbidden(request, _("Only administrators may use the trash"))


@view_config(route_name="trash", renderer="trash.jinja2")
def trash_page(request):
    _require_admin(request)
    rows = content.trashed(request.dbsession)
    return {"title": _("Trash"), "documents": rows, "type_title": type_title,
            "state_of": lambda d: localized_title(request, state_of(request, d))}


@view_config(route_name="document_restore", request_method="POST")
def restore_document(request):
    _require_admin(request)
    raw = request.matchdict["id"]
    document_id = int(raw) if raw.isdecimal() and len(raw) < 12 else None
    document = request.dbsession.get(Node, document_id) if document_id else None
    if document is None or document.trashed_at is None:
        raise HTTPNotFound()
    content.restore(request.dbsession, document, Actor.of(current_user(request)))
    _flash(request, _("Restored: ${title}", mapping={"title": document.title}))
    if request.has_permission("view", document):
        return HTTPSeeOther(request.route_path("document", id=document.id))
    return HTTPSeeOther(request.route_path("trash"))  # e.g. another unit's draft


def may_copy(request, document) -> bool:
    """A blocked filing may be started again by the staff or head of its unit."""
    user = current_user(request)
    return (isinstance(document, Filing) and document.state == "funding_blocked"
            and user.unit_role in ("staff", "head") and user.unit_id == document.unit_id)


@view_config(route_name="document_copy", request_method="POST")
def copy_document(request):
    document = request.context
    if not may_copy(request, document):
        raise forbidden(request, _("Only the staff or head of its unit may start a blocked filing again"))
    try:
        new = content.copy_filing(request.dbsession, workflows_of(request), document,
                                  Actor.of(current_user(request)))
    except ServiceError as exc:
        request.tm.doom()
        _flash(request, exc.message, "error")
        return HTTPSeeOther(request.route_path("document", id=document.id))
    _flash(request, _("A new draft was started from the blocked filing"))
    return HTTPSeeOther(request.route_path("document", id=new.id))


def unit_name(dbsession, unit_id):
    unit = dbsession.get(Unit, unit_id) if unit_id else None
    return unit.short_name if unit else ""


def system_titles(dbsession, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(dbsession.execute(select(InformationSystem.id, InformationSystem.title)
                                  .where(InformationSystem.id.in_(ids))).all())
