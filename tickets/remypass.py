"""
The one place that speaks HTTP to RemyPass.

Every call goes through ``RemyPassClient._request``, which sets the timeouts,
unwraps the ``{success, message, data}`` envelope, logs the call once and
turns each way it can fail into one of these exceptions::

    RemyPassError                  base; ``message`` is safe to show staff
    ├── RemyPassUnavailable        no usable answer: try again later
    │   ├── RemyPassNotReached     the request certainly never arrived
    │   ├── RemyPassNoAnswer       it went out, no answer came back: it may
    │   │   │                      have been carried out
    │   │   └── RemyPassTimedOut   ... within the timeout
    │   ├── RemyPassServerError    5xx answer
    │   └── RemyPassBusy           429; ``retry_after`` in seconds, if given
    ├── RemyPassRejected           4xx; ``status`` and RemyPass's ``api_message``
    │   ├── RemyPassDuplicate      the booking id is already in use there
    │   ├── RemyPassAuthError      401: the key is wrong, expired or inactive
    │   ├── RemyPassPermissionError 403: the key or plan lacks a permission
    │   └── RemyPassNotFound       404
    ├── RemyPassBadResponse        an answer that is not the documented shape
    └── RemyPassNotConfigured      no key, or an unusable address: nothing sent

GETs are retried, with backoff, after a connection error, a 429 (unless
RemyPass asks for a long wait), 502, 503 or 504. A POST is retried only when
it certainly never reached RemyPass, so a retry can never issue twice.

Responses are parsed defensively: unknown fields are ignored, ``member`` and
``pass`` are accepted as an id string or an embedded object, and fields that
are missing or of the wrong type come back as ``None``.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from urllib3.exceptions import NewConnectionError

logger = logging.getLogger(__name__)

PASS_STATUSES = ("active", "inactive", "expired", "void")
# 5xx statuses on which a read may be repeated without harm (429 is handled
# on its own, since RemyPass may say how long to wait).
RETRYABLE_READ_STATUSES = {502, 503, 504}
# A read is retried after a 429 only if RemyPass asks for at most this wait;
# staff are waiting on the page meanwhile.
LONGEST_RETRY_WAIT = 5.0
# Retry-After values above this are taken as this (a day).
LONGEST_RETRY_AFTER = 86_400
MAX_LOGGED_BODY = 500
# The longest e-mail address there can be.
MAX_EMAIL = 254
# The longest ids and links the ticket's columns hold; longer ones are not
# cut short but treated as missing (see _whole).
ID_LIMIT = 64
BOOKING_ID_LIMIT = 100
URL_LIMIT = 1000
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SHOWABLE_TIMES = (datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=1),
                  datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1))
# The local part is a quoted string (JSON-escaped or not) or anything up to
# the @ that cannot stand around an address in text or a URL's query, so
# non-ASCII names, apostrophes and braces are masked whole; the domain may be
# a bracketed IP.
# The look-behind starts a match only where a run of such characters starts,
# which keeps a long text without an @ a single pass.
EMAIL_PATTERN = re.compile(r"""
    (?P<local>\\?"(?:[^"\\\n]|\\[^"\n]){0,64}\\?"
              |(?<![^\s@"<>(),;:\[\]/?=&\#])[^\s@"<>(),;:\[\]/?=&\#]+)
    @(?P<domain>\[[^\]\s]*\]|[\w.-]+)
""", re.VERBOSE)


def _masked(match: re.Match) -> str:
    first = next((char for char in match["local"] if char.isalnum()), "")
    return f"{first}***@{match['domain']}"


def mask_email(text: str) -> str:
    """Return ``text`` with every e-mail address cut to its first character."""
    return EMAIL_PATTERN.sub(_masked, text or "")


def _redact(text: str, secret: str) -> str:
    """Return ``text`` without ``secret`` and with e-mail addresses masked."""
    text = text or ""
    if secret:
        text = text.replace(secret, "[key]")
    return mask_email(text)


# --- Exceptions -------------------------------------------------------------


class RemyPassError(Exception):
    """A RemyPass call failed; ``message`` tells staff what to do."""

    default_message = gettext_lazy("RemyPass could not complete the request.")

    def __init__(self, message: str | None = None, *, status: int | None = None,
                 api_message: str = ""):
        self.message = message or str(self.default_message)
        self.status = status
        self.api_message = api_message
        super().__init__(self.message)


class RemyPassUnavailable(RemyPassError):
    """No usable answer came back; the same request may work later."""


class RemyPassNotReached(RemyPassUnavailable):
    """The request never reached RemyPass (refused, or connect timed out)."""


class RemyPassNoAnswer(RemyPassUnavailable):
    """The request went out but no usable answer came back."""


class RemyPassTimedOut(RemyPassNoAnswer):
    """The request went out and the answer did not come within the timeout."""


class RemyPassServerError(RemyPassUnavailable):
    """RemyPass answered with a 5xx status."""


class RemyPassBusy(RemyPassUnavailable):
    """RemyPass answered 429: the key's rate limit was reached."""

    def __init__(self, message=None, *, retry_after: int | None = None, **kw):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class RemyPassRejected(RemyPassError):
    """RemyPass refused the request (4xx)."""


class RemyPassDuplicate(RemyPassRejected):
    """RemyPass already holds a ticket for this booking id."""


class RemyPassAuthError(RemyPassRejected):
    """The API key was rejected (401)."""


class RemyPassPermissionError(RemyPassRejected):
    """The key or the company plan lacks a permission (403)."""


class RemyPassNotFound(RemyPassRejected):
    """RemyPass does not know the id (404)."""


class RemyPassBadResponse(RemyPassError):
    """RemyPass answered, but not in the documented shape."""


class RemyPassNotConfigured(RemyPassError):
    """No API key is set, so no call is attempted."""


# --- Parsed shapes ----------------------------------------------------------


def _clean(text: str) -> str:
    """Return ``text`` without the characters no text column can hold."""
    # PostgreSQL cannot store NUL characters in text columns, and a lone
    # surrogate (a "\ud800" escape in JSON) cannot even be encoded, so it
    # could be neither saved nor shown on a page.
    return LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def _text(value: Any, limit: int = 500) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return _clean(str(value))[:limit]
    return ""


def _whole(value: Any, limit: int) -> str:
    """Return an id or link exactly as RemyPass sent it, or "" if it cannot be."""
    # A shortened or cleaned-up id names another pass, or none, and a cut
    # link does not open: either is worse than having none.
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return ""
    text = str(value)
    if len(text) > limit or text != _clean(text):
        return ""
    return text


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        # RemyPass's examples are all UTC; read an offset-less time as UTC.
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed = parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None  # e.g. 9999-12-31T23:00-05:00 lies past the last year
    # Pages show times in the venue's zone: within a day of the calendar's
    # ends that could step past year 1 or 9999 and fail, so such a time
    # (most likely a stand-in for "none") is taken as missing.
    if not SHOWABLE_TIMES[0] <= parsed <= SHOWABLE_TIMES[1]:
        return None
    return parsed


def _id_and_object(value: Any) -> tuple[str, dict]:
    """Split a field that may be an id string or an embedded object."""
    if isinstance(value, dict):
        return _whole(value.get("_id"), ID_LIMIT), value
    return _whole(value, ID_LIMIT), {}


@dataclass
class MemberData:
    remypass_id: str
    name: str = ""
    email: str = ""
    member_ref: str = ""
    type: str = ""
    status: str = ""


@dataclass
class TemplateData:
    remypass_id: str
    name: str = ""
    description: str = ""
    type: str = ""
    approved: bool | None = None


@dataclass
class PassData:
    """One pass instance as RemyPass described it."""

    remypass_id: str
    serial_number: str = ""
    status: str = ""
    member_id: str = ""
    member: MemberData | None = None
    template_id: str = ""
    template: TemplateData | None = None
    recipient_name: str = ""
    recipient_email: str = ""
    expiry_date: datetime | None = None
    issued_at: datetime | None = None
    apple_wallet_url: str = ""
    google_wallet_url: str = ""
    booking_id: str = ""
    event_name: str = ""
    event_time: datetime | None = None
    seat_section: str = ""
    seat_row: str = ""
    seat_number: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def film(self) -> str:
        """Return the film or event name, wherever RemyPass put it."""
        if self.event_name:
            return self.event_name
        return self.template.name if self.template else ""


@dataclass
class IssuedTicket:
    passes: PassData
    email_sent: bool | None
    message: str


@dataclass
class PassPage:
    items: list[PassData]
    has_next: bool


def parse_member(value: Any) -> tuple[str, MemberData | None]:
    member_id, obj = _id_and_object(value)
    if not obj:
        return member_id, None
    return member_id, MemberData(
        remypass_id=member_id,
        name=_text(obj.get("name"), 200),
        email=_text(obj.get("email"), 254),
        member_ref=_text(obj.get("memberId"), 100),
        type=_text(obj.get("type"), 20),
        status=_text(obj.get("status"), 20),
    )


def parse_template(value: Any) -> tuple[str, TemplateData | None]:
    template_id, obj = _id_and_object(value)
    if not obj:
        return template_id, None
    approved = obj.get("approved")
    return template_id, TemplateData(
        remypass_id=template_id,
        name=_text(obj.get("name"), 200),
        description=_text(obj.get("description"), 500),
        type=_text(obj.get("type"), 50),
        approved=approved if isinstance(approved, bool) else None,
    )


def parse_pass(obj: Any) -> PassData:
    """Read a PassInstance object; raise RemyPassBadResponse if it has no id."""
    if not isinstance(obj, dict):
        raise RemyPassBadResponse(_("RemyPass sent a ticket in an unknown shape."))
    pass_id = _whole(obj.get("_id"), ID_LIMIT)
    if not pass_id:
        raise RemyPassBadResponse(_("RemyPass's answer did not include a ticket id."))
    member_id, member = parse_member(obj.get("member"))
    template_id, template = parse_template(obj.get("pass"))
    wallet = obj.get("walletUrls")
    wallet = wallet if isinstance(wallet, dict) else {}
    seat = obj.get("seatInfo")
    seat = seat if isinstance(seat, dict) else {}
    status = _text(obj.get("status"), 20).lower()
    return PassData(
        remypass_id=pass_id,
        serial_number=_text(obj.get("serialNumber"), 100),
        status=status if status in PASS_STATUSES else "",
        member_id=member_id,
        member=member,
        template_id=template_id,
        template=template,
        recipient_name=_text(obj.get("recipientName"), 200),
        recipient_email=_text(obj.get("recipientEmail"), 254),
        expiry_date=_datetime(obj.get("expiryDate")),
        issued_at=_datetime(obj.get("issuedAt")),
        apple_wallet_url=_url(wallet.get("apple")),
        google_wallet_url=_url(wallet.get("google")),
        booking_id=_whole(obj.get("bookingId"), BOOKING_ID_LIMIT),
        event_name=_text(obj.get("eventName"), 200),
        event_time=_datetime(obj.get("eventTime")),
        seat_section=_text(seat.get("section"), 50),
        seat_row=_text(seat.get("row"), 50),
        seat_number=_text(seat.get("seat"), 50),
        raw=obj,
    )


def _url(value: Any) -> str:
    # Only web links become buttons on a page; anything else is dropped.
    text = _whole(value, URL_LIMIT)
    return text if text.startswith(("https://", "http://")) else ""


def _retry_after_seconds(value: str | None) -> int | None:
    """Read Retry-After, given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(int(value), LONGEST_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0, math.ceil(seconds)), LONGEST_RETRY_AFTER)


def _busy_message(retry_after: int | None) -> str:
    if retry_after is None:
        return _("RemyPass is busy. Try again in a minute.")
    if retry_after < 1:
        return _("RemyPass is busy. Try again in a moment.")
    if retry_after < 120:
        return ngettext("RemyPass is busy. Try again in %(n)s second.",
                        "RemyPass is busy. Try again in %(n)s seconds.",
                        retry_after) % {"n": retry_after}
    minutes = math.ceil(retry_after / 60)
    return ngettext("RemyPass is busy. Try again in %(n)s minute.",
                    "RemyPass is busy. Try again in %(n)s minutes.",
                    minutes) % {"n": minutes}


def looks_like_duplicate(api_message: str) -> bool:
    text = api_message.lower()
    return "already exist" in text or "duplicate" in text or "already used" in text


# --- The client -------------------------------------------------------------

ISSUE_PATH = "/event-tickets/issue"


class RemyPassClient:
    """A RemyPass API client bound to one base URL and key."""

    def __init__(self, base_url: str, api_key: str, *,
                 timeout: tuple[float, float] = (5.0, 15.0),
                 read_retries: int = 2, retry_backoff: float = 0.5,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self.read_retries = read_retries
        self.retry_backoff = retry_backoff
        self.session = session or requests.Session()
        self.session.headers.update({
            "Accept": "application/json",
            "User-Agent": "venue_portal",
        })

    def __repr__(self):
        # The key stays out of reprs, tracebacks and debug pages.
        return f"<RemyPassClient {self.base_url}>"

    @classmethod
    def from_settings(cls) -> RemyPassClient:
        read = settings.REMYPASS_TIMEOUT
        return cls(
            settings.REMYPASS_BASE_URL,
            settings.REMYPASS_API_KEY,
            timeout=(min(settings.REMYPASS_CONNECT_TIMEOUT, read), read),
            read_retries=settings.REMYPASS_READ_RETRIES,
            retry_backoff=settings.REMYPASS_RETRY_BACKOFF,
        )

    # -- Endpoints --

    def issue_event_ticket(self, *, booking_id: str, film: str,
                           start_time: datetime, screen: str, row: str,
                           seat: str, customer_name: str, customer_email: str,
                           send_email: bool) -> IssuedTicket:
        """Create the ticket for one booking (POST /event-tickets/issue)."""
        body = {
            "bookingId": booking_id,
            "film": film,
            "startTime": format_utc(start_time),
            "screen": screen,
            "row": row,
            "seat": seat,
            "customer": {"name": customer_name, "email": customer_email},
            # Sent every time: the two issuing endpoints default differently.
            "sendEmail": bool(send_email),
        }
        return self._request("POST", ISSUE_PATH, json_body=body,
                             booking_id=booking_id, read=_read_issued)

    def get_pass(self, pass_id: str, *, booking_id: str = "") -> PassData:
        """Fetch one pass instance (GET /passes/{id})."""
        return self._request("GET", f"/passes/{_segment(pass_id)}",
                             booking_id=booking_id,
                             read=lambda envelope: parse_pass(envelope.get("data")))

    def list_passes(self, *, page: int = 1, limit: int = 100,
                    status: str | None = None,
                    include_void: bool = True) -> PassPage:
        """Fetch one page of pass instances (GET /passes)."""
        params: dict[str, Any] = {"page": page, "limit": limit,
                                  "includeVoid": "true" if include_void else "false"}
        if status:
            params["status"] = status
        return self._request("GET", "/passes", params=params,
                             read=lambda envelope: _read_page(envelope, page, limit))

    def iter_passes(self, *, include_void: bool = True, limit: int = 100,
                    max_pages: int = 10_000) -> Iterator[PassData]:
        """Yield every pass instance, page by page; raise if the end is not met."""
        for page in range(1, max_pages + 1):
            result = self.list_passes(page=page, limit=limit,
                                      include_void=include_void)
            yield from result.items
            if not result.has_next or not result.items:
                return
        # A search that stopped early would look like "RemyPass holds none".
        raise RemyPassBadResponse(_(
            "RemyPass kept sending more pages of tickets; the list was not "
            "read to its end."))

    def revoke_pass(self, pass_id: str, *, booking_id: str = "") -> str:
        """Void a pass for good (POST /passes/{id}/revoke); return the message."""
        envelope = self._request("POST", f"/passes/{_segment(pass_id)}/revoke",
                                 booking_id=booking_id)
        return _text(envelope.get("message"), 500)

    # -- Transport --

    def _request(self, method: str, path: str, *, json_body: dict | None = None,
                 params: dict | None = None, booking_id: str = "",
                 read: Callable[[dict], Any] | None = None) -> Any:
        """Send one call, retrying only where that is harmless; return ``read``'s."""
        if not self._api_key:
            raise RemyPassNotConfigured(_(
                "RemyPass is not configured: no API key is set. Ask your IT "
                "contact to set REMYPASS_API_KEY."))
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send_once(method, path, json_body=json_body,
                                       params=params, booking_id=booking_id,
                                       read=read)
            except RemyPassError as exc:
                if not self._may_retry(method, exc, attempt):
                    raise
                wait = self.retry_backoff * (2 ** (attempt - 1))
                if isinstance(exc, RemyPassBusy) and exc.retry_after:
                    wait = max(wait, exc.retry_after)
            time.sleep(wait)

    def _may_retry(self, method: str, exc: RemyPassError, attempt: int) -> bool:
        if method == "GET":
            return attempt <= self.read_retries and _is_retryable_read(exc)
        # A write is repeated only when it certainly never arrived, so a
        # retry can never create a second ticket.
        return attempt == 1 and isinstance(exc, RemyPassNotReached)

    def _send_once(self, method, path, *, json_body, params, booking_id,
                   read) -> Any:
        started = time.monotonic()
        label = booking_id or "-"
        try:
            response = self.session.request(
                method, self.base_url + path, json=json_body, params=params,
                headers={"X-API-Key": self._api_key}, timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            logger.error("RemyPass %s %s -> no answer (%s) after %.0f ms "
                         "(booking %s)", method, path, type(exc).__name__,
                         _ms_since(started), label)
            raise _transport_error(exc) from exc
        elapsed = _ms_since(started)
        try:
            envelope = _unwrap(response, secret=self._api_key)
            result = read(envelope) if read else envelope
        except RemyPassError as exc:
            quiet = isinstance(exc, (RemyPassRejected, RemyPassBusy))
            # Masked before the final cut, which could split an address or
            # the key and leave a part that no longer looks like one; the
            # first cut leaves room for the longest address past the end.
            body = _redact(response.text[:MAX_LOGGED_BODY + 2 * MAX_EMAIL],
                           self._api_key)[:MAX_LOGGED_BODY]
            logger.log(logging.WARNING if quiet else logging.ERROR,
                       "RemyPass %s %s -> %s in %.0f ms (booking %s): %s",
                       method, path, response.status_code, elapsed, label,
                       " ".join(body.split()) or "(empty body)")
            raise
        logger.info("RemyPass %s %s -> %s in %.0f ms (booking %s)", method, path,
                    response.status_code, elapsed, label)
        return result


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _segment(value: str) -> str:
    # An id goes into the path as one segment, whatever it contains.
    return quote(value, safe="")


def _read_issued(envelope: dict) -> IssuedTicket:
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise RemyPassBadResponse(_("RemyPass's answer did not include the ticket."))
    instance = data.get("passInstance", data)
    email_sent = data.get("emailSent")
    if email_sent is None and isinstance(instance, dict):
        email_sent = instance.get("emailSent")
    return IssuedTicket(
        passes=parse_pass(instance),
        email_sent=email_sent if isinstance(email_sent, bool) else None,
        message=_text(envelope.get("message"), 500),
    )


def _read_page(envelope: dict, page: int, limit: int) -> PassPage:
    items = envelope.get("data")
    if not isinstance(items, list):
        raise RemyPassBadResponse(_("RemyPass sent a ticket list in an unknown shape."))
    parsed = []
    for item in items:
        try:
            parsed.append(parse_pass(item))
        except RemyPassBadResponse:
            logger.warning("RemyPass GET /passes page %s: skipped an item "
                           "without an id", page)
    pagination = envelope.get("pagination")
    pagination = pagination if isinstance(pagination, dict) else {}
    has_next = pagination.get("hasNextPage")
    if not isinstance(has_next, bool):
        has_next = len(items) >= limit
    return PassPage(items=parsed, has_next=has_next)


def _is_retryable_read(exc: RemyPassError) -> bool:
    if isinstance(exc, RemyPassTimedOut):
        # Waiting the whole timeout again would keep staff waiting too long.
        return False
    if isinstance(exc, (RemyPassNotReached, RemyPassNoAnswer)):
        return True
    if isinstance(exc, RemyPassBusy):
        return exc.retry_after is None or exc.retry_after <= LONGEST_RETRY_WAIT
    return isinstance(exc, RemyPassServerError) and exc.status in RETRYABLE_READ_STATUSES


# requests errors raised before anything was sent, because the address itself
# is unusable.
_BAD_ADDRESS_ERRORS = (requests.exceptions.InvalidURL,
                       requests.exceptions.MissingSchema,
                       requests.exceptions.InvalidSchema,
                       requests.exceptions.URLRequired,
                       requests.exceptions.InvalidHeader)


def _transport_error(exc: requests.RequestException) -> RemyPassError:
    """Map a requests failure to whether the request could have arrived."""
    if isinstance(exc, requests.ConnectTimeout) or _refused(exc):
        return RemyPassNotReached(_(
            "RemyPass could not be reached. Nothing was sent; try again in a "
            "minute, and tell your IT contact if it keeps happening."))
    if isinstance(exc, _BAD_ADDRESS_ERRORS):
        return RemyPassNotConfigured(_(
            "RemyPass's address is not valid, so nothing was sent. Ask your IT "
            "contact to check REMYPASS_BASE_URL."))
    if isinstance(exc, requests.Timeout):
        return RemyPassTimedOut(_(
            "RemyPass did not answer in time. The request may still have gone "
            "through."))
    # Anything else may have happened after the request went out (a dropped
    # connection, an answer cut short), so it may have been carried out.
    return RemyPassNoAnswer(_(
        "The connection to RemyPass broke before its answer arrived. The "
        "request may still have gone through."))


def _refused(exc: requests.RequestException) -> bool:
    # requests wraps urllib3's MaxRetryError, whose reason tells a refused or
    # unresolvable connection (nothing sent) from one dropped mid-answer.
    inner = exc.args[0] if exc.args else None
    return isinstance(getattr(inner, "reason", None), NewConnectionError)


def _unwrap(response: requests.Response, *, secret: str = "") -> dict:
    """Return the envelope of a successful answer or raise the matching error."""
    status = response.status_code
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    api_message = _text(body.get("message"), 500) if isinstance(body, dict) else ""
    if secret:
        # RemyPass's text is stored and shown; it must not carry the key.
        api_message = api_message.replace(secret, "[key]")

    if status >= 400 or (300 <= status < 400):
        raise _status_error(status, api_message, response.headers)
    if not isinstance(body, dict):
        raise RemyPassBadResponse(_(
            "RemyPass answered in an unexpected format. The request may have "
            "gone through."), status=status)
    if body.get("success") is False:
        raise RemyPassBadResponse(
            _("RemyPass reported a failure: %(message)s")
            % {"message": api_message or _("no reason given")},
            status=status, api_message=api_message)
    return body


def _status_error(status: int, api_message: str, headers) -> RemyPassError:
    reason = api_message or _("no reason given")
    if status == 401:
        return RemyPassAuthError(_(
            "The RemyPass API key was rejected. Ask your IT contact to check "
            "REMYPASS_API_KEY."), status=status, api_message=api_message)
    if status == 403:
        return RemyPassPermissionError(_(
            "The RemyPass key is not allowed to do this (%(reason)s). Ask your "
            "IT contact to add the permission or check the plan.")
            % {"reason": reason}, status=status, api_message=api_message)
    if status == 404:
        return RemyPassNotFound(_("RemyPass does not know this ticket."),
                                status=status, api_message=api_message)
    if status == 429:
        retry_after = _retry_after_seconds(headers.get("Retry-After"))
        return RemyPassBusy(_busy_message(retry_after), retry_after=retry_after,
                            status=status, api_message=api_message)
    if status >= 500:
        return RemyPassServerError(_(
            "RemyPass had a problem on its side (error %(status)s). Try again in "
            "a few minutes.") % {"status": status}, status=status,
            api_message=api_message)
    if status < 400:
        return RemyPassBadResponse(_("RemyPass answered with a redirect, which "
                                     "it should not. Check REMYPASS_BASE_URL."),
                                   status=status)
    if status == 409 or looks_like_duplicate(api_message):
        return RemyPassDuplicate(_(
            "RemyPass already has a ticket for this booking id."), status=status,
            api_message=api_message)
    return RemyPassRejected(
        _("RemyPass refused the ticket: %(reason)s") % {"reason": reason},
        status=status, api_message=api_message)


def format_utc(value: datetime) -> str:
    """Return an aware datetime as UTC ISO 8601 with a ``Z``."""
    if value.tzinfo is None:
        raise ValueError("start times must be timezone-aware")
    utc = value.astimezone(timezone.utc).replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")


def client() -> RemyPassClient:
    """Return a client configured from settings."""
    return RemyPassClient.from_settings()
