"""The JSON Schema of a workflow file — the one statement of its shape.

``docs/workflows.md`` shows an annotated example; :mod:`xietong.workflow.definition`
checks the meaning (states exist, roles known, reachable ...) after this schema
has checked the shape.  ``python -m xietong.workflow.schema`` prints it as JSON.
"""
import json

ID = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,39}$"}
# Roles and permissions imported from Plone keep their names ("Site Administrator").
NAME = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9 _.-]{0,59}$"}
TEXT = {"type": "string", "maxLength": 500}
ROLE_LIST = {"type": "array", "items": NAME, "uniqueItems": True}
DURATION = {"type": "string", "maxLength": 40}

DEADLINE = {
    "oneOf": [
        DURATION,
        {
            "type": "object",
            "properties": {"after": DURATION, "field": ID, "fire": ID},
            "additionalProperties": False,
            "minProperties": 1,
        },
    ]
}

STATE = {
    "type": "object",
    "properties": {
        "title": TEXT,
        "title_en": TEXT,
        "description": TEXT,
        "permissions": {"type": "object", "propertyNames": NAME, "additionalProperties": ROLE_LIST},
        "deadline": DEADLINE,
    },
    "required": ["title", "permissions"],
    "additionalProperties": False,
}

TRANSITION = {
    "type": "object",
    "properties": {
        "id": ID,
        "title": TEXT,
        "title_en": TEXT,
        "description": TEXT,
        "from": {"oneOf": [ID, {"type": "array", "items": ID, "minItems": 1, "uniqueItems": True}]},
        "to": ID,
        "roles": ROLE_LIST,
        "guards": {"type": "array", "items": ID, "uniqueItems": True},
        "actions": {"type": "array", "items": ID, "uniqueItems": True},
        "comment": {"enum": ["required", "optional", "none"]},
    },
    "required": ["id", "title", "from", "to", "roles"],
    "additionalProperties": False,
}

WORKLIST = {
    "type": "object",
    "properties": {
        "title": TEXT,
        "title_en": TEXT,
        "states": {"type": "array", "items": ID, "minItems": 1, "uniqueItems": True},
        "roles": ROLE_LIST,
    },
    "required": ["title", "states", "roles"],
    "additionalProperties": False,
}

WORKFLOW_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Xietong workflow definition",
    "type": "object",
    "properties": {
        "id": ID,
        "title": TEXT,
        "title_en": TEXT,
        "description": TEXT,
        "version": {"type": "integer", "minimum": 1},
        "types": {"type": "array", "items": ID, "uniqueItems": True},
        "initial": ID,
        "roles": {"type": "object", "propertyNames": NAME, "additionalProperties": TEXT},
        "states": {"type": "object", "propertyNames": ID, "additionalProperties": STATE, "minProperties": 1},
        "transitions": {"type": "array", "items": TRANSITION},
        "worklists": {"type": "object", "propertyNames": ID, "additionalProperties": WORKLIST},
    },
    "required": ["id", "title", "version", "initial", "states", "transitions"],
    "additionalProperties": False,
}

if __name__ == "__main__":
    print(json.dumps(WORKFLOW_SCHEMA, indent=2, ensure_ascii=False))
