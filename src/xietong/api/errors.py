"""The one error shape of the API: ``{"error": {"type", "message", "details"}}``."""
from pyramid.response import Response

from ..i18n import translate


def json_error(request, status: int, type_: str, message, details: dict | None = None) -> Response:
    response = Response(status=status, content_type="application/json", charset="utf-8")
    response.json_body = {"error": {"type": type_, "message": translate(request.localizer, message),
                                    "details": details or {}}}
    return response


def json_body(request) -> dict | None:
    """The request's JSON object, or None when the body is not a JSON object."""
    try:
        body = request.json_body
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
