"""``GET /api/openapi.json``: the OpenAPI 3.1 document of the JSON API, generated on each request.

Nothing in it is a second copy of what the application already knows:

* **Operations** come from the route table: every route in
  ``registry.introspector`` whose pattern starts with ``/api`` (except the catch-all
  ``api_notfound``), with the request methods of its views.  A view without a
  ``request_method`` predicate is the route's 405 answerer, not an operation; ``HEAD``
  is implied by ``GET`` (Pyramid's rule) and not listed.  ``{name:regex}``
  placeholders lose their regex (it becomes the parameter's ``pattern``).
* **Security** comes from the views' permission: ``NO_PERMISSION_REQUIRED`` is public,
  anything else needs the bearer token and can answer 401.
* **Request bodies and query parameters** are converted from the colander schemas by
  :func:`json_schema` (the types of :data:`content.TYPES` with ``csrf=False``, the search
  page's ``params_schema``).  Choices that come from the database (a unit's systems,
  the units a rectification order may target) are bound empty here, so they are
  documented as their type only; the state and transition enums are read from the
  loaded workflows.
* **What each view answers** — its status codes, the shape of its JSON, the headers it
  takes — is in :data:`OPERATIONS`, one table keyed by route name and method (the
  views build their JSON by hand, so the response shapes are written here once, in
  :func:`components`, next to the converted field schemas they embed).

The converter (:func:`json_schema`), per colander type::

    String     string; Length -> minLength/maxLength, OneOf -> enum, Regex -> pattern
    Integer    integer; Range -> minimum/maximum, OneOf -> enum
    Decimal    request: string (a decimal pattern) or number; response: string
               (the renderer writes amounts as "125.50"); Range -> minimum/maximum
    Boolean    boolean
    Date       string, format date (DateTime: date-time)
    Mapping    object; required = children without ``missing``; ``csrf_token`` dropped
    Sequence   array of the child; Length -> minItems/maxItems
    IdList     array of positive integers

``null`` is allowed where colander reads it as "absent" (strings, numbers, dates) and
the node has a ``missing`` value — a PATCH's ``null`` clears such a field.  In a
response a field is nullable when its ``missing`` is ``None``.  Validators that are
plain functions are known by :data:`FUNCTION_VALIDATORS` or left undocumented (the
server still applies them: such a value is answered 400).

The document is built per request (a few milliseconds): its ``servers`` entry is the
request's application URL, and titles are in the request's language.
"""
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
import re

import colander
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..i18n import translate
from ..schemas import common
from ..schemas import documents as document_schemas
from ..services import content
from ..services import search as search_service
from ..services.listing import MAX_PAGE
from .documents import MAX_INT

OPENAPI = "3.1.0"
EXCLUDED_ROUTES = frozenset({"api_notfound"})  # the catch-all: its 404 is in every operation's answers
NO_C0 = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$"  # control characters but tab, LF, CR: refused everywhere
NO_CC = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"  # the search also refuses DEL and C1
DECIMAL_PATTERN = "^[0-9]{1,8}(\\.[0-9]{1,2})?$"
NULL_AS_ABSENT = (colander.String, colander.Number, colander.Date, colander.DateTime, colander.Time)


# -- colander -> JSON Schema ----------------------------------------------------------------------

def _range(validator: colander.Range) -> dict:
    result = {}
    for key, bound in (("minimum", validator.min), ("maximum", validator.max)):
        if isinstance(bound, (int, float, Decimal)) and not isinstance(bound, bool):
            result[key] = int(bound) if isinstance(bound, int) else float(bound)
    return result


#: validators that are plain functions, and their JSON Schema (the server runs them in any case)
FUNCTION_VALIDATORS = {
    common.no_control_chars: lambda: {"pattern": NO_C0},
    document_schemas._amount: lambda: _range(document_schemas._AMOUNT_RANGE),
    search_service._query_validator: lambda: {"pattern": NO_CC},
}


def _validators(validator) -> list:
    if validator is None:
        return []
    if isinstance(validator, colander.All):
        return [v for child in validator.validators for v in _validators(child)]
    return [validator]


def _constraints(node, kind: str) -> dict:
    """JSON Schema keywords from the node's validators; ``kind``: string, integer, number or array."""
    result: dict = {}
    for validator in _validators(node.validator):
        if isinstance(validator, colander.Length):
            prefix = "Items" if kind == "array" else "Length"
            if validator.min is not None and validator.min > 0:
                result[f"min{prefix}"] = validator.min
            if validator.max is not None:
                result[f"max{prefix}"] = validator.max
        elif isinstance(validator, colander.Range):
            result.update(_range(validator))
        elif isinstance(validator, colander.OneOf):
            choices = list(validator.choices)
            if choices:  # an empty choice list is one the database fills (bound empty here)
                result["enum"] = choices
        elif isinstance(validator, colander.Regex):
            result["pattern"] = validator.match_object.pattern
        elif callable(validator) and validator in FUNCTION_VALIDATORS:
            result.update(FUNCTION_VALIDATORS[validator]())
    return result


def _reads_null_as_absent(node) -> bool:
    """Does colander turn a JSON ``null`` into "absent" (then ``missing``) for this node?"""
    if not isinstance(node.typ, NULL_AS_ABSENT):  # booleans, lists, mappings: null is 400
        return False
    try:
        return node.typ.deserialize(node, None) is colander.null
    except colander.Invalid:
        return False


def _nullable(schema: dict) -> dict:
    result = dict(schema)
    kind = result.get("type")
    if isinstance(kind, str):
        result["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        result["type"] = [*kind, "null"]
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


def _plain_default(value):
    if isinstance(value, (str, bool, int, float)) or value == []:
        return value
    return None


def json_schema(node, mode: str = "request", tr=str) -> dict:
    """The JSON Schema of a colander node.

    ``mode``: ``request`` (a creation body), ``patch`` (a merge patch: objects reached
    through objects have no required keys; lists are replaced whole, so their items
    keep theirs) or ``response`` (every key present; nullable where ``missing`` is None).
    ``tr`` translates titles.
    """
    typ = node.typ
    if isinstance(typ, colander.Mapping):
        properties, required = {}, []
        for child in node.children:
            if child.name == "csrf_token":
                continue
            properties[child.name] = _property(child, mode, tr)
            if mode == "response" or (mode == "request" and child.required):
                required.append(child.name)
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if getattr(typ, "unknown", "ignore") == "raise":
            schema["additionalProperties"] = False
        return schema
    if isinstance(typ, colander.Sequence):
        item_mode = "request" if mode == "patch" else mode
        return {"type": "array", "items": json_schema(node.children[0], item_mode, tr),
                **_constraints(node, "array")}
    if isinstance(typ, document_schemas.IdList):
        return {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT}}
    if isinstance(typ, colander.Boolean):
        return {"type": "boolean"}
    if isinstance(typ, colander.Integer):
        return {"type": "integer", **_constraints(node, "integer")}
    if isinstance(typ, colander.Decimal):
        bounds = _constraints(node, "number")
        if mode == "response":
            return {"type": "string", "pattern": DECIMAL_PATTERN}
        return {"type": ["string", "number"], "pattern": DECIMAL_PATTERN, **bounds}
    if isinstance(typ, colander.Number):
        return {"type": "number", **_constraints(node, "number")}
    if isinstance(typ, colander.Date):
        return {"type": "string", "format": "date"}
    if isinstance(typ, colander.DateTime):
        return {"type": "string", "format": "date-time"}
    return {"type": "string", **_constraints(node, "string")}  # String, and custom types read from text


def _property(node, mode: str, tr) -> dict:
    schema = json_schema(node, mode, tr)
    if node.title:
        schema = {"title": tr(node.title), **schema}
    if node.description:
        schema["description"] = tr(node.description)
    if mode == "response":
        return _nullable(schema) if node.missing is None else schema
    if not node.required:
        default = _plain_default(node.missing)
        if default is not None and mode == "request":  # in a merge patch, absent means unchanged
            schema["default"] = default
        if _reads_null_as_absent(node):
            schema = _nullable(schema)
    return schema


def query_parameters(schema, tr=str) -> list[dict]:
    """OpenAPI query parameters from a colander mapping of GET parameters."""
    parameters = []
    for child in schema.children:
        value = json_schema(child, "request", tr)
        if not child.required and _plain_default(child.missing) is not None:
            value["default"] = child.missing
        parameter = {"name": child.name, "in": "query", "required": child.required, "schema": value}
        if child.description:
            parameter["description"] = tr(child.description)
        parameters.append(parameter)
    return parameters


# -- the route table ------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})*))?\}")


def openapi_path(pattern: str) -> tuple[str, dict[str, str | None]]:
    """``/api/documents/{id:\\d+}`` -> (``/api/documents/{id}``, {"id": "\\d+"})."""
    regexes = {}

    def plain(match):
        regexes[match.group(1)] = match.group(2)
        return "{" + match.group(1) + "}"

    return PLACEHOLDER.sub(plain, pattern), regexes


@dataclass(frozen=True)
class ApiRoute:
    name: str
    pattern: str
    methods: tuple[str, ...]  # upper case, HEAD left out (implied by GET)
    public: bool  # every view of the route has NO_PERMISSION_REQUIRED


def api_routes(registry) -> list[ApiRoute]:
    """The routes under ``/api`` and the methods their views take, from the introspector."""
    introspector = registry.introspector
    routes = []
    for entry in introspector.get_category("routes"):
        route = entry["introspectable"]
        pattern = route["pattern"]
        if not (pattern == "/api" or pattern.startswith("/api/")) or route["name"] in EXCLUDED_ROUTES:
            continue
        methods, public = [], True
        for view in introspector.related(route):
            if view.category_name != "views" or view["request_methods"] is None:
                continue  # a view for any method answers 405
            declared = view["request_methods"]
            for method in ((declared,) if isinstance(declared, str) else declared):
                if method != "HEAD" and method not in methods:
                    methods.append(method)
            permissions = [p["value"] for p in introspector.related(view) if p.category_name == "permissions"]
            public = public and permissions == [NO_PERMISSION_REQUIRED]
        routes.append(ApiRoute(route["name"], pattern, tuple(sorted(methods)), public and bool(methods)))
    return routes


# -- what each view answers -------------------------------------------------------------------------

def _listing_parameters(workflows) -> colander.SchemaNode:
    """``GET /api/documents``' filters as :func:`xietong.api.documents.list_all` reads them."""
    states = sorted({s for c in workflows for s in c.definition.states})
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="type", missing=None,
                                   validator=colander.OneOf(sorted(content.TYPES))))
    schema.add(colander.SchemaNode(colander.String(), name="state", missing=None, validator=colander.OneOf(states)))
    schema.add(colander.SchemaNode(colander.Integer(), name="unit", missing=None, validator=colander.Range(1, MAX_INT),
                                   description="A unit's id (GET /api/units)"))
    schema.add(colander.SchemaNode(colander.Integer(), name="year", missing=None, validator=colander.Range(1990, 2100)))
    schema.add(_page_node("limit", 50, 1, 10**9, "At most 200 are given"))
    schema.add(_page_node("offset", 0, 0, MAX_INT))
    return schema


def _page_node(name, default, minimum, maximum, description=None) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), name=name, missing=default,
                               validator=colander.Range(minimum, maximum), description=description)


def _worklist_parameters(workflows) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_page_node("limit", 50, 1, 10**9, "At most 200 are given"))
    schema.add(_page_node("offset", 0, 0, MAX_INT))
    return schema


def _search_parameters(workflows) -> colander.SchemaNode:
    return search_service.params_schema(None, workflows, content.TYPES)


@dataclass(frozen=True)
class Operation:
    summary: str
    response: str | None  # a component schema; None: no body
    status: int = 200
    errors: tuple[int, ...] = ()  # besides 400 (every route: an address that is not UTF-8) and 401
    body: str | None = None  # a component schema of the JSON request body
    body_required: bool = True
    query: object = None  # workflows -> a colander mapping of the query parameters
    if_match: str | None = None  # "required" or "optional"
    response_headers: tuple[str, ...] = ()  # component headers of the success answer


#: (route name, method) -> what the view takes and answers
OPERATIONS = {
    ("api_openapi", "GET"): Operation("This document", "OpenApiDocument"),
    ("api_token", "POST"): Operation("Exchange a username and password for a bearer token", "Token",
                                     errors=(401, 429), body="Credentials"),
    ("api_me", "GET"): Operation("The user of the token", "Me"),
    ("api_units", "GET"): Operation("The city's units (their ids are what other endpoints take)", "UnitList"),
    ("api_types", "GET"): Operation("The document types, and which the caller may create", "TypeList"),
    ("api_documents", "GET"): Operation("Documents the caller may view, newest first", "DocumentPage",
                                        query=_listing_parameters),
    ("api_documents", "POST"): Operation("Create a document in the caller's unit", "Document", status=201,
                                         errors=(403,), body="NewDocument", response_headers=("Location", "ETag")),
    ("api_document", "GET"): Operation("One document", "Document", errors=(403, 404), response_headers=("ETag",)),
    ("api_document", "PATCH"): Operation("Change fields of a document (a merge patch)", "Document",
                                         errors=(403, 404, 412, 428), body="DocumentPatch", if_match="required",
                                         response_headers=("ETag",)),
    ("api_document", "DELETE"): Operation("Move a document to the trash", None, status=204, errors=(403, 404, 412),
                                          if_match="optional"),
    ("api_workflow", "GET"): Operation("A document's state, the transitions from it and its history",
                                       "WorkflowInfo", errors=(403, 404)),
    ("api_transition", "POST"): Operation("Take a transition", "TransitionResult", errors=(403, 404, 409),
                                          body="TransitionRequest", body_required=False, if_match="optional"),
    ("api_worklist", "GET"): Operation("Documents the caller can move on now", "WorklistPage",
                                       query=_worklist_parameters),
    ("api_search", "GET"): Operation("Search titles and texts (every word, as a substring)", "SearchPage",
                                     query=_search_parameters),
    ("api_tasks", "GET"): Operation("The key tasks with their units, milestones, state, overdue flag and progress",
                                    "TaskList"),
}

ERROR_RESPONSES = {
    400: ("BadRequest", "The request is not valid: the body, a field, a parameter or If-Match (details.fields "
                        "names the fields); also an address or query string that is not UTF-8"),
    401: ("Unauthorized", "No valid bearer token (or a wrong username or password)"),
    403: ("Forbidden", "The caller may not do this; the message and details say which roles or guard would"),
    404: ("NotFound", "No such document (or it is in the trash), or no such route"),
    409: ("Conflict", "The document moved on meanwhile (a lost race); reload it"),
    412: ("PreconditionFailed", "If-Match is not the current version (details.version is)"),
    428: ("PreconditionRequired", "If-Match is required"),
    429: ("TooManyRequests", "Too many failed logins for this username or address; wait"),
}


def path_parameter(name: str, regex: str | None, workflows) -> dict:
    if name == "id":
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
    elif name == "transition":
        schema = {"type": "string", "enum": sorted({t.id for c in workflows for t in c.definition.transitions})}
    else:
        schema = {"type": "string"}
    if regex:
        schema["pattern"] = f"^(?:{regex})$"
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _operation(route: ApiRoute, method: str, workflows, tr) -> dict:
    spec = OPERATIONS.get((route.name, method))
    path, regexes = openapi_path(route.pattern)
    if spec is None:  # a new view nobody described yet: still listed (tests/test_openapi.py complains)
        spec = Operation(f"{method} {path}", "Any", errors=(403, 404))
    operation = {"operationId": f"{route.name}_{method.lower()}", "summary": spec.summary}
    parameters = [path_parameter(name, regex, workflows) for name, regex in regexes.items()]
    if spec.query is not None:
        parameters += query_parameters(spec.query(workflows), tr)
    if spec.if_match:
        parameters.append({"$ref": f"#/components/parameters/IfMatch{spec.if_match.capitalize()}"})
    if parameters:
        operation["parameters"] = parameters
    if spec.body:
        operation["requestBody"] = {"required": spec.body_required, "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{spec.body}"}}}}
    success: dict = {"description": "OK" if spec.status != 201 else "Created"}
    if spec.response:
        success["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{spec.response}"}}}
    if spec.response_headers:
        success["headers"] = {h: {"$ref": f"#/components/headers/{h}"} for h in spec.response_headers}
    statuses = {400, *spec.errors} | (set() if route.public else {401})
    if route.public:
        operation["security"] = []
    responses = {str(spec.status): success}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    operation["responses"] = responses
    return operation


# -- components -------------------------------------------------------------------------------------

def _object(properties: dict, required=None, **extra) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _or_null(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def type_schemas() -> dict[str, colander.SchemaNode]:
    """Each document type's colander schema, with the database's choices bound empty."""
    return {name: info.schema(None, (), csrf=False) for name, info in content.TYPES.items()}


def components(workflows, tr=str) -> dict:
    schemas_by_type = type_schemas()
    type_names = list(schemas_by_type)
    states = sorted({s for c in workflows for s in c.definition.states})
    date_time = {"type": "string", "format": "date-time"}
    text = {"type": "string"}
    schemas = {
        "Error": _object({"error": _object({
            "type": {"type": "string", "description": "e.g. invalid, bad_request, unauthorized, forbidden, "
                                                      "not_found, conflict, precondition_failed"},
            "message": {"type": "string"},
            "details": {"type": "object", "properties": {
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "field or parameter -> why it is not valid"}}}})},
            description="The one error shape of the API"),
        "Any": {},
        "OpenApiDocument": {"type": "object", "required": ["openapi", "paths"]},
        "Credentials": _object({"username": text, "password": text}),
        "Token": _object({"token": text, "expires": date_time}),
        "UnitRef": _object({"id": {"type": "integer"}, "code": text, "name": text}),
        "UserRef": _object({"id": {"type": "integer"}, "username": text, "display_name": text}),
        "Me": _object({"id": {"type": "integer"}, "username": text, "display_name": text, "unit": _ref("UnitRef"),
                       "unit_role": {"type": ["string", "null"]}, "roles": {"type": "array", "items": text}}),
        "Unit": _object({"id": {"type": "integer"}, "code": text, "name": text, "short_name": text, "kind": text,
                         "parent": {"type": ["string", "null"]}, "division_code": {"type": ["string", "null"]},
                         "credit_code": {"type": ["string", "null"]}}),
        "UnitList": _object({"items": {"type": "array", "items": _ref("Unit")}, "total": {"type": "integer"}}),
        "TypeList": _object({"items": {"type": "array", "items": _object({
            "id": {"type": "string", "enum": type_names}, "title": text, "workflow": {"type": ["string", "null"]},
            "addable": {"type": "boolean"}})}, "total": {"type": "integer"}}),
        "State": _object({"id": {"type": "string", "enum": states}, "title": text}),
        "TaskList": _object({"items": {"type": "array", "items": _object({
            "id": {"type": "integer"}, "number": text, "title": text, "section": {"type": "string",
                                                                                  "enum": ["key", "safeguard"]},
            "lead_units": {"type": "array", "items": text}, "cooperating_units": {"type": "array", "items": text},
            "milestones": {"type": "array", "items": _object({
                "title": text, "due_date": {"type": "string", "format": "date"},
                "original_due_date": {"type": "string", "format": "date"},
                "done_date": {"type": ["string", "null"], "format": "date"}, "overdue": {"type": "boolean"}})},
            "state": text, "overdue": {"type": "boolean"},
            "progress": {"type": ["integer", "null"], "minimum": 0, "maximum": 100}})},
            "total": {"type": "integer"}}),
        "Summary": _object(_summary_properties(type_names)),
        "DocumentPage": _page(_ref("Summary")),
        "WorklistPage": _page({"allOf": [_ref("Summary"), _object({
            "transitions": {"type": "array", "items": text}})]}),
        "SearchPage": _page(_object({"id": {"type": "integer"}, "type": {"type": "string", "enum": type_names},
                                     "title": text, "state": {"type": "string", "enum": states},
                                     "unit": _or_null(_ref("UnitRef")), "version": {"type": "integer"}})),
        "HistoryEntry": _object({
            "id": {"type": "integer"}, "transition": {"type": ["string", "null"]},
            "title": {"type": ["string", "null"]}, "from": {"type": ["string", "null"]}, "to": text,
            "actor": _or_null(_ref("UserRef")), "unit": _or_null(_ref("UnitRef")),
            "roles": {"type": "array", "items": text}, "comment": {"type": ["string", "null"]}, "time": date_time}),
        "WorkflowInfo": _object({
            "state": _ref("State"),
            "transitions": {"type": "array", "items": _object({
                "id": text, "title": text, "allowed": {"type": "boolean"},
                "comment": {"type": "string", "enum": ["required", "optional", "none"]},
                "reason": {"type": ["string", "null"]}})},
            "history": {"type": "array", "items": _ref("HistoryEntry")}}),
        "TransitionRequest": _object({"comment": {"type": ["string", "null"], "maxLength": 2000, "pattern": NO_C0}},
                                     required=[], additionalProperties=False),
        "TransitionResult": {"allOf": [_ref("HistoryEntry"), _object({"document": _object({
            "id": {"type": "integer"}, "state": _ref("State"), "version": {"type": "integer"}})})]},
    }
    new, patch, documents = [], [], []
    for name, schema in schemas_by_type.items():
        title = "".join(part.capitalize() for part in name.split("_"))
        fields = json_schema(schema, "request", tr)
        schemas[f"New{title}"] = {
            **fields, "properties": {"type": {"const": name}, **fields["properties"]},
            "required": ["type", *fields.get("required", [])], "additionalProperties": False}
        schemas[f"{title}Patch"] = {**json_schema(schema, "patch", tr), "additionalProperties": False}
        values = json_schema(schema, "response", tr)
        schemas[title] = _object({**_summary_properties(type_names), "type": {"const": name},
                                  "owner": _or_null(_ref("UserRef")), **values["properties"]})
        new.append(_ref(f"New{title}"))
        patch.append(_ref(f"{title}Patch"))
        documents.append(_ref(title))
    schemas["NewDocument"] = {"oneOf": new, "description": "A document of one type: `type` says which"}
    schemas["DocumentPatch"] = {"anyOf": patch, "description": (
        "A merge patch: objects merge key by key, lists and values replace, null clears; "
        "the merged whole is validated as a creation")}
    schemas["Document"] = {"oneOf": documents}

    error = {"application/json": {"schema": _ref("Error")}}
    responses = {name: {"description": description, "content": error}
                 for name, description in ERROR_RESPONSES.values()}
    responses["Unauthorized"]["headers"] = {"WWW-Authenticate": {"schema": text}}
    if_match = {"name": "If-Match", "in": "header", "schema": {"type": "string", "pattern": '^"?[0-9]{1,12}"?$'},
                "description": "The document's version as you read it (its ETag)"}
    return {
        "schemas": schemas,
        "responses": responses,
        "parameters": {"IfMatchRequired": {**if_match, "required": True},
                       "IfMatchOptional": {**if_match, "required": False}},
        "headers": {"ETag": {"required": True, "schema": text, "description": "The document's version"},
                    "Location": {"required": True, "schema": {"type": "string", "format": "uri"}}},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "A token from POST /api/auth/token"}},
    }


def _summary_properties(type_names) -> dict:
    return {"@id": {"type": "string", "format": "uri"}, "id": {"type": "integer"},
            "type": {"type": "string", "enum": type_names}, "title": {"type": "string"},
            "state": _ref("State"), "version": {"type": "integer"}, "unit": _or_null(_ref("UnitRef")),
            "path": {"type": "string"}, "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
            "due": {"type": ["string", "null"], "format": "date-time"}}


def _page(item: dict) -> dict:
    return _object({"items": {"type": "array", "items": item}, "total": {"type": "integer"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                    "offset": {"type": "integer", "minimum": 0}})


# -- the document -------------------------------------------------------------------------------------

def _version() -> str:
    try:
        return version("xietong")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without metadata
        return "0"


def openapi_document(registry, server_url: str, tr=str) -> dict:
    workflows = registry["workflows"]
    paths: dict = {}
    for route in api_routes(registry):
        path, _regexes = openapi_path(route.pattern)
        item = paths.setdefault(path, {})
        for method in route.methods:
            item[method.lower()] = _operation(route, method, workflows, tr)
    return {
        "openapi": OPENAPI,
        "info": {"title": "Xietong (协同) JSON API", "version": _version(), "description": (
            "Shaped after plone.restapi. Send `Authorization: Bearer <token>` (from POST /api/auth/token). "
            "Every error is `{\"error\": {\"type\", \"message\", \"details\"}}`. A method a route does not "
            "offer answers 405 (with `Allow`) or 404; HEAD is answered wherever GET is.")},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": components(workflows, tr),
    }


@view_config(route_name="api_openapi", request_method="GET", renderer="json", permission=NO_PERMISSION_REQUIRED)
def openapi_json(request):
    return openapi_document(request.registry, request.application_url,
                            lambda message: translate(request.localizer, message))
