"""``/api/openapi.json``: valid OpenAPI 3.1, complete against the route table, generated from colander.

The route table is read here from the same introspector the generator reads, but the
checks are independent: every route under ``/api`` (but the catch-all) with every
method of its views must be in the document, with its path parameters required and
free of regex.  The fuzz test (tests/test_fuzz_api.py) checks that the server answers
as the document says.
"""
import re

import colander
import pytest
from openapi_spec_validator import validate

from xietong.api import openapi
from xietong.schemas.common import text

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document(app):
    import webtest

    return webtest.TestApp(app).get("/api/openapi.json", status=200).json


def registered_api_routes(app) -> dict[str, tuple[str, set[str]]]:
    """route name -> (pattern, methods its method-specific views take), from the introspector."""
    introspector = app.registry.introspector
    routes = {}
    for entry in introspector.get_category("routes"):
        route = entry["introspectable"]
        if not route["pattern"].startswith("/api/") or route["name"] == "api_notfound":
            continue
        methods = set()
        for view in introspector.related(route):
            declared = view.get("request_methods") if view.category_name == "views" else None
            if declared:
                methods.update([declared] if isinstance(declared, str) else declared)
        routes[route["name"]] = (route["pattern"], methods - {"HEAD"})
    return routes


def test_anonymous_get_is_json(testapp):
    response = testapp.get("/api/openapi.json", status=200)
    assert response.content_type == "application/json"
    assert response.json["openapi"].startswith("3.1")
    assert response.json["servers"] == [{"url": "http://localhost"}]


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_every_api_route_and_method_is_in_it(app, document):
    routes = registered_api_routes(app)
    assert {"api_openapi", "api_token", "api_document", "api_transition", "api_search"} <= set(routes)
    for name, (pattern, methods) in routes.items():
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", pattern)
        assert path in document["paths"], (name, path)
        documented = set(document["paths"][path]) & HTTP_METHODS
        assert documented == {m.lower() for m in methods}, (name, documented, methods)
    assert all(path.startswith("/api/") for path in document["paths"])
    assert not any("*" in path for path in document["paths"])  # the catch-all is not an operation


def test_every_operation_is_described(app, document):
    """A new API view needs a row in ``openapi.OPERATIONS`` (its statuses and shapes)."""
    described = {(route, method) for route, method in openapi.OPERATIONS}
    registered = {(name, m) for name, (_p, methods) in registered_api_routes(app).items() for m in methods}
    assert registered == described


def test_path_parameters_are_required_and_plain(document):
    for path, item in document["paths"].items():
        names = re.findall(r"\{([^}]*)\}", path)
        assert all(re.fullmatch(r"\w+", name) for name in names), path
        for method, operation in item.items():
            declared = [p for p in operation.get("parameters", []) if p.get("in") == "path"]
            assert sorted(p["name"] for p in declared) == sorted(names), (path, method)
            assert all(p["required"] is True for p in declared)


def test_a_regex_in_a_placeholder_becomes_a_pattern():
    assert openapi.openapi_path("/api/users/{id:\\d+}/{code:[a-z]{2,3}}") == (
        "/api/users/{id}/{code}", {"id": "\\d+", "code": "[a-z]{2,3}"})
    assert openapi.path_parameter("id", "\\d+", [])["schema"]["pattern"] == "^(?:\\d+)$"


def test_every_error_answer_is_the_error_shape(document):
    error = {"$ref": "#/components/schemas/Error"}
    for name, response in document["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == error, name
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert response["$ref"].startswith("#/components/responses/"), (path, method, status)


def test_statuses_and_security(document):
    paths = document["paths"]
    assert set(paths["/api/documents/{id}"]["patch"]["responses"]) == {
        "200", "400", "401", "403", "404", "412", "428"}
    assert set(paths["/api/documents/{id}/@workflow/{transition}"]["post"]["responses"]) >= {"403", "409"}
    assert set(paths["/api/documents/{id}"]["delete"]["responses"]) >= {"204", "412"}
    assert set(paths["/api/auth/token"]["post"]["responses"]) == {"200", "400", "401", "429"}
    assert paths["/api/auth/token"]["post"]["security"] == []
    assert paths["/api/openapi.json"]["get"]["security"] == []
    assert "security" not in paths["/api/me"]["get"] and "401" in paths["/api/me"]["get"]["responses"]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "A token from POST /api/auth/token"}


def test_bodies_come_from_the_colander_schemas(document):
    schemas = document["components"]["schemas"]
    assert [branch["$ref"].rsplit("/", 1)[1] for branch in schemas["NewDocument"]["oneOf"]] == [
        "NewInformationSystem", "NewFiling", "NewIntegrationPlan", "NewRectificationOrder", "NewProgressReport",
        "NewAnnualReport", "NewAggregateReport"]  # no NewKeyTask: tasks come from the seed
    assert "KeyTaskPatch" in schemas and "NewKeyTask" not in schemas
    filing = schemas["NewFiling"]
    assert filing["properties"]["type"] == {"const": "filing"}
    assert filing["additionalProperties"] is False and "csrf_token" not in filing["properties"]
    assert set(filing["required"]) == {"type", "title", "year", "project_type", "funding_kind", "amount",
                                       "funding_source", "build_mode", "compliance"}
    title = filing["properties"]["title"]
    assert (title["type"], title["minLength"], title["maxLength"]) == ("string", 1, 300)
    assert filing["properties"]["year"]["minimum"] == 2000 and filing["properties"]["year"]["maximum"] == 2100
    assert filing["properties"]["project_type"]["enum"] == ["new", "upgrade", "om"]
    amount = filing["properties"]["amount"]
    assert amount["type"] == ["string", "number"] and amount["minimum"] == 0.01 and "pattern" in amount
    assert filing["properties"]["systems"]["items"]["type"] == "integer"
    assert filing["properties"]["compliance"]["required"] == ["network"]
    plan = schemas["NewIntegrationPlan"]["properties"]["items"]
    assert plan["type"] == "array" and plan["maxItems"] == 200 and plan["items"]["required"] == ["system", "action"]
    system = schemas["NewInformationSystem"]["properties"]
    assert system["approval_date"] == {**system["approval_date"], "type": ["string", "null"], "format": "date"}
    assert system["catalogued"]["type"] == "boolean"  # colander refuses null for booleans
    patch = schemas["FilingPatch"]
    assert "required" not in patch and "required" not in patch["properties"]["compliance"]
    assert patch["additionalProperties"] is False
    assert schemas["Filing"]["properties"]["amount"]["type"] == "string"  # the renderer writes "125.50"


def test_search_parameters_come_from_its_schema(document):
    parameters = {p["name"]: p for p in document["paths"]["/api/search"]["get"]["parameters"]}
    assert list(parameters) == ["q", "type", "state", "unit", "limit", "offset"]
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 20}
    assert "draft" in parameters["state"]["schema"]["enum"]
    assert not any(p["required"] for p in parameters.values())


@pytest.mark.parametrize("node, expected", [
    (text("t", 10), {"type": "string", "minLength": 1, "maxLength": 10, "pattern": openapi.NO_C0}),
    (colander.SchemaNode(colander.Integer(), validator=colander.Range(1, 9)),
     {"type": "integer", "minimum": 1, "maximum": 9}),
    (colander.SchemaNode(colander.String(), validator=colander.OneOf(["a", "b"])),
     {"type": "string", "enum": ["a", "b"]}),
    (colander.SchemaNode(colander.Integer(), validator=colander.OneOf([])), {"type": "integer"}),
    (colander.SchemaNode(colander.Boolean()), {"type": "boolean"}),
    (colander.SchemaNode(colander.Date()), {"type": "string", "format": "date"}),
    (colander.SchemaNode(colander.Sequence(), colander.SchemaNode(colander.String()),
                         validator=colander.Length(max=3)),
     {"type": "array", "items": {"type": "string"}, "maxItems": 3}),
])
def test_converter(node, expected):
    assert openapi.json_schema(node) == expected


def test_converter_mapping_required_and_null():
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    schema.add(colander.SchemaNode(colander.String(), name="a"))
    schema.add(colander.SchemaNode(colander.String(), name="b", missing=""))
    schema.add(colander.SchemaNode(colander.Boolean(), name="c", missing=False))
    schema.add(colander.SchemaNode(colander.String(), name="csrf_token", missing=colander.drop))
    converted = openapi.json_schema(schema)
    assert converted["required"] == ["a"] and converted["additionalProperties"] is False
    assert set(converted["properties"]) == {"a", "b", "c"}
    assert converted["properties"]["b"]["type"] == ["string", "null"]  # null reads as absent: ""
    assert converted["properties"]["c"]["type"] == "boolean"
    assert openapi.json_schema(schema, "response")["required"] == ["a", "b", "c"]
