"""Documents over JSON, shaped after plone.restapi.  Thin: parse, call a service, answer.

=================================  ======================================================
``GET /api/types``                 200 ``{"items": [{id, title, workflow, addable}], "total"}``
``GET /api/documents``             200 ``{"items", "total", "limit", "offset"}``; filters
                                   ``type``, ``state``, ``unit`` (a unit id), ``year``,
                                   ``limit`` (at most 200 are given), ``offset``; a bad filter is 400
``POST /api/documents``            201 the document (``Location`` header); 400 invalid body
                                   or fields; 403 the caller may not create that type
``GET /api/documents/{id}``        200 the document (``ETag``: its version); 403; 404
``PATCH /api/documents/{id}``      200 the document with its new version; 428 without
                                   ``If-Match``, 400 when it is not an integer, 412 when
                                   stale (details.version: the current one); 400; 403; 404
``DELETE /api/documents/{id}``     204 (moved to the trash); optional ``If-Match`` (412);
                                   403; 404
=================================  ======================================================

The workflow endpoints (``@workflow``, the worklist) are in :mod:`xietong.api.workflow`.
Without a bearer token every route answers 401 (the forbidden view); a method a route
does not offer answers 405.

Decisions:

* **Unknown fields are refused** (400, ``details.fields`` names each one): a typo such
  as ``ammount`` would otherwise be silently dropped from a government filing.  That
  includes the read-only keys a GET returns (``id``, ``state``, ``version`` ...): send
  only fields (the colander schema's node names) — and ``type`` when creating.
* **PATCH is a merge patch** (RFC 7396 in spirit): the body is merged into the current
  values (``content.field_values``) — objects such as ``compliance`` merge key by key,
  lists and scalars are replaced, ``null`` clears — and the merged whole is validated by
  the same schema as a creation, then saved by ``content.edit`` (which records every
  changed field; the workflow history is not touched).
* **Who may create what** is :func:`xietong.services.content.may_create` (the same rule
  the HTML forms apply): a unit's staff or head create systems, filings and plans in their
  own unit; only a reviewer or a leader issues rectification orders.
* **Errors are raised** (:class:`ApiError`, rendered by :func:`api_error`), never
  returned: pyramid_tm commits a *returned* 4xx, but aborts when an exception view
  answered — and the view dooms the transaction besides, so nothing half-done by a
  service is ever committed.
* **Bad input is a 400, never a 500**: bodies that are not a JSON object, nesting deeper
  than :data:`MAX_DEPTH`, ``NaN``/``Infinity``, control characters (NUL: PostgreSQL
  refuses it) or lone surrogates in any string, out-of-range integers (ids, filters), a
  non-integer ``If-Match``.  Amounts that are ``"NaN"`` are refused on their field.
"""
from datetime import date
from decimal import Decimal
import json
import re

import colander
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config

from ..i18n import _, translate
from ..models import User
from ..roles import ROLE_TITLES
from ..services import ServiceError, content, privacy
from ..services.listing import documents as list_documents
from ..services.units import all_units
from ..services.workflow import Actor, TransitionError
from ..views.workflows import document_factory
from .errors import json_error

MAX_DEPTH = 20
MAX_INT = 2**31 - 1  # ids and filters beyond this are refused (SQLite overflows at 2**63)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # as the schemas: C0 but tab, CR, LF
SURROGATE = re.compile("[\ud800-\udfff]")
ERROR_TYPES = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


# -- errors ---------------------------------------------------------------------------------------

class ApiError(Exception):
    """An error answer: ``{"error": {"type", "message", "details"}}`` with ``status``."""

    def __init__(self, status: int, type_: str, message, details: dict | None = None):
        super().__init__(str(message))
        self.status, self.type, self.message, self.details = status, type_, message, details or {}


@exception_view_config(ApiError)
def api_error(exc: ApiError, request):
    request.tm.doom()  # whatever a service wrote before the error must not be committed
    return json_error(request, exc.status, exc.type, exc.message, exc.details)


def bad_request(message, **details) -> ApiError:
    return ApiError(400, "bad_request", message, details)


def invalid(request, fields: dict) -> ApiError:
    """A validation error; ``fields`` maps a field path to its (translatable) message."""
    return ApiError(400, "invalid", _("Some fields are not valid"),
                    {"fields": {name: translate(request.localizer, message) for name, message in fields.items()}})


def service_error(request, exc: ServiceError) -> ApiError:
    details = {"fields": {exc.field: translate(request.localizer, exc.message)}} if exc.field else {}
    return ApiError(400, "invalid", exc.message, details)


def transition_error(request, exc: TransitionError) -> ApiError:
    details = {"transition": exc.transition, **exc.details}
    field = exc.details.get("field")
    if field:
        details["fields"] = {field: translate(request.localizer, exc.reason)}
    return ApiError(exc.status, ERROR_TYPES.get(exc.status, "invalid"), exc.reason, details)


def forbidden(request, permission: str, denied) -> ApiError:
    """403 with the reason of the security policy's denial (the roles that would do)."""
    needed = sorted(getattr(denied, "needed", ()))
    if needed:
        reason = _("Needs one of the roles: ${roles}", mapping={"roles": [ROLE_TITLES.get(r, r) for r in needed]})
    else:
        reason = _("Nobody may do this here.")
    return ApiError(403, "forbidden", reason,
                    {"permission": permission, "needed": needed, "reason": translate(request.localizer, reason)})


# -- reading the request ----------------------------------------------------------------------------

def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _check_strings(value) -> dict:
    """Every string (keys too) in a parsed body: no control characters, no lone surrogates."""
    errors, stack = {}, [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise bad_request(_("The JSON body is nested too deeply"))
        if isinstance(item, str):
            if CONTROL.search(item):
                errors[path or "body"] = _("Control characters are not allowed")
            elif SURROGATE.search(item):
                errors[path or "body"] = _("Invalid characters (unpaired surrogates) are not allowed")
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else key
                if CONTROL.search(key) or SURROGATE.search(key):
                    errors[path or "body"] = _("Control characters are not allowed")
                    continue
                stack.append((name[:100], child, depth + 1))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}", child, depth + 1) for i, child in enumerate(item))
    return errors


def read_json_object(request, optional: bool = False) -> dict:
    """The body as a JSON object (``{}`` for an empty body when ``optional``); else 400."""
    raw = request.body
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise bad_request(_("The body must be a JSON object")) from None
    if not isinstance(body, dict):
        raise bad_request(_("The body must be a JSON object"))
    errors = _check_strings(body)
    if errors:
        raise invalid(request, dict(list(errors.items())[:20]))
    return body


def query_params(request):
    try:
        params = request.GET
        dict(params)  # decode now: malformed UTF-8 in the query string is the client's error
    except UnicodeDecodeError:
        raise bad_request(_("The query string is not valid UTF-8")) from None
    return params


def int_param(params, name: str, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw) or not minimum <= int(raw) <= maximum:
        raise bad_request(_("${name} must be a whole number from ${min} to ${max}",
                            mapping={"name": name, "min": minimum, "max": maximum}), parameter=name)
    return int(raw)


def if_match(request, required: bool) -> int | None:
    """The version in ``If-Match`` (a bare or quoted integer); 428 when required and absent."""
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip():
        if required:
            raise ApiError(428, "precondition_required",
                           _("Send the version you edited in an If-Match header (the document's version)"))
        return None
    value = raw.strip()
    if len(value) > 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not re.fullmatch(r"[0-9]{1,12}", value):
        raise bad_request(_("If-Match must be the document's version, a whole number"))
    return int(value)


def workflows_of(request):
    return request.registry["workflows"]


def current_user(request) -> User:
    return request.identity.user


def load_document(request):
    """The document of ``{id}``: 404 when the id is not one or the document is missing or trashed.

    For a request that writes it is read under its row lock (``document_factory``), so a
    write's check-then-act is safe and ``fire`` does not read it again.
    """
    if not re.fullmatch(r"[0-9]{1,12}", request.matchdict.get("id", "")) or int(request.matchdict["id"]) > MAX_INT:
        raise HTTPNotFound()
    return document_factory(request)


def require(request, permission: str, document) -> None:
    allowed = request.has_permission(permission, document)
    if not allowed:
        raise forbidden(request, permission, allowed)


def viewable_document(request):
    document = load_document(request)
    require(request, "view", document)
    return document


# -- validation -------------------------------------------------------------------------------------

def _finite_numbers(node) -> None:
    """Refuse NaN on decimal nodes before their validators compare with it (that raises)."""
    for child in node.children:
        _finite_numbers(child)
    if isinstance(node.typ, colander.Decimal):
        checks = node.validator

        def finite_then(node, value, checks=checks):
            if not value.is_finite():
                raise colander.Invalid(node, _("Not a number"))
            if checks is not None:
                checks(node, value)

        node.validator = finite_then


def validate(request, schema, body: dict) -> dict:
    """Deserialize ``body`` through ``schema``: unknown fields and colander errors are 400."""
    names = [node.name for node in schema.children]
    unknown = [key for key in body if key not in names]
    if unknown:
        raise invalid(request, {key[:60]: _("Unknown field; the fields of this type are: ${fields}",
                                            mapping={"fields": ", ".join(names)}) for key in unknown[:20]})
    _finite_numbers(schema)
    try:
        return schema.deserialize(body)
    except colander.Invalid as error:
        prefix = f"{schema.name}."
        fields = error.asdict(translate=lambda message: translate(request.localizer, message))
        raise invalid(request, {(k[len(prefix):] if k.startswith(prefix) else k) or "body": v
                                for k, v in fields.items()}) from None


def plain(value):
    """Current field values as a JSON body would carry them (amounts and dates as strings)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def merge(current: dict, patch: dict) -> dict:
    """``patch`` over ``current``: objects merge key by key, anything else replaces."""
    merged = dict(current)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# -- who may create what ------------------------------------------------------------------------------

#: type -> the roles that may create it: a unit role (in the creator's own unit) or a global role
# -- the JSON shapes --------------------------------------------------------------------------------

def localized_title(request, item) -> str:
    """A workflow state's or transition's title in the request's language."""
    return item.title_en if request.locale_name == "en" and item.title_en else item.title


def unit_json(unit) -> dict | None:
    return None if unit is None else {"id": unit.id, "code": unit.code, "name": unit.name}


def user_json(user) -> dict | None:
    return None if user is None else {"id": user.id, "username": user.username, "display_name": user.display_name}


def state_json(request, document) -> dict:
    compiled = workflows_of(request).get(document.workflow_id)
    state = compiled.definition.states.get(document.state) if compiled else None
    return {"id": document.state, "title": localized_title(request, state) if state else document.state}


def summary_json(request, document, units: dict | None = None) -> dict:
    """A document in a listing."""
    unit = units.get(document.unit_id) if units is not None else document.unit
    return {
        "@id": request.route_url("api_document", id=document.id), "id": document.id, "type": document.type,
        "title": document.title, "state": state_json(request, document), "version": document.version,
        "unit": unit_json(unit), "path": document.path, "created": document.created_at,
        "modified": document.modified_at, "due": document.due_at,
    }


def document_json(request, document) -> dict:
    """One document: its summary, owner and every field (the names a POST or PATCH takes);
    personal fields masked for callers who do not need them (:mod:`xietong.services.privacy`)."""
    return {**summary_json(request, document), "owner": user_json(document.owner),
            **privacy.redact(current_user(request), document, content.field_values(document))}


def answer_document(request, document) -> dict:
    request.response.etag = str(document.version)
    return document_json(request, document)


# -- views --------------------------------------------------------------------------------------------

@view_config(route_name="api_types", request_method="GET", renderer="json")
def types(request):
    user = current_user(request)
    items = []
    for name, info in content.TYPES.items():
        compiled = workflows_of(request).for_type(name)
        items.append({"id": name, "title": translate(request.localizer, info.title),
                      "workflow": compiled.id if compiled else None, "addable": bool(content.may_create(user, name))})
    return {"items": items, "total": len(items)}


@view_config(route_name="api_documents", request_method="GET", renderer="json")
def list_all(request):
    params = query_params(request)
    workflows = workflows_of(request)
    type_name = params.get("type") or None
    if type_name is not None and type_name not in content.TYPES:
        raise bad_request(_("Unknown document type: ${type}", mapping={"type": type_name[:40]}), parameter="type")
    state = params.get("state") or None
    if state is not None and state not in {s for c in workflows for s in c.definition.states}:
        raise bad_request(_("Unknown state: ${state}", mapping={"state": state[:40]}), parameter="state")
    page = list_documents(
        request.dbsession, workflows, current_user(request), type_=type_name, state=state,
        unit_id=int_param(params, "unit", 1), year=int_param(params, "year", 1990, 2100),
        limit=int_param(params, "limit", 1, 10**9) or 50, offset=int_param(params, "offset") or 0)
    units = {u.id: u for u in all_units(request.dbsession)}
    return {"items": [summary_json(request, d, units) for d in page.items], "total": page.total,
            "limit": page.limit, "offset": page.offset}


@view_config(route_name="api_documents", request_method="POST", renderer="json")
def create(request):
    user = current_user(request)
    body = read_json_object(request)
    type_name = body.pop("type", None)
    if not isinstance(type_name, str) or type_name not in content.TYPES:
        raise invalid(request, {"type": _("Unknown document type: ${type}", mapping={"type": str(type_name)[:40]})})
    decision = content.may_create(user, type_name)
    if not decision:
        raise ApiError(403, "forbidden", decision.reason, {"type": type_name})
    data = validate(request, content.schema_for(request.dbsession, type_name, user.unit_id, csrf=False), body)
    try:
        document = content.create(request.dbsession, workflows_of(request), type_name, data, Actor.of(user))
    except ServiceError as exc:
        raise service_error(request, exc) from None
    except TransitionError as exc:
        raise transition_error(request, exc) from None
    request.response.status = 201
    request.response.location = request.route_url("api_document", id=document.id)
    return answer_document(request, document)


@view_config(route_name="api_document", request_method="GET", renderer="json")
def show(request):
    return answer_document(request, viewable_document(request))


@view_config(route_name="api_document", request_method="PATCH", renderer="json")
def edit(request):
    document = viewable_document(request)
    require(request, "edit", document)
    expected = if_match(request, required=True)
    if expected != document.version:
        raise ApiError(412, "precondition_failed",
                       _("This document was changed by someone else meanwhile; reload it"),
                       {"version": document.version})
    body = read_json_object(request)
    schema = content.schema_for(request.dbsession, document.type, document.unit_id, csrf=False)
    names = {node.name for node in schema.children}
    current = plain({k: v for k, v in content.field_values(document).items() if k in names})
    data = validate(request, schema, merge(current, body))  # unknown keys of the body are refused there
    try:
        content.edit(request.dbsession, document, data, Actor.of(current_user(request)))
    except ServiceError as exc:
        raise service_error(request, exc) from None
    return answer_document(request, document)


@view_config(route_name="api_document", request_method="DELETE")
def delete(request):
    document = viewable_document(request)
    require(request, "delete", document)
    expected = if_match(request, required=False)
    if expected is not None and expected != document.version:
        raise ApiError(412, "precondition_failed",
                       _("This document was changed by someone else meanwhile; reload it"),
                       {"version": document.version})
    content.trash(request.dbsession, document, Actor.of(current_user(request)))
    return Response(status=204)


ALLOWED_METHODS = {"api_types": "GET", "api_documents": "GET, POST", "api_document": "GET, PATCH, DELETE",
                   "api_workflow": "GET", "api_transition": "POST", "api_worklist": "GET"}


@view_config(route_name="api_types")
@view_config(route_name="api_documents")
@view_config(route_name="api_document")
@view_config(route_name="api_workflow")
@view_config(route_name="api_transition")
@view_config(route_name="api_worklist")
def method_not_allowed(request):
    """Any other method on these routes (the views above carry a ``request_method``)."""
    allowed = ALLOWED_METHODS[request.matched_route.name]
    response = json_error(request, 405, "method_not_allowed", _("Method not allowed here; use ${methods}",
                                                                mapping={"methods": allowed}))
    response.headers["Allow"] = allowed
    return response
