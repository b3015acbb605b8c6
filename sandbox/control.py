"""The control API under /_sandbox/, plus the dashboard and wallet pages.

Tests and demos use it to inject faults, read what the product sent and
change passes behind the product's back. It needs no key and answers plain
JSON, not the API envelope; errors come as {"error": message}.
"""

import json
import logging

from . import faults, pages, shapes, validation, web
from .store import PassNotFound
from .web import API_BASE, HttpError

logger = logging.getLogger(__name__)

WALLETS = {"apple": "Apple Wallet", "google": "Google Wallet"}


def handle(request, store):
    """Return the answer to a control request (path relative to /_sandbox)."""
    return _answer(CONTROL_ROUTER, request, store)


def handle_wallet(request, store):
    """Return the page behind a pass's wallet link (path under /wallet)."""
    return _answer(WALLET_ROUTER, request, store)


def _answer(router, request, store):
    try:
        route, params = router.resolve(request.method, request.path)
        return route.handler(request, store, **params)
    except HttpError as error:
        return web.json_response(error.status, {"error": error.message}, error.headers)
    except Exception:
        logger.exception("Sandbox failed on a %s request", request.method)
        return web.envelope_error(500, "Internal sandbox error")


def dashboard(request, store):
    """Show every pass in a small HTML table."""
    html = pages.dashboard(store.all_passes(), request.origin + API_BASE)
    return web.html_response(200, html)


def list_faults(request, store):
    return web.json_response(200, {"faults": _fault_list(store)})


def add_fault(request, store):
    rule = faults.parse_rule(web.json_object_body(request))
    return web.json_response(201, faults.rule_json(store.add_fault(**rule)))


def clear_faults(request, store):
    store.clear_faults()
    return web.json_response(200, {"faults": []})


def list_requests(request, store):
    """List logged API requests, filtered by method and path prefix if asked."""
    method = (request.query_value("method") or "").upper()
    prefix = request.query_value("path") or ""
    if prefix.startswith(API_BASE):
        prefix = prefix[len(API_BASE):]
    entries = [
        _request_json(row)
        for row in store.logged_requests()
        if (not method or row["method"] == method) and row["path"].startswith(prefix)
    ]
    return web.json_response(200, {"requests": entries})


def clear_requests(request, store):
    store.clear_requests()
    return web.json_response(200, {"requests": []})


def reset(request, store):
    """Clear faults and the log; with {"data": true} every pass too."""
    wipe_data = web.json_object_body(request, required=False).get("data", False)
    if not isinstance(wipe_data, bool):
        raise HttpError(400, "data must be a boolean")
    store.reset(data=wipe_data)
    return web.json_response(200, {"reset": True, "data": wipe_data})


def list_passes(request, store):
    """List every pass, void ones included, without pagination."""
    passes = [_full_pass(store, row) for row in store.all_passes()]
    return web.json_response(200, {"passes": passes})


def set_pass_status(request, store, pass_id):
    """Change a pass's status as RemyPass's own dashboard could."""
    pass_id = validation.object_id(pass_id, "Invalid pass id")
    status = web.json_object_body(request).get("status")
    if status not in validation.PASS_STATUSES:
        choices = ", ".join(validation.PASS_STATUSES)
        raise HttpError(400, f"status must be one of {choices}")
    try:
        row = store.set_pass_status(pass_id, status)
    except PassNotFound:
        raise HttpError(404, "Pass not found") from None
    return web.json_response(200, {"pass": _full_pass(store, row)})


def wallet_pass(request, store, wallet, serial):
    row = store.get_pass_by_serial(serial)
    html = pages.wallet_page(WALLETS[wallet], serial, row)
    return web.html_response(200 if row else 404, html)


def _fault_list(store):
    return [faults.rule_json(rule) for rule in store.faults()]


def _request_json(row):
    return {
        "method": row["method"],
        "path": row["path"],
        "bookingId": row["booking_id"],
        # The JSON body as sent, or its raw text when it was not JSON.
        "body": _parsed_body(row["body"]),
        "status": row["status"],
        "fault": row["fault"],
        "at": row["received_at"],
    }


def _parsed_body(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _full_pass(store, row):
    member = store.get_member(row["member_id"])
    template = store.get_template(row["template_id"])
    return shapes.pass_json(
        row,
        member=shapes.member_json(member) if member else row["member_id"],
        template=shapes.template_json(template) if template else row["template_id"],
    )


CONTROL_ROUTER = web.Router()
CONTROL_ROUTER.add("GET", r"/?", dashboard)
CONTROL_ROUTER.add("GET", r"/faults", list_faults)
CONTROL_ROUTER.add("POST", r"/faults", add_fault)
CONTROL_ROUTER.add("DELETE", r"/faults", clear_faults)
CONTROL_ROUTER.add("GET", r"/requests", list_requests)
CONTROL_ROUTER.add("DELETE", r"/requests", clear_requests)
CONTROL_ROUTER.add("POST", r"/reset", reset)
CONTROL_ROUTER.add("GET", r"/passes", list_passes)
CONTROL_ROUTER.add("POST", r"/passes/(?P<pass_id>[^/]+)/status", set_pass_status)

WALLET_ROUTER = web.Router()
WALLET_ROUTER.add("GET", r"/(?P<wallet>apple)/(?P<serial>[^/]+)\.pkpass", wallet_pass)
WALLET_ROUTER.add("GET", r"/(?P<wallet>google)/(?P<serial>[^/]+)", wallet_pass)
