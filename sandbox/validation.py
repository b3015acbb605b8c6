"""Check request bodies and query strings as the documented API does.

Every check raises HttpError(400) with a message that names the field, so a
product developer can see at once what the sandbox disliked.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from . import clock
from .web import HttpError

PASS_STATUSES = ("active", "inactive", "expired", "void")

# Required strings of an event-ticket body and their longest allowed length.
TICKET_FIELDS = (
    ("bookingId", 100),
    ("film", 200),
    ("startTime", 50),
    ("seat", 50),
    ("row", 50),
    ("screen", 50),
)
CUSTOMER_NAME_LIMIT = 200
CUSTOMER_EMAIL_LIMIT = 254

# A ticket stays valid for a while after the show starts, so that late
# arrivals can still be scanned in.
TICKET_VALID_AFTER_START = timedelta(hours=6)

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
OBJECT_ID_PATTERN = re.compile(r"[0-9a-fA-F]{24}")


@dataclass(frozen=True)
class TicketRequest:
    """A valid event-ticket request, ready to store."""

    booking_id: str
    film: str
    start_time: object
    seat: str
    row: str
    screen: str
    customer_name: str
    customer_email: str
    send_email: bool
    expiry_date: object


def ticket_from_body(body):
    """Return the TicketRequest that body describes, or raise a 400."""
    values = {
        name: _required_string(body, name, limit) for name, limit in TICKET_FIELDS
    }
    start_time, expiry_date = _showing_times(values["startTime"])
    name, email = _customer(body.get("customer"))
    return TicketRequest(
        booking_id=values["bookingId"],
        film=values["film"],
        start_time=start_time,
        seat=values["seat"],
        row=values["row"],
        screen=values["screen"],
        customer_name=name,
        customer_email=email,
        send_email=_optional_boolean(body, "sendEmail", default=False),
        expiry_date=expiry_date,
    )


def page_params(request):
    """Return (limit, page) from the shared pagination query parameters."""
    limit = _integer_param(request, "limit", default=10, low=1, high=100)
    page = _integer_param(request, "page", default=1, low=1, high=None)
    return limit, page


def boolean_param(request, name, *, default):
    """Return query parameter name as a bool; only true and false are valid."""
    value = request.query_value(name)
    if value is None:
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise HttpError(400, f"{name} must be true or false")


def status_param(request):
    """Return the status filter, or None when absent."""
    value = request.query_value("status")
    if value is None or value in PASS_STATUSES:
        return value
    raise HttpError(400, f"status must be one of {', '.join(PASS_STATUSES)}")


def object_id(value, message):
    """Return value lower-cased if it looks like an API id, else raise a 400."""
    if isinstance(value, str) and OBJECT_ID_PATTERN.fullmatch(value):
        return value.lower()
    raise HttpError(400, message)


def _required_string(container, name, limit, label=None):
    label = label or name
    value = container.get(name)
    if value is None:
        raise HttpError(400, f"{label} is required")
    if not isinstance(value, str):
        raise HttpError(400, f"{label} must be a string")
    if not value.strip():
        raise HttpError(400, f"{label} must not be empty")
    if len(value) > limit:
        raise HttpError(400, f"{label} must be at most {limit} characters")
    return value


def _showing_times(text):
    start_time = clock.parse_date_time(text)
    try:
        if start_time is not None:
            return start_time, start_time + TICKET_VALID_AFTER_START
    except OverflowError:
        pass  # A start so close to the year 9999 that the expiry cannot exist.
    raise HttpError(400, "startTime must be an ISO 8601 date-time")


def _customer(customer):
    if customer is None:
        raise HttpError(400, "customer is required")
    if not isinstance(customer, dict):
        raise HttpError(400, "customer must be an object with name and email")
    name = _required_string(customer, "name", CUSTOMER_NAME_LIMIT, "customer.name")
    email = _required_string(
        customer, "email", CUSTOMER_EMAIL_LIMIT, "customer.email"
    )
    if not EMAIL_PATTERN.fullmatch(email.strip()):
        raise HttpError(400, "customer.email must be a valid email address")
    return name, email.strip()


def _optional_boolean(body, name, *, default):
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise HttpError(400, f"{name} must be a boolean")
    return value


def _integer_param(request, name, *, default, low, high):
    value = request.query_value(name)
    if value is None:
        return default
    number = int(value) if value.isascii() and value.isdigit() else None
    if number is None or number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high else f"at least {low}"
        raise HttpError(400, f"{name} must be an integer {bounds}")
    return number
