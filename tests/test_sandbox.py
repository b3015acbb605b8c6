"""Tests of the RemyPass sandbox, driven over real HTTP on loopback."""

import http.client
import itertools
import json
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sandbox import SandboxServer
from sandbox.auth import READONLY_KEY
from sandbox.store import Store
from sandbox.testing import SandboxControlError

REPO_ROOT = Path(__file__).resolve().parents[1]
OBJECT_ID = re.compile(r"[0-9a-f]{24}")
SERIAL_NUMBER = re.compile(r"RP-[A-Z0-9]{10}")
ISO_UTC_MILLIS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
UNKNOWN_ID = "0123456789abcdef01234567"

_booking_numbers = itertools.count(1)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def json(self):
        return json.loads(self.text)


@pytest.fixture
def sandbox():
    with SandboxServer() as server:
        yield server


def call(sandbox, method, path, body=None, *, key="default", raw=None,
         headers=None, timeout=5):
    """Send one request to the sandbox API (path relative to the base URL).

    key "default" sends the sandbox's full key as X-API-Key; None sends none.
    """
    return request(sandbox, method, urlsplit(sandbox.base_url).path + path,
                   body, key=key, raw=raw, headers=headers, timeout=timeout)


def request(sandbox, method, path, body=None, *, key=None, raw=None,
            headers=None, timeout=5):
    """Send one request to any sandbox path and return the Reply."""
    address = urlsplit(sandbox.url)
    all_headers = {"Accept": "application/json", **(headers or {})}
    if key == "default":
        key = sandbox.api_key
    if key is not None:
        all_headers["X-API-Key"] = key
    payload = raw if raw is not None else body
    if payload is not None and not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
        all_headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(address.hostname, address.port,
                                            timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def ticket_body(**overrides):
    """Return a valid event-ticket body with a fresh booking id."""
    body = {
        "bookingId": f"BK-{next(_booking_numbers):05d}",
        "film": "The Third Man",
        "startTime": "2025-05-31T19:00:00Z",
        "seat": "12",
        "row": "F",
        "screen": "Screen 2",
        "customer": {"name": "Holly Martins", "email": "holly@example.com"},
    }
    body.update(overrides)
    return body


def issue(sandbox, **overrides):
    return call(sandbox, "POST", "/event-tickets/issue", ticket_body(**overrides))


def issued_pass(sandbox, **overrides):
    reply = issue(sandbox, **overrides)
    assert reply.status == 201, reply.text
    return reply.json["data"]["passInstance"]


# Issuing tickets.


def test_issue_answers_201_with_the_documented_pass_instance(sandbox):
    reply = issue(sandbox, bookingId="BK-SHAPE")

    assert reply.status == 201
    assert reply.json["success"] is True
    assert reply.json["message"] == "Event ticket created"
    assert reply.json["data"]["emailSent"] is False
    ticket = reply.json["data"]["passInstance"]
    assert OBJECT_ID.fullmatch(ticket["_id"])
    assert SERIAL_NUMBER.fullmatch(ticket["serialNumber"])
    assert ticket["status"] == "active"
    assert ticket["member"]["type"] == "Visitor"
    assert ticket["member"]["email"] == "holly@example.com"
    assert OBJECT_ID.fullmatch(ticket["member"]["_id"])
    assert OBJECT_ID.fullmatch(ticket["pass"])
    assert ticket["recipientName"] == "Holly Martins"
    assert ticket["recipientEmail"] == "holly@example.com"
    assert ticket["expiryDate"] == "2025-06-01T01:00:00.000Z"
    assert ISO_UTC_MILLIS.fullmatch(ticket["issuedAt"])
    assert ticket["bookingId"] == "BK-SHAPE"
    assert ticket["eventName"] == "The Third Man"
    assert ticket["eventTime"] == "2025-05-31T19:00:00.000Z"
    assert ticket["seatInfo"] == {"section": "Screen 2", "row": "F", "seat": "12"}
    serial = ticket["serialNumber"]
    assert ticket["walletUrls"] == {
        "apple": f"{sandbox.url}/wallet/apple/{serial}.pkpass",
        "google": f"{sandbox.url}/wallet/google/{serial}",
    }


def test_issue_reports_email_sent_when_asked_to_send(sandbox):
    reply = issue(sandbox, sendEmail=True)

    assert reply.status == 201
    assert reply.json["data"]["emailSent"] is True


def test_issue_converts_an_offset_start_time_to_utc(sandbox):
    ticket = issued_pass(sandbox, startTime="2025-06-01T20:30:00+01:00")

    assert ticket["eventTime"] == "2025-06-01T19:30:00.000Z"
    assert ticket["expiryDate"] == "2025-06-02T01:30:00.000Z"


def test_create_from_booking_alias_creates_a_ticket(sandbox):
    body = ticket_body(bookingId="BK-ALIAS")

    reply = call(sandbox, "POST", "/event-tickets/create-from-booking", body)

    assert reply.status == 201
    assert reply.json["data"]["passInstance"]["bookingId"] == "BK-ALIAS"
    assert [p["bookingId"] for p in sandbox.passes()] == ["BK-ALIAS"]


def test_same_customer_and_showing_share_member_and_template(sandbox):
    first = issued_pass(sandbox)
    customer = {"name": "Holly Martins", "email": "HOLLY@example.com"}
    second = issued_pass(sandbox, customer=customer)
    other_showing = issued_pass(sandbox, startTime="2025-06-01T19:00:00Z")

    assert second["member"]["_id"] == first["member"]["_id"]
    assert second["member"]["passes"] == 2
    assert second["pass"] == first["pass"]
    assert other_showing["pass"] != first["pass"]


def test_unknown_top_level_fields_are_ignored(sandbox):
    reply = issue(sandbox, loyaltyTier="gold")

    assert reply.status == 201


def test_duplicate_booking_id_is_rejected_even_after_void(sandbox):
    ticket = issued_pass(sandbox, bookingId="BK-TWICE")
    call(sandbox, "POST", f"/passes/{ticket['_id']}/revoke")

    reply = issue(sandbox, bookingId="BK-TWICE")

    assert reply.status == 400
    assert reply.json == {
        "success": False,
        "message": "A ticket for booking BK-TWICE already exists",
    }
    assert len(sandbox.passes()) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"film": None}, "film is required"),
        ({"seat": ""}, "seat must not be empty"),
        ({"row": 5}, "row must be a string"),
        ({"bookingId": "B" * 101}, "bookingId must be at most 100 characters"),
        ({"startTime": "next Tuesday"}, "startTime must be an ISO 8601 date-time"),
        ({"startTime": "2025-06-01"}, "startTime must be an ISO 8601 date-time"),
        ({"customer": None}, "customer is required"),
        ({"customer": {"email": "a@example.com"}}, "customer.name is required"),
        (
            {"customer": {"name": "Anna", "email": "anna-at-example"}},
            "customer.email must be a valid email address",
        ),
        ({"sendEmail": "yes"}, "sendEmail must be a boolean"),
    ],
)
def test_invalid_ticket_body_is_rejected_naming_the_field(sandbox, overrides,
                                                          message):
    body = {k: v for k, v in ticket_body(**overrides).items() if v is not None}

    reply = call(sandbox, "POST", "/event-tickets/issue", body)

    assert reply.status == 400
    assert reply.json == {"success": False, "message": message}
    assert sandbox.passes() == []


@pytest.mark.parametrize(
    "raw", [b"not json", b"[1, 2]", b"", b"\xff\xfe", b"[" * 50_000 + b"]" * 50_000]
)
def test_body_that_is_not_a_json_object_is_rejected(sandbox, raw):
    reply = call(sandbox, "POST", "/event-tickets/issue", raw=raw)

    assert reply.status == 400
    assert reply.json["message"] == "Request body must be a JSON object"


# Keys and permissions.


def test_missing_key_is_refused_with_401(sandbox):
    reply = call(sandbox, "POST", "/event-tickets/issue", ticket_body(), key=None)

    assert reply.status == 401
    assert reply.json == {"success": False, "message": "Invalid or missing API key"}
    assert sandbox.passes() == []


def test_unknown_key_is_refused_with_401(sandbox):
    reply = call(sandbox, "GET", "/passes", key="rp_not_a_key")

    assert reply.status == 401
    assert reply.json["message"] == "Invalid or missing API key"


def test_bearer_authorization_is_accepted(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}

    reply = call(sandbox, "POST", "/event-tickets/issue", ticket_body(), key=None,
                 headers=headers)

    assert reply.status == 201


def test_readonly_key_can_read_but_not_issue_or_revoke(sandbox):
    ticket = issued_pass(sandbox)

    issuing = call(sandbox, "POST", "/event-tickets/issue", ticket_body(),
                   key=READONLY_KEY)
    revoking = call(sandbox, "POST", f"/passes/{ticket['_id']}/revoke",
                    key=READONLY_KEY)
    reading = call(sandbox, "GET", "/passes", key=READONLY_KEY)

    assert issuing.status == 403
    assert issuing.json == {
        "success": False,
        "message": "API key lacks permission passes:issue",
    }
    assert revoking.status == 403
    assert revoking.json["message"] == "API key lacks permission passes:revoke"
    assert reading.status == 200
    assert len(sandbox.passes()) == 1


def test_custom_keys_replace_the_defaults():
    keys = {"rp_full": None, "rp_reader": ["passes:read"]}
    with SandboxServer(keys=keys) as sandbox:
        default_key = call(sandbox, "GET", "/passes", key="rp_sandbox_key")
        reader = call(sandbox, "GET", "/pass-templates", key="rp_reader")

        assert sandbox.api_key == "rp_full"
        assert default_key.status == 401
        assert reader.status == 403
        assert reader.json["message"] == "API key lacks permission pass_templates:read"


# Routing.


def test_unknown_path_answers_a_404_envelope(sandbox):
    reply = call(sandbox, "GET", "/films")

    assert reply.status == 404
    assert reply.json == {"success": False, "message": "Endpoint not found"}


def test_wrong_method_answers_a_405_envelope(sandbox):
    reply = call(sandbox, "GET", "/event-tickets/issue")

    assert reply.status == 405
    assert reply.json["success"] is False
    assert reply.headers["Allow"] == "POST"


# Listing and reading passes.


def test_pass_list_pages_through_passes_in_issue_order(sandbox):
    booking_ids = [issued_pass(sandbox)["bookingId"] for _ in range(101)]

    first = call(sandbox, "GET", "/passes?limit=100").json
    second = call(sandbox, "GET", "/passes?limit=100&page=2").json
    default = call(sandbox, "GET", "/passes").json

    assert [p["bookingId"] for p in first["data"]] == booking_ids[:100]
    assert first["pagination"] == {
        "currentPage": 1,
        "totalPages": 2,
        "totalItems": 101,
        "itemsPerPage": 100,
        "hasNextPage": True,
        "hasPrevPage": False,
    }
    assert [p["bookingId"] for p in second["data"]] == booking_ids[100:]
    assert second["pagination"]["hasNextPage"] is False
    assert second["pagination"]["hasPrevPage"] is True
    assert len(default["data"]) == 10
    assert default["pagination"]["itemsPerPage"] == 10


@pytest.mark.parametrize(
    "query, name",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("page=0", "page"),
        ("status=deleted", "status"),
        ("includeVoid=maybe", "includeVoid"),
        ("memberId=holly", "memberId"),
    ],
)
def test_pass_list_rejects_bad_query_values(sandbox, query, name):
    reply = call(sandbox, "GET", f"/passes?{query}")

    assert reply.status == 400
    assert name in reply.json["message"]


def test_void_passes_are_listed_only_with_include_void(sandbox):
    kept = issued_pass(sandbox)
    voided = issued_pass(sandbox)
    call(sandbox, "POST", f"/passes/{voided['_id']}/revoke")

    def ids(query):
        return [p["_id"] for p in call(sandbox, "GET", f"/passes?{query}").json["data"]]

    assert ids("") == [kept["_id"]]
    assert ids("includeVoid=true") == [kept["_id"], voided["_id"]]
    assert ids("status=void") == []
    assert ids("status=void&includeVoid=true") == [voided["_id"]]


def test_pass_list_filters_by_member_and_status(sandbox):
    holly = issued_pass(sandbox)
    anna = issued_pass(sandbox, customer={"name": "Anna", "email": "anna@example.com"})
    sandbox.set_status(holly["_id"], "expired")

    by_member = call(sandbox, "GET", f"/passes?memberId={anna['member']['_id']}")
    by_status = call(sandbox, "GET", "/passes?status=expired")

    assert [p["_id"] for p in by_member.json["data"]] == [anna["_id"]]
    assert [p["_id"] for p in by_status.json["data"]] == [holly["_id"]]


def test_pass_list_gives_member_id_and_embedded_template(sandbox):
    ticket = issued_pass(sandbox)

    listed = call(sandbox, "GET", "/passes").json["data"][0]

    assert listed["member"] == ticket["member"]["_id"]
    assert listed["pass"]["_id"] == ticket["pass"]
    assert listed["pass"]["name"] == "The Third Man"
    assert listed["pass"]["type"] == "event_ticket"
    assert listed["pass"]["approved"] is True


def test_get_pass_embeds_member_and_template(sandbox):
    ticket = issued_pass(sandbox)

    reply = call(sandbox, "GET", f"/passes/{ticket['_id']}")

    assert reply.status == 200
    data = reply.json["data"]
    assert data["serialNumber"] == ticket["serialNumber"]
    assert data["member"]["_id"] == ticket["member"]["_id"]
    assert data["member"]["name"] == "Holly Martins"
    assert data["pass"]["_id"] == ticket["pass"]
    assert "2025-05-31T19:00:00.000Z" in data["pass"]["description"]


def test_get_pass_rejects_bad_ids_and_unknown_passes(sandbox):
    invalid = call(sandbox, "GET", "/passes/not-an-id")
    unknown = call(sandbox, "GET", f"/passes/{UNKNOWN_ID}")

    assert invalid.status == 400
    assert invalid.json == {"success": False, "message": "Invalid pass id"}
    assert unknown.status == 404
    assert unknown.json == {"success": False, "message": "Pass not found"}


# Revoking.


def test_revoke_voids_the_pass_once(sandbox):
    ticket = issued_pass(sandbox)
    path = f"/passes/{ticket['_id']}/revoke"

    first = call(sandbox, "POST", path)
    second = call(sandbox, "POST", path)

    assert first.status == 200
    assert first.json == {"success": True, "message": "Pass revoked", "data": {}}
    assert second.status == 400
    assert second.json == {"success": False, "message": "Pass is already void"}
    assert call(sandbox, "GET", f"/passes/{ticket['_id']}").json["data"]["status"] == (
        "void"
    )


@pytest.mark.parametrize("status", ["inactive", "expired"])
def test_revoke_voids_inactive_and_expired_passes(sandbox, status):
    ticket = issued_pass(sandbox)
    sandbox.set_status(ticket["_id"], status)

    reply = call(sandbox, "POST", f"/passes/{ticket['_id']}/revoke")

    assert reply.status == 200
    assert sandbox.passes()[0]["status"] == "void"


def test_revoke_rejects_bad_ids_and_unknown_passes(sandbox):
    invalid = call(sandbox, "POST", "/passes/123/revoke")
    unknown = call(sandbox, "POST", f"/passes/{UNKNOWN_ID}/revoke")

    assert invalid.status == 400
    assert invalid.json["message"] == "Invalid pass id"
    assert unknown.status == 404
    assert unknown.json["message"] == "Pass not found"


# Pass templates.


def test_pass_templates_can_be_listed_searched_and_fetched(sandbox):
    ticket = issued_pass(sandbox)
    issued_pass(sandbox, film="Casablanca")

    everything = call(sandbox, "GET", "/pass-templates").json
    searched = call(sandbox, "GET", "/pass-templates?search=casa").json
    one = call(sandbox, "GET", f"/pass-templates/{ticket['pass']}")

    assert [t["name"] for t in everything["data"]] == [
        "The Third Man", "Casablanca"
    ]
    assert everything["pagination"]["totalItems"] == 2
    assert [t["name"] for t in searched["data"]] == ["Casablanca"]
    assert one.status == 200
    assert one.json["data"]["_id"] == ticket["pass"]
    assert call(sandbox, "GET", "/pass-templates/xyz").status == 400
    assert call(sandbox, "GET", f"/pass-templates/{UNKNOWN_ID}").status == 404


# Persistence.


def test_state_survives_a_restart_with_the_same_data_file(tmp_path):
    data_path = tmp_path / "sandbox.sqlite3"
    with SandboxServer(data_path=data_path) as sandbox:
        ticket = issued_pass(sandbox, bookingId="BK-KEPT")

    with SandboxServer(data_path=data_path) as sandbox:
        fetched = call(sandbox, "GET", f"/passes/{ticket['_id']}")
        duplicate = issue(sandbox, bookingId="BK-KEPT")

    assert fetched.status == 200
    assert fetched.json["data"]["serialNumber"] == ticket["serialNumber"]
    assert duplicate.status == 400
    assert "already exists" in duplicate.json["message"]


# Faults.


def test_status_fault_answers_its_body_without_creating_a_ticket(sandbox):
    down = {"success": False, "message": "Service unavailable"}
    sandbox.inject(kind="status", status=503, body=down, times=1)

    faulted = issue(sandbox)
    afterwards = issue(sandbox)

    assert faulted.status == 503
    assert faulted.json == down
    assert afterwards.status == 201
    assert len(sandbox.passes()) == 1


def test_status_fault_sends_text_or_nothing_as_asked(sandbox):
    sandbox.inject(kind="status", status=500, body="upstream exploded", times=1)
    sandbox.inject(kind="status", status=502, times=1)

    text = issue(sandbox)
    empty = issue(sandbox)

    assert (text.status, text.text) == (500, "upstream exploded")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert (empty.status, empty.text) == (502, "")


def test_html_fault_answers_a_gateway_error_page(sandbox):
    sandbox.inject(kind="html")

    reply = issue(sandbox)

    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in reply.text
    assert sandbox.passes() == []


def test_malformed_json_fault_alone_creates_nothing(sandbox):
    sandbox.inject(kind="malformed_json", path="/event-tickets/issue")

    reply = issue(sandbox)

    assert reply.status == 201
    assert reply.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(reply.text)
    assert sandbox.passes() == []


def test_malformed_json_fault_with_process_creates_the_ticket(sandbox):
    sandbox.inject(kind="malformed_json", process=True)

    reply = issue(sandbox, bookingId="BK-GARBLED")

    assert reply.status == 201
    with pytest.raises(ValueError):
        json.loads(reply.text)
    assert [p["bookingId"] for p in sandbox.passes()] == ["BK-GARBLED"]


def test_missing_fields_fault_strips_fields_from_the_real_answer(sandbox):
    sandbox.inject(kind="missing_fields", times=1)
    sandbox.inject(kind="missing_fields", fields=["_id", "status"], times=1)

    default = issue(sandbox).json["data"]["passInstance"]
    custom = issue(sandbox).json["data"]["passInstance"]

    assert "serialNumber" not in default and "walletUrls" not in default
    assert default["bookingId"]
    assert "_id" not in custom and "status" not in custom
    assert SERIAL_NUMBER.fullmatch(custom["serialNumber"])
    assert len(sandbox.passes()) == 2


def test_delay_fault_times_the_client_out_after_the_ticket_is_made(sandbox):
    sandbox.inject(kind="delay", seconds=0.6, path="/event-tickets/")

    with pytest.raises(TimeoutError):
        call(sandbox, "POST", "/event-tickets/issue",
             ticket_body(bookingId="BK-SLOW"), timeout=0.2)

    assert [p["bookingId"] for p in sandbox.passes()] == ["BK-SLOW"]
    [entry] = sandbox.requests_received()
    assert (entry["status"], entry["fault"]) == (201, "delay")


def test_delay_before_holds_the_request_back(sandbox):
    sandbox.inject(kind="delay", seconds=0.3, before=True)

    started = time.monotonic()
    reply = issue(sandbox)

    assert reply.status == 201
    assert time.monotonic() - started >= 0.3


def test_a_delayed_answer_does_not_block_other_requests(sandbox):
    sandbox.inject(kind="delay", seconds=0.6, method="GET", path="/passes")
    slow = threading.Thread(target=call, args=(sandbox, "GET", "/passes"))
    slow.start()
    time.sleep(0.05)

    started = time.monotonic()
    reply = call(sandbox, "GET", "/pass-templates")
    elapsed = time.monotonic() - started
    slow.join()

    assert reply.status == 200
    assert elapsed < 0.3


def test_drop_fault_sends_nothing_after_the_ticket_is_made(sandbox):
    sandbox.inject(kind="drop")

    with pytest.raises(ConnectionError):
        issue(sandbox, bookingId="BK-DROPPED")

    assert [p["bookingId"] for p in sandbox.passes()] == ["BK-DROPPED"]
    [entry] = sandbox.requests_received()
    assert entry["bookingId"] == "BK-DROPPED"
    assert (entry["status"], entry["fault"]) == (None, "drop")


def test_drop_fault_without_process_creates_nothing(sandbox):
    sandbox.inject(kind="drop", process=False)

    with pytest.raises(ConnectionError):
        issue(sandbox)

    assert sandbox.passes() == []


def test_rate_limit_fault_sends_429_and_retry_after(sandbox):
    sandbox.inject(kind="rate_limit", times=1)
    sandbox.inject(kind="rate_limit", retry_after=5, times=1)
    sandbox.inject(kind="rate_limit", retry_after=None, times=1)

    default, custom, bare = (issue(sandbox) for _ in range(3))

    assert default.status == 429
    assert default.json == {"success": False, "message": "Too many requests"}
    assert default.headers["Retry-After"] == "30"
    assert custom.headers["Retry-After"] == "5"
    assert bare.status == 429 and "Retry-After" not in bare.headers
    assert sandbox.passes() == []


def test_fault_times_count_down_then_requests_succeed(sandbox):
    rule = sandbox.inject(kind="status", status=500, times=2)

    statuses = [issue(sandbox).status for _ in range(3)]

    assert rule["times"] == 2 and rule["id"]
    assert statuses == [500, 500, 201]
    [used] = sandbox.faults()
    assert (used["times"], used["hits"]) == (0, 2)


def test_fault_without_times_applies_until_cleared(sandbox):
    sandbox.inject(kind="status", status=503)

    faulted = [issue(sandbox).status for _ in range(3)]
    sandbox.clear_faults()

    assert faulted == [503, 503, 503]
    assert issue(sandbox).status == 201
    assert sandbox.faults() == []


def test_fault_matches_by_method_and_path_prefix(sandbox):
    ticket = issued_pass(sandbox)
    sandbox.inject(kind="status", status=504, method="GET", path="/passes/")

    get_one = call(sandbox, "GET", f"/passes/{ticket['_id']}")
    get_list = call(sandbox, "GET", "/passes")
    revoke = call(sandbox, "POST", f"/passes/{ticket['_id']}/revoke")

    assert get_one.status == 504
    assert get_list.status == 200
    assert revoke.status == 200


@pytest.mark.parametrize(
    "fault, message",
    [
        ({"kind": "explode"}, "kind must be one of"),
        ({"kind": "delay"}, "delay faults need seconds"),
        ({"kind": "drop", "retry_after": 3}, "retry_after is not a setting"),
        ({"kind": "status", "times": 0}, "times must be a positive integer"),
    ],
)
def test_invalid_fault_rules_are_refused(sandbox, fault, message):
    with pytest.raises(SandboxControlError, match=message):
        sandbox.inject(**fault)

    assert sandbox.faults() == []


# Request log and control API.


def test_request_log_records_api_requests_in_order(sandbox):
    ticket = issued_pass(sandbox, bookingId="BK-LOGGED")
    sandbox.inject(kind="rate_limit", times=1)
    call(sandbox, "GET", "/passes?limit=5")
    call(sandbox, "GET", f"/passes/{ticket['_id']}")
    request(sandbox, "GET", "/")

    log = sandbox.requests_received()

    assert [(e["method"], e["path"], e["status"], e["fault"]) for e in log] == [
        ("POST", "/event-tickets/issue", 201, None),
        ("GET", "/passes", 429, "rate_limit"),
        ("GET", f"/passes/{ticket['_id']}", 200, None),
    ]
    assert log[0]["bookingId"] == "BK-LOGGED"
    assert log[1]["bookingId"] is None
    assert all(ISO_UTC_MILLIS.fullmatch(entry["at"]) for entry in log)
    assert len(sandbox.requests_received(method="POST")) == 1
    assert len(sandbox.requests_received(path="/passes/")) == 1
    assert len(sandbox.requests_received(method="GET", path="/passes")) == 2


def test_reset_clears_faults_and_log_and_optionally_data(sandbox):
    issued_pass(sandbox)
    sandbox.inject(kind="drop")

    sandbox.reset()
    kept = sandbox.passes()
    sandbox.reset(data=True)

    assert len(kept) == 1
    assert sandbox.faults() == []
    assert sandbox.requests_received() == []
    assert sandbox.passes() == []
    assert call(sandbox, "GET", "/pass-templates").json["data"] == []


def test_set_status_changes_a_pass_behind_the_products_back(sandbox):
    ticket = issued_pass(sandbox)

    changed = sandbox.set_status(ticket["_id"], "void")
    fetched = call(sandbox, "GET", f"/passes/{ticket['_id']}").json["data"]
    revoke = call(sandbox, "POST", f"/passes/{ticket['_id']}/revoke")

    assert changed["status"] == "void"
    assert fetched["status"] == "void"
    assert revoke.json["message"] == "Pass is already void"
    with pytest.raises(SandboxControlError, match="status must be one of"):
        sandbox.set_status(ticket["_id"], "deleted")
    with pytest.raises(SandboxControlError, match="Pass not found"):
        sandbox.set_status(UNKNOWN_ID, "active")


def test_twenty_simultaneous_requests_for_one_booking_make_one_pass(sandbox):
    body = ticket_body(bookingId="BK-RACE")
    start_together = threading.Barrier(20)
    replies = []

    def send():
        start_together.wait()
        replies.append(call(sandbox, "POST", "/event-tickets/issue", body))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(reply.status for reply in replies)
    assert statuses == [201] + [400] * 19
    assert all("already exists" in r.json["message"] for r in replies
               if r.status == 400)
    assert [p["bookingId"] for p in sandbox.passes()] == ["BK-RACE"]


def test_unexpected_error_answers_a_500_envelope(sandbox, monkeypatch):
    def broken(self, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "list_templates", broken)

    reply = call(sandbox, "GET", "/pass-templates")

    assert reply.status == 500
    assert reply.json == {"success": False, "message": "Internal sandbox error"}
    assert sandbox.requests_received()[0]["status"] == 500


# Pages.


def test_wallet_links_open_sandbox_pages(sandbox):
    ticket = issued_pass(sandbox)
    serial = ticket["serialNumber"]

    apple = request(sandbox, "GET", urlsplit(ticket["walletUrls"]["apple"]).path)
    google = request(sandbox, "GET", urlsplit(ticket["walletUrls"]["google"]).path)
    unknown = request(sandbox, "GET", "/wallet/google/RP-NOSUCHPASS")

    assert apple.status == 200
    assert f"RemyPass sandbox — Apple Wallet pass {serial}" in apple.text
    assert google.status == 200
    assert f"Google Wallet pass {serial}" in google.text
    assert unknown.status == 404
    assert [e["path"] for e in sandbox.requests_received()] == ["/event-tickets/issue"]


def test_dashboard_lists_passes_newest_first_and_escaped(sandbox):
    issued_pass(sandbox, bookingId="BK-OLDER")
    issued_pass(sandbox, bookingId="BK-NEWER", film="<b>Rififi</b>")

    page = request(sandbox, "GET", "/")
    control_page = request(sandbox, "GET", "/_sandbox/")

    assert page.status == 200
    assert "<h1>RemyPass sandbox</h1>" in page.text
    assert "&lt;b&gt;Rififi&lt;/b&gt;" in page.text
    assert "<b>Rififi</b>" not in page.text
    assert page.text.index("BK-NEWER") < page.text.index("BK-OLDER")
    assert control_page.text == page.text


# Command line.


def test_command_line_serves_until_sigterm_and_keeps_secrets_out_of_logs(tmp_path):
    command = [
        sys.executable, "-m", "sandbox", "--port", "0",
        "--data", str(tmp_path / "cli.sqlite3"),
        "--key", "rp_cli_key", "--key", "rp_cli_reader=passes:read",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        match = re.fullmatch(
            r"RemyPass sandbox listening on (http://127\.0\.0\.1:(\d+))"
            r"/api/v1/public\n",
            banner,
        )
        assert match, banner
        cli = _Address(match.group(1))
        issued = call(cli, "POST", "/event-tickets/issue", ticket_body(),
                      key="rp_cli_key")
        reader = call(cli, "POST", "/event-tickets/issue", ticket_body(),
                      key="rp_cli_reader")
        default_key = call(cli, "GET", "/passes", key="rp_sandbox_key")
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=5)

    assert process.returncode == 0
    assert issued.status == 201
    assert reader.status == 403
    assert default_key.status == 401
    assert "POST /api/v1/public/event-tickets/issue 201" in errors
    assert "rp_cli_key" not in errors
    assert "holly@example.com" not in errors


@dataclass
class _Address:
    """Just enough of a SandboxServer for call() to reach another process."""

    url: str

    @property
    def base_url(self):
        return self.url + "/api/v1/public"
