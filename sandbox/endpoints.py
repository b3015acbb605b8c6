"""The documented RemyPass endpoints, answered from the sandbox store.

Paths here are relative to the API base path, /api/v1/public.
"""

import logging

from . import auth, shapes, validation, web
from .store import DuplicateBooking, PassAlreadyVoid, PassNotFound
from .web import HttpError

logger = logging.getLogger(__name__)

ISSUE_PATHS = ("/event-tickets/issue", "/event-tickets/create-from-booking")


def handle(request, store, keys):
    """Return the API's answer to request; never raise."""
    try:
        route, params = ROUTER.resolve(request.method, request.path)
        _authorise(request, keys, route.permission)
        return route.handler(request, store, **params)
    except HttpError as error:
        return web.envelope_error(error.status, error.message, error.headers)
    except Exception:
        logger.exception("Sandbox failed on a %s request", request.method)
        return web.envelope_error(500, "Internal sandbox error")


def _authorise(request, keys, permission):
    permissions = keys.get(auth.key_from_headers(request.headers))
    if permissions is None:
        raise HttpError(401, "Invalid or missing API key")
    if permission not in permissions:
        raise HttpError(403, f"API key lacks permission {permission}")


def issue_ticket(request, store):
    """Create an event ticket for a booking (both documented paths)."""
    ticket = validation.ticket_from_body(web.json_object_body(request))
    try:
        pass_row, member_row = store.issue_ticket(
            ticket, wallet_origin=request.origin
        )
    except DuplicateBooking:
        message = f"A ticket for booking {ticket.booking_id} already exists"
        raise HttpError(400, message) from None
    pass_instance = shapes.pass_json(
        pass_row,
        member=shapes.member_json(member_row),
        template=pass_row["template_id"],
    )
    data = {"passInstance": pass_instance, "emailSent": ticket.send_email}
    return web.envelope(201, "Event ticket created", data)


def list_passes(request, store):
    """List passes, leaving void ones out unless includeVoid=true."""
    limit, page = validation.page_params(request)
    member_id = request.query_value("memberId")
    if member_id is not None:
        member_id = validation.object_id(member_id, "Invalid memberId")
    rows, total = store.list_passes(
        status=validation.status_param(request),
        member_id=member_id,
        include_void=validation.boolean_param(request, "includeVoid", default=False),
        limit=limit,
        offset=(page - 1) * limit,
    )
    templates = {}
    data = [
        shapes.pass_json(
            row,
            member=row["member_id"],
            template=_template_for(store, row["template_id"], templates),
        )
        for row in rows
    ]
    pagination = shapes.pagination_json(page=page, limit=limit, total=total)
    return web.envelope(200, "Passes retrieved", data, pagination)


def get_pass(request, store, pass_id):
    """Return one pass with its member and template embedded."""
    row = _existing_pass(store, pass_id)
    member = store.get_member(row["member_id"])
    data = shapes.pass_json(
        row,
        member=shapes.member_json(member) if member else row["member_id"],
        template=_template_for(store, row["template_id"], {}),
    )
    return web.envelope(200, "Pass retrieved", data)


def revoke_pass(request, store, pass_id):
    """Make a pass void for good."""
    # No body is needed, but one that is sent must still be a JSON object.
    web.json_object_body(request, required=False)
    pass_id = validation.object_id(pass_id, "Invalid pass id")
    try:
        store.revoke_pass(pass_id)
    except PassNotFound:
        raise HttpError(404, "Pass not found") from None
    except PassAlreadyVoid:
        raise HttpError(400, "Pass is already void") from None
    return web.envelope(200, "Pass revoked", {})


def list_templates(request, store):
    """List pass templates, optionally filtered by a search text."""
    limit, page = validation.page_params(request)
    rows, total = store.list_templates(
        search=request.query_value("search"), limit=limit, offset=(page - 1) * limit
    )
    data = [shapes.template_json(row) for row in rows]
    pagination = shapes.pagination_json(page=page, limit=limit, total=total)
    return web.envelope(200, "Pass templates retrieved", data, pagination)


def get_template(request, store, template_id):
    """Return one pass template."""
    template_id = validation.object_id(template_id, "Invalid pass template id")
    row = store.get_template(template_id)
    if row is None:
        raise HttpError(404, "Pass template not found")
    return web.envelope(200, "Pass template retrieved", shapes.template_json(row))


def _existing_pass(store, pass_id):
    row = store.get_pass(validation.object_id(pass_id, "Invalid pass id"))
    if row is None:
        raise HttpError(404, "Pass not found")
    return row


def _template_for(store, template_id, cache):
    # A page of passes often shares one showing; fetch each template once.
    if template_id not in cache:
        row = store.get_template(template_id)
        cache[template_id] = shapes.template_json(row) if row else template_id
    return cache[template_id]


ROUTER = web.Router()
for _path in ISSUE_PATHS:
    ROUTER.add("POST", _path, issue_ticket, "passes:issue")
ROUTER.add("GET", r"/passes", list_passes, "passes:read")
ROUTER.add("GET", r"/passes/(?P<pass_id>[^/]+)", get_pass, "passes:read")
ROUTER.add("POST", r"/passes/(?P<pass_id>[^/]+)/revoke", revoke_pass, "passes:revoke")
ROUTER.add("GET", r"/pass-templates", list_templates, "pass_templates:read")
ROUTER.add(
    "GET", r"/pass-templates/(?P<template_id>[^/]+)", get_template,
    "pass_templates:read",
)
