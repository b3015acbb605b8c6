"""Fault injection: rules that make the sandbox fail the way networks do.

A rule names a kind of failure, optionally a method, a path prefix (relative
to the API base) and how many requests it should spoil. The first matching
rule with uses left is applied to each API request.

Kinds that "run the handler" let the real request take effect first, so a
test can check how the product copes when RemyPass did the work but the
answer never arrived intact.
"""

import json
import time
from numbers import Real

from . import pages, web
from .endpoints import ISSUE_PATHS
from .web import API_BASE, HttpError

DEFAULT_MISSING_FIELDS = ("serialNumber", "walletUrls")
DEFAULT_RETRY_AFTER = 30
LONGEST_DELAY = 300.0
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def parse_rule(body):
    """Return the checked rule fields of a control-API body, or raise a 400."""
    kind = body.get("kind")
    if kind not in PARAMETERS:
        raise HttpError(400, f"kind must be one of {', '.join(sorted(PARAMETERS))}")
    params = {}
    for name, value in body.items():
        if name in ("kind", "method", "path", "times"):
            continue
        if name not in PARAMETERS[kind]:
            raise HttpError(400, f"{name} is not a setting of {kind} faults")
        params[name] = PARAMETERS[kind][name](name, value)
    if kind == "delay" and "seconds" not in params:
        raise HttpError(400, "delay faults need seconds")
    return {
        "kind": kind,
        "method": _method(body.get("method")),
        "path": _path(body.get("path")),
        "times": _times(body.get("times")),
        "params": params,
    }


def apply(rule, path, run_handler):
    """Return the response that rule makes of a request to path.

    run_handler answers the request for real; kinds call it or not.
    """
    params = json.loads(rule["params"])
    return APPLIERS[rule["kind"]](params, path, run_handler)


def rule_json(rule):
    """Return a stored rule as the control API shows it."""
    return {
        "id": rule["id"],
        "kind": rule["kind"],
        "method": rule["method"],
        "path": rule["path"],
        "times": rule["times_left"],
        "hits": rule["hits"],
        **json.loads(rule["params"]),
    }


# Appliers, one per kind.


def _status(params, path, run_handler):
    status, body = params.get("status", 500), params.get("body")
    if body is None:
        return web.Response(status)
    if isinstance(body, str):
        return web.text_response(status, body)
    return web.json_response(status, body)


def _html(params, path, run_handler):
    status = params.get("status", 502)
    return web.html_response(status, pages.gateway_error(status))


def _malformed_json(params, path, run_handler):
    if params.get("process", False):
        real = run_handler()
        status, body = params.get("status", real.status), real.body
    else:
        status = params.get("status", 201 if path in ISSUE_PATHS else 200)
        body = json.dumps({"success": True, "message": "OK", "data": {}}).encode()
    # Any proper prefix of a JSON object is invalid: its closing brace is last.
    return web.Response(status, body[: len(body) // 2], web.JSON_TYPE)


def _missing_fields(params, path, run_handler):
    real = run_handler()
    try:
        payload = json.loads(real.body)
    except ValueError:
        return real
    fields = params.get("fields", DEFAULT_MISSING_FIELDS)
    for target in _objects_to_strip(payload):
        for field in fields:
            target.pop(field, None)
    return web.json_response(real.status, payload, real.headers)


def _delay(params, path, run_handler):
    if params.get("before", False):
        time.sleep(params["seconds"])
        return run_handler()
    real = run_handler()
    real.delay = params["seconds"]
    return real


def _drop(params, path, run_handler):
    if params.get("process", True):
        run_handler()
    return web.Response(None, drop=True)


def _rate_limit(params, path, run_handler):
    retry_after = params.get("retry_after", DEFAULT_RETRY_AFTER)
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return web.envelope_error(429, "Too many requests", headers)


def _objects_to_strip(payload):
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, dict) and isinstance(data.get("passInstance"), dict):
        return [data["passInstance"]]
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    return []


# Checks of rule settings; each returns the value or raises a 400.


def _method(value):
    if value is None:
        return None
    if isinstance(value, str) and value.upper() in METHODS:
        return value.upper()
    raise HttpError(400, f"method must be one of {', '.join(METHODS)}")


def _path(value):
    if value is None:
        return "/"
    if not isinstance(value, str) or not value.startswith("/"):
        raise HttpError(400, "path must start with /")
    # Accept the full path too; rules match paths relative to the API base.
    if value.startswith(API_BASE):
        value = value[len(API_BASE):] or "/"
    return value


def _times(value):
    if value is None:
        return None
    if _is_integer(value) and value >= 1:
        return value
    raise HttpError(400, "times must be a positive integer or null")


def _status_code(name, value):
    if _is_integer(value) and 200 <= value <= 599:
        return value
    raise HttpError(400, f"{name} must be an HTTP status code")


def _any_json(name, value):
    return value


def _boolean(name, value):
    if isinstance(value, bool):
        return value
    raise HttpError(400, f"{name} must be a boolean")


def _field_names(name, value):
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise HttpError(400, f"{name} must be a list of field names")


def _seconds(name, value):
    if _is_number(value) and 0 <= value <= LONGEST_DELAY:
        return float(value)
    raise HttpError(400, f"{name} must be a number from 0 to {LONGEST_DELAY:g}")


def _retry_after(name, value):
    if value is None or (_is_integer(value) and value >= 0):
        return value
    raise HttpError(400, f"{name} must be a whole number of seconds or null")


def _is_integer(value):
    # bool is an int subclass, but "times": true is a mistake, not a count.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)


PARAMETERS = {
    "status": {"status": _status_code, "body": _any_json},
    "html": {"status": _status_code},
    "malformed_json": {"status": _status_code, "process": _boolean},
    "missing_fields": {"fields": _field_names},
    "delay": {"seconds": _seconds, "before": _boolean},
    "drop": {"process": _boolean},
    "rate_limit": {"retry_after": _retry_after},
}
APPLIERS = {
    "status": _status,
    "html": _html,
    "malformed_json": _malformed_json,
    "missing_fields": _missing_fields,
    "delay": _delay,
    "drop": _drop,
    "rate_limit": _rate_limit,
}
