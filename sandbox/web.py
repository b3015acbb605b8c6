"""HTTP building blocks shared by the API, the control API and the pages."""

import json
import re
from dataclasses import dataclass, field
from email.message import Message

API_BASE = "/api/v1/public"
CONTROL_BASE = "/_sandbox"

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass
class Request:
    """What a handler needs to know about one incoming request."""

    method: str
    path: str
    query: dict = field(default_factory=dict)
    headers: Message = field(default_factory=Message)
    raw_body: bytes = b""
    # Scheme, host and port the client used, for links back to the sandbox.
    origin: str = "http://127.0.0.1"

    def query_value(self, name):
        """Return the first value of query parameter name, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """An answer to send; faults may ask to delay it or to send nothing."""

    status: int | None
    body: bytes = b""
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


class HttpError(Exception):
    """A request the sandbox refuses, with the status and message to answer."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def json_response(status, payload, headers=None):
    """Return payload serialised as a JSON response."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, JSON_TYPE, dict(headers or {}))


def envelope(status, message, data, pagination=None):
    """Return a successful API answer wrapped in the documented envelope."""
    payload = {"success": True, "message": message, "data": data}
    if pagination is not None:
        payload["pagination"] = pagination
    return json_response(status, payload)


def envelope_error(status, message, headers=None):
    """Return a failed API answer: success false and a message, no data."""
    payload = {"success": False, "message": message}
    return json_response(status, payload, headers)


def html_response(status, html):
    """Return an HTML page response."""
    return Response(status, html.encode(), HTML_TYPE)


def text_response(status, text):
    """Return a plain-text response."""
    return Response(status, text.encode(), TEXT_TYPE)


def parse_json(raw):
    """Return the JSON value in raw bytes, or None if they hold none."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: nesting deep enough to exhaust the parser's stack.
        return None


def json_object_body(request, *, required=True):
    """Return the request body as a dict, or raise 400 if it is not one.

    With required false an empty body gives an empty dict, for endpoints that
    take no body but must still reject a malformed one.
    """
    if not request.raw_body.strip() and not required:
        return {}
    body = parse_json(request.raw_body)
    if not isinstance(body, dict):
        raise HttpError(400, "Request body must be a JSON object")
    return body


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: object
    permission: str | None = None


class Router:
    """Map a method and a path to a handler, telling 404 apart from 405."""

    def __init__(self):
        self._routes = []

    def add(self, method, pattern, handler, permission=None):
        """Register handler for method on paths that fully match pattern."""
        route = Route(method, re.compile(pattern), handler, permission)
        self._routes.append(route)

    def resolve(self, method, path):
        """Return (route, path parameters), or raise a 404 or 405 HttpError."""
        allowed = []
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match and route.method == method:
                return route, match.groupdict()
            if match:
                allowed.append(route.method)
        if allowed:
            allow = {"Allow": ", ".join(sorted(set(allowed)))}
            raise HttpError(405, "Method not allowed", allow)
        raise HttpError(404, "Endpoint not found")
