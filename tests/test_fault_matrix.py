"""
Every injected RemyPass fault against every operation, from one table.

Each case asserts what staff are told, the state the ticket is left in, how
many requests RemyPass received and that the booking is still there. Run
with ``--fault-table`` to print the outcomes.
"""

import html
import socket
import threading
from dataclasses import dataclass

import pytest
from django.db import connection, transaction

from tickets import remypass, services
from tickets.models import Booking, Ticket, TicketEvent

from . import fault_table
from .helpers import booking_form_data, service_data

ISSUE_URL = "/tickets/issue/"
ISSUE_PATH = "/event-tickets/issue"
# Prefixes: the revoke POST is /passes/{id}/revoke, the check GET /passes/{id}.
PASS_PATH = "/passes/"
BOOKING_ID = "BOOKING-12345"

# The faults, as the sandbox's fault rules (without method and path).
FAULTS = {
    "400 with message": dict(kind="status", status=400, body={
        "success": False, "message": "Validation failed"}),
    "401": dict(kind="status", status=401, body={
        "success": False, "message": "Invalid or missing API key"}),
    "403": dict(kind="status", status=403, body={
        "success": False, "message": "API key lacks permission"}),
    "404": dict(kind="status", status=404, body={
        "success": False, "message": "Not found"}),
    "500": dict(kind="status", status=500, body={
        "success": False, "message": "Internal error"}),
    "502 HTML page": dict(kind="html", status=502),
    # RemyPass did the work, but its answer was cut in half.
    "malformed JSON": dict(kind="malformed_json", process=True),
    "201 with fields missing": dict(kind="missing_fields"),
    "delay past timeout": dict(kind="delay", seconds=1.0),
    "drop after receipt": dict(kind="drop", process=True),
    "429 with Retry-After": dict(kind="rate_limit", retry_after=42),
    "429 without Retry-After": dict(kind="rate_limit", retry_after=None),
}


@dataclass(frozen=True)
class Expect:
    state: str
    message: str
    writes: int = 1   # POSTs to the operation's path (issue, or revoke)
    reads: int = 0    # GET /passes/{id}


NOT_VOIDED = "The ticket was not voided; it is still Active."
ASK_IT = " Ask your IT contact to "
STILL_ACTIVE = "RemyPass still holds the ticket as Active, so it is not marked void."
REJECTED = "RemyPass refused the ticket: Validation failed"
KEY = "The RemyPass API key was rejected."
PERMISSION = "The RemyPass key is not allowed to do this (API key lacks permission)."
NOT_FOUND_ISSUE = "RemyPass did not recognise the request (error 404)."
UNREADABLE = "RemyPass answered in an unexpected format."
TIMED_OUT = "RemyPass did not answer in time."
DROPPED = "The connection to RemyPass broke before its answer arrived."
BUSY_42 = "RemyPass is busy. Try again in 42 seconds."
BUSY = "RemyPass is busy. Try again in a minute."
RECONCILE = "marked for reconciliation with RemyPass"


def server_error(status):
    return f"RemyPass had a problem on its side (error {status})."


def server_error_on_issue(status):
    return (f"RemyPass had a problem on its side (error {status}) and may have "
            "created the ticket before it failed.")


# fault -> operation -> what must happen. Issue goes through the form.
EXPECTED = {
    "400 with message": {
        "issue": Expect("rejected", REJECTED),
        "retry": Expect("rejected", REJECTED),
        "void": Expect("active", "RemyPass refused to void the ticket: Validation "
                       "failed. " + STILL_ACTIVE, reads=1),
    },
    "401": {
        "issue": Expect("failed", KEY),
        "retry": Expect("failed", KEY),
        "void": Expect("active", KEY + ASK_IT + "check REMYPASS_API_KEY. "
                       + NOT_VOIDED),
    },
    "403": {
        "issue": Expect("failed", PERMISSION),
        "retry": Expect("failed", PERMISSION),
        "void": Expect("active", PERMISSION + ASK_IT + "add the permission or "
                       "check the plan. " + NOT_VOIDED),
    },
    "404": {
        "issue": Expect("failed", NOT_FOUND_ISSUE),
        "retry": Expect("failed", NOT_FOUND_ISSUE),
        "void": Expect("active", "RemyPass answered that it could not find the "
                       "ticket to void (error 404). " + STILL_ACTIVE, reads=1),
    },
    "500": {
        "issue": Expect("unknown", server_error_on_issue(500)),
        "retry": Expect("unknown", server_error_on_issue(500)),
        "void": Expect("active", server_error(500), reads=1),
    },
    "502 HTML page": {
        "issue": Expect("unknown", server_error_on_issue(502)),
        "retry": Expect("unknown", server_error_on_issue(502)),
        "void": Expect("active", server_error(502) + " Try again in a few "
                       "minutes. " + STILL_ACTIVE, reads=1),
    },
    "malformed JSON": {
        "issue": Expect("unknown", UNREADABLE),
        "retry": Expect("unknown", UNREADABLE),
        # The revoke went through; reading the pass back confirms it.
        "void": Expect("void", "Voided in RemyPass.", reads=1),
    },
    "201 with fields missing": {
        # The thin answer is completed by reading the pass back.
        "issue": Expect("active", "Ticket issued: RP-", reads=1),
        "retry": Expect("active", "Ticket issued: RP-", reads=1),
        "void": Expect("void", "Voided in RemyPass."),
    },
    "delay past timeout": {
        "issue": Expect("unknown", TIMED_OUT),
        "retry": Expect("unknown", TIMED_OUT),
        "void": Expect("void", "Voided in RemyPass.", reads=1),
    },
    "drop after receipt": {
        "issue": Expect("unknown", DROPPED),
        "retry": Expect("unknown", DROPPED),
        "void": Expect("void", "Voided in RemyPass.", reads=1),
    },
    "429 with Retry-After": {
        "issue": Expect("failed", BUSY_42),
        "retry": Expect("failed", BUSY_42),
        "void": Expect("active", BUSY_42 + " " + NOT_VOIDED),
    },
    "429 without Retry-After": {
        "issue": Expect("failed", BUSY),
        "retry": Expect("failed", BUSY),
        "void": Expect("active", BUSY + " " + NOT_VOIDED),
    },
}

OPERATIONS = ("issue", "retry", "void")
CASES = [(fault, operation) for fault in FAULTS for operation in OPERATIONS]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The logins' passwords are hashed once per test; the default is slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def quick_timeouts(settings):
    # Delays in FAULTS last 1 s: twice the read timeout.
    settings.REMYPASS_TIMEOUT = 0.5
    settings.REMYPASS_CONNECT_TIMEOUT = 0.5


def _page_text(response):
    return " ".join(html.unescape(response.content.decode()).split())


def _staff_message(ticket):
    if ticket.is_issued:
        return f"Ticket issued: {ticket.serial_number}."
    return ticket.last_error


def run_issue(fault, admin_client, admin_user, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1, **fault)
    response = admin_client.post(ISSUE_URL, booking_form_data(), follow=True)
    assert response.status_code == 200
    # What the page shows staff: the ticket's outcome, word for word.
    message = _staff_message(Ticket.objects.get(booking__booking_id=BOOKING_ID))
    assert " ".join(message.split()) in _page_text(response)
    return message


def run_retry(fault, admin_client, admin_user, sandbox):
    # First a ticket that failed without reaching RemyPass's store.
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1, kind="rate_limit",
                   retry_after=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.FAILED
    sandbox.clear_requests()

    sandbox.inject(method="POST", path=ISSUE_PATH, times=1, **fault)
    return _staff_message(services.retry_ticket(ticket, actor=admin_user))


def run_void(fault, admin_client, admin_user, sandbox):
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.ACTIVE
    sandbox.clear_requests()

    sandbox.inject(method="POST", path=PASS_PATH, times=1, **fault)
    outcome = services.void_ticket(ticket, actor=admin_user, reason="refund")
    assert outcome.voided is (outcome.ticket.status == Ticket.Status.VOID)
    return outcome.message


RUNNERS = {"issue": run_issue, "retry": run_retry, "void": run_void}
WRITE_PATHS = {"issue": ISSUE_PATH, "retry": ISSUE_PATH, "void": PASS_PATH}


@pytest.mark.django_db
@pytest.mark.parametrize("fault_name, operation", CASES,
                         ids=[f"{f}-{o}" for f, o in CASES])
def test_fault_outcome(fault_name, operation, admin_client, admin_user, sandbox,
                       quick_timeouts):
    expected = EXPECTED[fault_name][operation]

    message = RUNNERS[operation](FAULTS[fault_name], admin_client, admin_user,
                                 sandbox)

    booking = Booking.objects.select_related("ticket").get(booking_id=BOOKING_ID)
    state = booking.ticket.status
    writes = len(sandbox.requests_received(method="POST",
                                           path=WRITE_PATHS[operation]))
    reads = len(sandbox.requests_received(method="GET", path=PASS_PATH))
    fault_table.record(
        fault=fault_name, operation=operation, state=state,
        requests=f"{writes} {'revoke' if operation == 'void' else 'issue'}"
                 f" + {reads} GET",
        message=message,
        passed=(state == expected.state and expected.message in message
                and (writes, reads) == (expected.writes, expected.reads)))

    assert booking.customer_email == "john@example.com"
    assert state == expected.state
    assert expected.message in message
    assert (writes, reads) == (expected.writes, expected.reads)
    if operation != "void" and state == "unknown":
        assert RECONCILE in message
        assert "do not enter the booking again" in message
    if operation != "void" and state == "failed":
        assert "The booking is saved" in message
    if state == "rejected":
        assert booking.ticket.remypass_message == "Validation failed"


def test_the_table_covers_every_fault_and_operation():
    assert set(EXPECTED) == set(FAULTS)
    for fault_name, outcomes in EXPECTED.items():
        assert set(outcomes) == set(OPERATIONS), fault_name


# --- What the matrix relies on, checked on its own ---------------------------


@pytest.mark.django_db
def test_a_pass_already_void_in_remypass_is_marked_void_without_an_error(
        admin_user, sandbox):
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    sandbox.set_status(ticket.remypass_id, "void")

    outcome = services.void_ticket(ticket, actor=admin_user, reason="dup")

    assert outcome.voided is True
    assert outcome.message == "Voided in RemyPass."
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert ticket.voided_by == admin_user
    assert ticket.void_reason == "dup"
    assert not ticket.events.filter(action=TicketEvent.Action.VOID_FAILED).exists()


@pytest.mark.django_db
def test_a_void_is_not_assumed_when_remypass_cannot_be_asked(admin_user, sandbox,
                                                            quick_timeouts):
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    sandbox.inject(method="POST", path=PASS_PATH, kind="delay", seconds=1.0,
                   times=1)
    sandbox.inject(method="GET", path=PASS_PATH, kind="status", status=503,
                   times=None)

    outcome = services.void_ticket(ticket, actor=admin_user)

    assert outcome.voided is False
    assert outcome.message == (
        "RemyPass did not answer in time. The request may still have gone "
        "through. RemyPass could not be asked whether the ticket is void; it is "
        "still shown as Active. Try again.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    # The check is a read, so it was tried three times.
    assert len(sandbox.requests_received(method="GET", path=PASS_PATH)) == 3


@pytest.mark.django_db
def test_a_late_duplicate_answer_on_retry_says_the_first_attempt_reached_remypass(
        admin_user, sandbox, quick_timeouts):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="delay", seconds=1.0,
                   times=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN

    ticket = services.retry_ticket(ticket, actor=admin_user)

    assert ticket.status == Ticket.Status.UNKNOWN
    assert ticket.last_error == (
        "RemyPass already has this booking: an earlier attempt did reach it. "
        "The ticket is marked for reconciliation; do not issue it again.")
    assert len(sandbox.passes()) == 1
    assert ticket.attempts == 2


def another_sale_holds_the_booking_id():
    """Have RemyPass hold a pass for BOOKING_ID made by another sale."""
    remypass.client().issue_event_ticket(
        booking_id=BOOKING_ID, film="Other", start_time=service_data()["start_time"],
        screen="2", row="B", seat="1", customer_name="Someone",
        customer_email="someone@example.com", send_email=False)


@pytest.mark.django_db
def test_a_first_attempt_duplicate_is_a_rejection_naming_the_booking_id(
        admin_user, sandbox):
    another_sale_holds_the_booking_id()

    ticket = services.issue_ticket(service_data(), issued_by=admin_user)

    assert ticket.status == Ticket.Status.REJECTED
    assert ticket.last_error == (
        "RemyPass already has a ticket for booking id BOOKING-12345. Check the "
        "booking id.")


@pytest.mark.django_db
def test_sending_a_rejected_duplicate_again_stays_rejected_and_adopts_nothing(
        admin_user, sandbox):
    another_sale_holds_the_booking_id()
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)

    ticket = services.update_and_resend(ticket, service_data(), actor=admin_user)
    summary = services.reconcile_tickets(min_age_seconds=0)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.REJECTED
    assert ticket.remypass_id is None
    assert ticket.last_error.startswith("RemyPass already has a ticket for "
                                        "booking id BOOKING-12345.")
    assert summary.settled == 0


@pytest.mark.django_db
def test_a_server_error_after_the_work_keeps_the_details_until_reconciled(
        admin_user, sandbox, admin_client):
    # A gateway's 502 after RemyPass created the pass.
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1,
                   kind="malformed_json", status=502, process=True)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN

    # The details cannot be changed while RemyPass may hold the ticket.
    response = admin_client.get(f"{ISSUE_URL}?resume={ticket.pk}")
    assert "resume" not in response.context or response.context["resume"] is None
    with pytest.raises(services.TicketNotAllowed):
        services.update_and_resend(ticket, service_data(seat="A13"),
                                   actor=admin_user)
    summary = services.reconcile_tickets(min_age_seconds=0)

    ticket.refresh_from_db()
    assert summary.matched == [BOOKING_ID]
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.remypass_id == sandbox.passes()[0]["_id"]
    assert len(sandbox.passes()) == 1


@pytest.mark.django_db
def test_unreachable_remypass_on_issue_is_failed_and_safe_to_retry(
        admin_user, settings, unused_port):
    settings.REMYPASS_BASE_URL = f"http://127.0.0.1:{unused_port}/api/v1/public"

    ticket = services.issue_ticket(service_data(), issued_by=admin_user)

    assert ticket.status == Ticket.Status.FAILED
    assert ticket.last_error.startswith("RemyPass could not be reached. Nothing "
                                        "was sent")
    assert ticket.attempts == 1


@pytest.fixture
def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- The call to RemyPass runs outside any transaction -----------------------


class WatchingClient:
    """Pass calls through to a real client, noting the transaction state."""

    def __init__(self):
        self.inner = remypass.client()
        self.seen = []

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def watched(*args, **kwargs):
            self.seen.append((name, connection.in_atomic_block,
                              _committed_bookings()))
            return method(*args, **kwargs)
        return watched


def _committed_bookings():
    # Read from another thread, so through another connection: only committed
    # rows are visible there.
    seen = []

    def read():
        try:
            seen.extend(Booking.objects.values_list("booking_id", flat=True))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return sorted(seen)


@pytest.mark.django_db(transaction=True)
def test_issue_commits_the_booking_then_calls_remypass_outside_a_transaction(
        admin_user, sandbox):
    watcher = WatchingClient()
    # A thin answer makes issuing read the pass back, a second call to watch.
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="missing_fields", times=1)

    ticket = services.issue_ticket(service_data(), issued_by=admin_user,
                                   client=watcher)

    assert ticket.status == Ticket.Status.ACTIVE
    assert watcher.seen == [("issue_event_ticket", False, [BOOKING_ID]),
                            ("get_pass", False, [BOOKING_ID])]


@pytest.mark.django_db(transaction=True)
def test_retry_and_void_call_remypass_outside_a_transaction(admin_user, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=503,
                   times=1)
    watcher = WatchingClient()
    ticket = services.issue_ticket(service_data(), issued_by=admin_user,
                                   client=watcher)
    ticket = services.retry_ticket(ticket, actor=admin_user, client=watcher)
    sandbox.inject(method="POST", path=PASS_PATH, kind="status", status=500,
                   times=1)
    outcome = services.void_ticket(ticket, actor=admin_user, client=watcher)

    assert outcome.voided is False
    assert [(name, atomic) for name, atomic, _ in watcher.seen] == [
        ("issue_event_ticket", False), ("issue_event_ticket", False),
        ("revoke_pass", False), ("get_pass", False)]


@pytest.mark.django_db(transaction=True)
def test_issuing_inside_an_outer_transaction_is_refused_before_any_call(
        admin_user, sandbox):
    with pytest.raises(RuntimeError, match="durable"):
        with transaction.atomic():
            services.issue_ticket(service_data(), issued_by=admin_user)

    assert sandbox.requests_received(path=ISSUE_PATH) == []


@pytest.mark.django_db
def test_a_clear_failure_after_an_unclear_attempt_keeps_the_details_locked(
        admin_user, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1,
                   kind="malformed_json", status=502, process=True)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1, kind="rate_limit",
                   retry_after=30)

    ticket = services.retry_ticket(ticket, actor=admin_user)

    assert ticket.status == Ticket.Status.UNKNOWN
    assert ticket.last_error.endswith(
        "An earlier attempt may have reached RemyPass, so the ticket stays "
        "marked for reconciliation and its details cannot be changed until "
        "then.")
    with pytest.raises(services.TicketNotAllowed):
        services.update_and_resend(ticket, service_data(seat="A13"),
                                   actor=admin_user)
    # The seat stays held for the pass RemyPass may have made.
    with pytest.raises(services.SeatTaken):
        services.issue_ticket(service_data(booking_id="B-OTHER"),
                              issued_by=admin_user)


@pytest.mark.django_db
def test_reconciling_a_booking_id_held_for_another_sale_rejects_it_once(
        admin_user, sandbox):
    another_sale_holds_the_booking_id()
    sandbox.inject(method="POST", path=ISSUE_PATH, times=1, kind="status",
                   status=502)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN
    sandbox.clear_requests()

    summary = services.reconcile_tickets(min_age_seconds=0)

    ticket.refresh_from_db()
    assert summary.refused == [BOOKING_ID]
    assert ticket.status == Ticket.Status.REJECTED
    assert ticket.remypass_id is None
    assert "made for another sale" in ticket.last_error
    assert sandbox.requests_received(method="POST") == []
    # Corrected to a free booking id, it is issued.
    ticket = services.update_and_resend(
        ticket, service_data(booking_id="BOOKING-12346"), actor=admin_user)
    assert ticket.status == Ticket.Status.ACTIVE
