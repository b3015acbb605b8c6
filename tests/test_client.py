"""
The RemyPass client on its own: one test per way a call can fail.

Most run against the live sandbox over HTTP; failures the sandbox cannot
produce (a connect timeout, an answer cut short mid-body, a bad address) go
through a stand-in session that raises what ``requests`` would.
"""

import json
import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tickets import remypass
from tickets.remypass import (
    RemyPassAuthError, RemyPassBadResponse, RemyPassBusy, RemyPassDuplicate,
    RemyPassNoAnswer, RemyPassNotConfigured, RemyPassNotFound, RemyPassNotReached,
    RemyPassPermissionError, RemyPassRejected, RemyPassServerError,
    RemyPassTimedOut, mask_email, parse_pass,
)

ISSUE_PATH = "/event-tickets/issue"
START = datetime(2030, 6, 1, 18, 30, tzinfo=timezone.utc)
UNKNOWN_ID = "0123456789abcdef01234567"


@pytest.fixture
def client(settings):
    settings.REMYPASS_TIMEOUT = 0.5
    settings.REMYPASS_CONNECT_TIMEOUT = 0.5
    return remypass.client()


def issue(client, booking_id="BK-1", email="john@example.com"):
    return client.issue_event_ticket(
        booking_id=booking_id, film="The Third Man", start_time=START,
        screen="Screen 2", row="F", seat="12", customer_name="Holly Martins",
        customer_email=email, send_email=False)


def raises(exc_type, call):
    """Return the exception ``call`` raised, checking its exact type."""
    with pytest.raises(remypass.RemyPassError) as info:
        call()
    assert type(info.value) is exc_type, repr(info.value)
    return info.value


# --- Answers RemyPass gives --------------------------------------------------


def test_issue_returns_the_parsed_pass(client, sandbox):
    issued = issue(client)

    (held,) = sandbox.passes()
    assert issued.passes.remypass_id == held["_id"]
    assert issued.passes.serial_number == held["serialNumber"]
    assert issued.passes.booking_id == "BK-1"
    assert issued.passes.seat_row == "F"
    assert issued.passes.event_time == START
    assert issued.email_sent is False
    assert issued.message == "Event ticket created"


def test_bad_request_is_rejected_with_remypass_reason(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=400,
                   body={"success": False, "message": "seat is required"})

    error = raises(RemyPassRejected, lambda: issue(client))

    assert error.message == "RemyPass refused the ticket: seat is required"
    assert (error.status, error.api_message) == (400, "seat is required")


def test_bad_request_without_a_message_says_no_reason_given(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=400)

    error = raises(RemyPassRejected, lambda: issue(client))

    assert error.message == "RemyPass refused the ticket: no reason given"


def test_booking_id_in_use_is_a_duplicate(client, sandbox):
    issue(client)

    error = raises(RemyPassDuplicate, lambda: issue(client))

    assert error.message == "RemyPass already has a ticket for this booking id."
    assert error.api_message == "A ticket for booking BK-1 already exists"


def test_conflict_status_is_a_duplicate(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=409,
                   body={"success": False, "message": "Conflict"})

    raises(RemyPassDuplicate, lambda: issue(client))


def test_wrong_key_is_an_auth_error(client, settings):
    settings.REMYPASS_API_KEY = "rp_wrong"

    error = raises(RemyPassAuthError, lambda: issue(remypass.client()))

    assert error.message == ("The RemyPass API key was rejected. Ask your IT "
                             "contact to check REMYPASS_API_KEY.")
    assert error.status == 401


def test_missing_permission_names_it(client, settings):
    settings.REMYPASS_API_KEY = "rp_sandbox_readonly"

    error = raises(RemyPassPermissionError, lambda: issue(remypass.client()))

    assert error.message == (
        "The RemyPass key is not allowed to do this (API key lacks permission "
        "passes:issue). Ask your IT contact to add the permission or check the "
        "plan.")


def test_unknown_pass_is_not_found(client):
    error = raises(RemyPassNotFound, lambda: client.get_pass(UNKNOWN_ID))

    assert error.message == "RemyPass does not know this ticket."
    assert error.api_message == "Pass not found"


def test_server_error_gives_the_status(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=500)

    error = raises(RemyPassServerError, lambda: issue(client))

    assert error.message == ("RemyPass had a problem on its side (error 500). "
                             "Try again in a few minutes.")


def test_gateway_html_page_is_a_server_error(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="html", status=502)

    error = raises(RemyPassServerError, lambda: issue(client))

    assert error.status == 502
    assert error.api_message == ""


def test_rate_limit_says_how_many_seconds_to_wait(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=42)

    error = raises(RemyPassBusy, lambda: issue(client))

    assert error.message == "RemyPass is busy. Try again in 42 seconds."
    assert error.retry_after == 42


def test_rate_limit_without_retry_after_says_a_minute(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=None)

    error = raises(RemyPassBusy, lambda: issue(client))

    assert error.message == "RemyPass is busy. Try again in a minute."
    assert error.retry_after is None


@pytest.mark.parametrize("header, message", [
    ("1", "RemyPass is busy. Try again in 1 second."),
    ("0", "RemyPass is busy. Try again in a moment."),
    ("119", "RemyPass is busy. Try again in 119 seconds."),
    ("3600", "RemyPass is busy. Try again in 60 minutes."),
    ("soon", "RemyPass is busy. Try again in a minute."),
    ("١٢", "RemyPass is busy. Try again in a minute."),  # not ASCII digits
])
def test_retry_after_in_seconds(header, message):
    error = raises(RemyPassBusy, lambda: fake_client(
        reply(429, b"{}", {"Retry-After": header})).issue_event_ticket(
        **ISSUE_ARGS))
    assert error.message == message


def test_retry_after_as_an_http_date():
    when = datetime.now(timezone.utc) + timedelta(minutes=10)
    header = format_datetime(when, usegmt=True)

    error = raises(RemyPassBusy, lambda: fake_client(
        reply(429, b"{}", {"Retry-After": header})).issue_event_ticket(
        **ISSUE_ARGS))

    assert error.message == "RemyPass is busy. Try again in 10 minutes."
    assert 590 <= error.retry_after <= 600


def test_retry_after_date_in_the_past_means_now():
    header = "Wed, 21 Oct 2015 07:28:00 GMT"

    error = raises(RemyPassBusy, lambda: fake_client(
        reply(429, b"{}", {"Retry-After": header})).issue_event_ticket(
        **ISSUE_ARGS))

    assert error.retry_after == 0


def test_half_a_json_answer_is_a_bad_response(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="malformed_json")

    error = raises(RemyPassBadResponse, lambda: issue(client))

    assert error.message == (
        "RemyPass answered in an unexpected format. The request may have gone "
        "through.")
    assert error.status == 201


def test_success_false_is_a_bad_response_with_the_message(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=200,
                   body={"success": False, "message": "quota exceeded"})

    error = raises(RemyPassBadResponse, lambda: issue(client))

    assert error.message == "RemyPass reported a failure: quota exceeded"


def test_answer_without_a_pass_id_is_a_bad_response(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="missing_fields",
                   fields=["_id"])

    error = raises(RemyPassBadResponse, lambda: issue(client))

    assert error.message == "RemyPass's answer did not include a ticket id."
    assert len(sandbox.passes()) == 1  # it was created all the same


def test_answer_without_data_is_a_bad_response(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=201,
                   body={"success": True, "message": "OK", "data": []})

    error = raises(RemyPassBadResponse, lambda: issue(client))

    assert error.message == "RemyPass's answer did not include the ticket."


def test_answer_with_fields_missing_is_still_read(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="missing_fields")

    issued = issue(client)

    assert issued.passes.remypass_id
    assert issued.passes.serial_number == ""
    assert issued.passes.apple_wallet_url == ""


def test_redirect_is_a_bad_response(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=302)

    error = raises(RemyPassBadResponse, lambda: issue(client))

    assert error.message == ("RemyPass answered with a redirect, which it "
                             "should not. Check REMYPASS_BASE_URL.")


def test_page_of_an_unknown_shape_is_a_bad_response(client, sandbox):
    sandbox.inject(method="GET", path="/passes", kind="status", status=200,
                   body={"success": True, "data": {"not": "a list"}})

    error = raises(RemyPassBadResponse, lambda: client.list_passes())

    assert error.message == "RemyPass sent a ticket list in an unknown shape."


# --- No answer --------------------------------------------------------------


def test_answer_later_than_the_timeout_is_timed_out(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="delay", seconds=1.0)

    error = raises(RemyPassTimedOut, lambda: issue(client))

    assert error.message == ("RemyPass did not answer in time. The request may "
                             "still have gone through.")
    assert len(sandbox.requests_received(path=ISSUE_PATH)) == 1


def test_connection_dropped_after_receipt_is_no_answer(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="drop")

    error = raises(RemyPassNoAnswer, lambda: issue(client))

    assert error.message == ("The connection to RemyPass broke before its "
                             "answer arrived. The request may still have gone "
                             "through.")
    assert len(sandbox.requests_received(path=ISSUE_PATH)) == 1
    assert len(sandbox.passes()) == 1


def test_refused_connection_is_not_reached(settings, unused_port):
    settings.REMYPASS_BASE_URL = f"http://127.0.0.1:{unused_port}/api/v1/public"

    error = raises(RemyPassNotReached, lambda: issue(remypass.client()))

    assert error.message == (
        "RemyPass could not be reached. Nothing was sent; try again in a "
        "minute, and tell your IT contact if it keeps happening.")


def test_no_key_sends_nothing(settings, sandbox):
    settings.REMYPASS_API_KEY = ""

    error = raises(RemyPassNotConfigured, lambda: issue(remypass.client()))

    assert error.message == ("RemyPass is not configured: no API key is set. Ask "
                             "your IT contact to set REMYPASS_API_KEY.")
    assert sandbox.requests_received() == []


@pytest.mark.parametrize("raised, expected", [
    (requests.ConnectTimeout("connect timed out"), RemyPassNotReached),
    (requests.ReadTimeout("read timed out"), RemyPassTimedOut),
    (requests.exceptions.ChunkedEncodingError("cut short"), RemyPassNoAnswer),
    (requests.exceptions.ContentDecodingError("bad gzip"), RemyPassNoAnswer),
    (requests.ConnectionError("reset by peer"), RemyPassNoAnswer),
    (requests.exceptions.SSLError("bad certificate"), RemyPassNoAnswer),
    (requests.RequestException("anything else"), RemyPassNoAnswer),
    (requests.exceptions.InvalidURL("no host"), RemyPassNotConfigured),
    (requests.exceptions.MissingSchema("no scheme"), RemyPassNotConfigured),
])
def test_each_transport_failure_maps_to_whether_it_may_have_arrived(raised,
                                                                   expected):
    session = FakeSession(raised)

    raises(expected, lambda: fake_client(session=session).issue_event_ticket(
        **ISSUE_ARGS))

    # Only a request that certainly never left is sent again.
    assert len(session.calls) == (2 if expected is RemyPassNotReached else 1)


def test_bad_address_message():
    error = raises(RemyPassNotConfigured, lambda: fake_client(
        requests.exceptions.InvalidURL("x")).get_pass(UNKNOWN_ID))

    assert error.message == ("RemyPass's address is not valid, so nothing was "
                             "sent. Ask your IT contact to check "
                             "REMYPASS_BASE_URL.")


# --- What is retried ---------------------------------------------------------


def test_read_is_retried_after_one_503(client, sandbox):
    issued = issue(client)
    sandbox.clear_requests()
    sandbox.inject(method="GET", path="/passes/", kind="status", status=503,
                   times=1)

    data = client.get_pass(issued.passes.remypass_id)

    assert data.remypass_id == issued.passes.remypass_id
    assert len(sandbox.requests_received(method="GET", path="/passes/")) == 2


@pytest.mark.parametrize("fault", [
    dict(kind="status", status=502), dict(kind="status", status=504),
    dict(kind="html", status=502), dict(kind="drop"),
    dict(kind="rate_limit", retry_after=0), dict(kind="rate_limit", retry_after=None),
])
def test_read_is_retried_after_a_harmless_failure(client, sandbox, fault):
    sandbox.inject(method="GET", path="/passes", times=1, **fault)

    client.list_passes()

    assert len(sandbox.requests_received(method="GET", path="/passes")) == 2


@pytest.mark.parametrize("fault", [
    dict(kind="status", status=500), dict(kind="status", status=400),
    dict(kind="rate_limit", retry_after=30), dict(kind="delay", seconds=1.0),
])
def test_read_is_not_retried_when_that_would_not_help(client, sandbox, fault):
    sandbox.inject(method="GET", path="/passes", times=1, **fault)

    with pytest.raises(remypass.RemyPassError):
        client.list_passes()

    assert len(sandbox.requests_received(method="GET", path="/passes")) == 1


def test_read_gives_up_after_the_configured_retries(client, sandbox):
    sandbox.inject(method="GET", path="/passes", kind="status", status=503,
                   times=None)

    raises(RemyPassServerError, lambda: client.list_passes())

    assert len(sandbox.requests_received(method="GET", path="/passes")) == 3


@pytest.mark.parametrize("fault", [
    dict(kind="status", status=503), dict(kind="status", status=502),
    dict(kind="rate_limit", retry_after=0), dict(kind="drop"),
    dict(kind="delay", seconds=1.0),
])
def test_issue_post_is_sent_once_whatever_the_failure(client, sandbox, fault):
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1, **fault)

    with pytest.raises(remypass.RemyPassError):
        issue(client)

    assert len(sandbox.requests_received(method="POST", path=ISSUE_PATH)) == 1


def test_dropped_issue_post_is_sent_once_and_gives_no_answer(client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="drop", times=1)

    raises(RemyPassNoAnswer, lambda: issue(client))

    assert len(sandbox.requests_received(method="POST", path=ISSUE_PATH)) == 1


def test_short_retry_after_is_waited_for_on_a_read(monkeypatch):
    waits = []
    monkeypatch.setattr(remypass.time, "sleep", waits.append)
    session = FakeSession(reply(429, b"{}", {"Retry-After": "3"}),
                          reply(200, PASS_ENVELOPE))

    fake_client(session=session).get_pass(UNKNOWN_ID)

    assert waits == [3]


def test_listing_that_never_ends_is_an_error_not_a_short_list():
    page = (b'{"success": true, "data": [{"_id": "a"}],'
            b' "pagination": {"hasNextPage": true}}')
    session = FakeSession(*[reply(200, page) for _ in range(3)])

    client = fake_client(session=session)
    with pytest.raises(RemyPassBadResponse):
        list(client.iter_passes(max_pages=3))


def test_listing_walks_every_page_void_passes_included(client, sandbox):
    ids = [issue(client, booking_id=f"BK-{n}").passes.remypass_id for n in range(5)]
    sandbox.set_status(ids[2], "void")

    seen = [p.remypass_id for p in client.iter_passes(limit=2)]

    assert seen == ids
    assert len(sandbox.requests_received(method="GET", path="/passes")) == 3


# --- Logging -----------------------------------------------------------------


def records_for(caplog, path):
    return [r for r in caplog.records if r.name == "tickets.remypass"
            and path in r.getMessage()]


def test_each_call_is_logged_once_at_info_with_its_details(client, caplog):
    caplog.set_level(logging.INFO, logger="tickets.remypass")

    issue(client, booking_id="BK-LOG")

    (line,) = records_for(caplog, ISSUE_PATH)
    assert line.levelno == logging.INFO
    text = line.getMessage()
    assert text.startswith("RemyPass POST /event-tickets/issue -> 201 in ")
    assert text.endswith(" ms (booking BK-LOG)")


@pytest.mark.parametrize("fault, level", [
    (dict(kind="status", status=400, body={"success": False, "message": "no"}),
     logging.WARNING),
    (dict(kind="rate_limit", retry_after=9), logging.WARNING),
    (dict(kind="status", status=500), logging.ERROR),
    (dict(kind="malformed_json"), logging.ERROR),
    (dict(kind="drop"), logging.ERROR),
])
def test_each_failed_call_is_logged_once_as_a_warning_or_error(client, sandbox,
                                                               caplog, fault,
                                                               level):
    caplog.set_level(logging.INFO, logger="tickets.remypass")
    sandbox.inject(method="POST", path=ISSUE_PATH, **fault)

    with pytest.raises(remypass.RemyPassError):
        issue(client, booking_id="BK-LOG")

    (line,) = records_for(caplog, ISSUE_PATH)
    assert line.levelno == level
    assert "(booking BK-LOG)" in line.getMessage()
    assert " ms " in line.getMessage()


@pytest.mark.parametrize("padding", range(440, 520, 7))
def test_an_address_where_the_logged_body_is_cut_is_masked(client, sandbox,
                                                          caplog, padding):
    caplog.set_level(logging.DEBUG)
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=400,
                   body={"success": False, "message": "x" * padding
                         + " holly.martins@example.com"})

    raises(RemyPassRejected, lambda: issue(client))

    assert "olly.martins" not in caplog.text


def test_logs_never_hold_the_key_or_a_full_email(client, sandbox, caplog,
                                                 settings):
    caplog.set_level(logging.DEBUG)
    key = settings.REMYPASS_API_KEY
    echoed = (f"Key {key} may not send to holly.martins@example.com "
              f"(customer holly.martins@example.com)")
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=400,
                   body={"success": False, "message": echoed}, times=1)
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=502,
                   body=f"<p>upstream said {echoed}</p>", times=1)

    for _ in range(2):
        with pytest.raises(remypass.RemyPassError) as info:
            issue(client, email="holly.martins@example.com")
        assert key not in info.value.message
        assert key not in info.value.api_message
    issue(client, email="holly.martins@example.com")

    assert key not in caplog.text
    assert "holly.martins@example.com" not in caplog.text
    assert "h***@example.com" in caplog.text


@pytest.mark.parametrize("text, masked", [
    ("john@example.com", "j***@example.com"),
    ('{"email":"john.doe+x@mail.example.org"}', '{"email":"j***@mail.example.org"}'),
    ("to jöhn@example.com now", "to j***@example.com now"),
    ("<a@b.co>, c.d@e.fr", "<a***@b.co>, c***@e.fr"),
    ("ann.o'brien@example.org", "a***@example.org"),
    ('{"email":"ann{x}@example.org"}', '{"email":"a***@example.org"}'),
    ("ann.private@[127.0.0.1]", "a***@[127.0.0.1]"),
    ('"quoted"@example.org', "q***@example.org"),
    ('{"email":"\\"quoted\\"@example.org"}', '{"email":"q***@example.org"}'),
    ("no address here", "no address here"),
    ("", ""),
])
def test_mask_email(text, masked):
    assert mask_email(text) == masked


# --- Parsing ------------------------------------------------------------------


def test_pass_parses_member_and_template_as_id_or_object():
    as_ids = parse_pass({"_id": "p1", "member": "m1", "pass": "t1"})
    as_objects = parse_pass({"_id": "p1", "member": {"_id": "m1", "name": "Ann"},
                             "pass": {"_id": "t1", "name": "Film"}})

    assert (as_ids.member_id, as_ids.member, as_ids.template_id) == ("m1", None, "t1")
    assert as_objects.member.name == "Ann"
    assert as_objects.film == "Film"


def test_pass_ignores_wrongly_typed_fields():
    data = parse_pass({"_id": "p1", "status": "VOID", "serialNumber": ["x"],
                       "issuedAt": "yesterday", "walletUrls": {"apple": "ftp://x"},
                       "recipientName": "a\x00b", "seatInfo": "F12",
                       "eventTime": "9999-12-31T23:30:00-05:00"})

    assert data.status == "void"
    assert data.serial_number == ""
    assert data.issued_at is None
    assert data.apple_wallet_url == ""
    assert data.recipient_name == "ab"
    assert data.seat_row == ""
    assert data.event_time is None


@pytest.mark.parametrize("obj", [None, [], "p1", {"_id": ""}, {"_id": None}, {}])
def test_pass_without_an_id_is_a_bad_response(obj):
    raises(RemyPassBadResponse, lambda: parse_pass(obj))


@pytest.mark.parametrize("pass_id", ["p" * 65, "p\x001", "p\ud8001"])
def test_pass_id_that_cannot_be_stored_whole_is_a_bad_response(pass_id):
    # Cut short or cleaned up, it would name another pass, or none.
    error = raises(RemyPassBadResponse, lambda: parse_pass({"_id": pass_id}))

    assert error.message == "RemyPass's answer did not include a ticket id."


def test_other_ids_that_cannot_be_stored_whole_are_left_out():
    data = parse_pass({"_id": "p" * 64, "member": "m" * 65,
                       "pass": {"_id": "t" * 65, "name": "Film"},
                       "bookingId": "B" * 101})

    assert data.remypass_id == "p" * 64
    assert (data.member_id, data.template_id, data.booking_id) == ("", "", "")
    assert data.film == "Film"


def test_wallet_link_too_long_to_store_is_left_out_not_cut():
    longest = "https://wallet.example/" + "x" * (1000 - 23)
    data = parse_pass({"_id": "p1", "walletUrls": {"apple": longest,
                                                   "google": longest + "x"}})

    assert data.apple_wallet_url == longest
    assert data.google_wallet_url == ""


@pytest.mark.parametrize("text, kept", [
    ("0001-01-01T00:00:00Z", False),
    ("0001-01-02T00:00:00Z", True),
    ("9999-12-30T23:59:59Z", True),
    ("9999-12-31T00:00:00Z", False),
])
def test_time_too_near_the_calendars_ends_to_show_is_left_out(text, kept):
    # Shown in a zone a few hours off UTC, it would fall outside years 1-9999.
    data = parse_pass({"_id": "p1", "issuedAt": text, "expiryDate": text})

    assert (data.issued_at is not None, data.expiry_date is not None) == (kept, kept)


def test_lone_surrogates_in_text_are_replaced():
    # JSON may escape half a surrogate pair, which no database can store.
    data = parse_pass(json.loads(
        r'{"_id": "p1", "recipientName": "Ann \ud83c", "serialNumber": "\udc00"}'))

    assert data.recipient_name == "Ann \ufffd"
    assert data.serial_number == "\ufffd"


def test_lone_surrogate_in_remypass_message_is_replaced():
    client = fake_client(reply(400, rb'{"success": false, "message": "seat \ud800"}'))

    error = raises(RemyPassRejected, lambda: issue(client))

    assert error.api_message == "seat \ufffd"
    assert error.message == "RemyPass refused the ticket: seat \ufffd"


def test_client_repr_hides_the_key(client, settings):
    assert settings.REMYPASS_API_KEY not in repr(client)


# --- Stand-ins for the failures the sandbox cannot make -----------------------

ISSUE_ARGS = dict(booking_id="BK-1", film="F", start_time=START, screen="1",
                  row="A", seat="1", customer_name="N",
                  customer_email="n@example.com", send_email=False)
PASS_ENVELOPE = b'{"success": true, "data": {"_id": "0123456789abcdef01234567"}}'


def reply(status, body=b"", headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict(headers or {})
    response.encoding = "utf-8"
    return response


class FakeSession:
    """Answer each request with the next reply, or raise the next error."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.headers = {}
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url))
        outcome = self.outcomes[0] if len(self.outcomes) == 1 else self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def fake_client(*outcomes, session=None):
    return remypass.RemyPassClient("http://127.0.0.1:9/api", "rp_test_key",
                                   retry_backoff=0,
                                   session=session or FakeSession(*outcomes))


@pytest.fixture
def unused_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
