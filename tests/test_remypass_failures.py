"""Each way RemyPass can fail, as staff see it: the message and a kept booking."""

import socket

import pytest

from tickets.models import Booking, Ticket

from .helpers import booking_form_data

pytestmark = pytest.mark.django_db

ISSUE_URL = "/tickets/issue/"
ISSUE_PATH = "/event-tickets/issue"


def post_booking(client):
    return client.post(ISSUE_URL, booking_form_data(), follow=True)


def assert_booking_kept(status):
    booking = Booking.objects.get(booking_id="BOOKING-12345")
    assert booking.customer_email == "john@example.com"
    assert booking.ticket.status == status
    return booking.ticket


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_bad_request_shows_remypass_message(admin_client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=400,
                   body={"success": False, "message": "seat is required"})
    response = post_booking(admin_client)

    assert "RemyPass refused the ticket: seat is required" in response.content.decode()
    ticket = assert_booking_kept(Ticket.Status.REJECTED)
    assert ticket.remypass_message == "seat is required"


def test_missing_permission_names_it(admin_client, settings):
    settings.REMYPASS_API_KEY = "rp_sandbox_readonly"
    response = post_booking(admin_client)

    assert "not allowed to do this" in response.content.decode()
    assert "passes:issue" in response.content.decode()
    assert_booking_kept(Ticket.Status.FAILED)


def test_server_error_may_hide_a_created_ticket_so_its_outcome_is_unknown(
        admin_client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="html", status=502)
    response = post_booking(admin_client)

    assert ("RemyPass had a problem on its side (error 502) and may have created "
            "the ticket") in response.content.decode()
    assert_booking_kept(Ticket.Status.UNKNOWN)
    # A write is not repeated once it has reached RemyPass.
    assert len(sandbox.requests_received(path=ISSUE_PATH)) == 1


def test_no_answer_in_time_is_outcome_unknown(admin_client, sandbox, settings):
    settings.REMYPASS_TIMEOUT = 0.5
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="delay", seconds=1.5)
    response = post_booking(admin_client)

    assert "did not answer in time" in response.content.decode()
    assert_booking_kept(Ticket.Status.UNKNOWN)
    assert len(sandbox.passes()) == 1


def test_unreachable_remypass_is_safe_to_retry(admin_client, settings):
    settings.REMYPASS_BASE_URL = f"http://127.0.0.1:{free_port()}/api/v1/public"
    response = post_booking(admin_client)

    assert "RemyPass could not be reached. Nothing was sent" in (
        response.content.decode())
    assert_booking_kept(Ticket.Status.FAILED)


def test_rate_limit_says_when_to_try_again(admin_client, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=42)
    response = post_booking(admin_client)

    assert "RemyPass is busy. Try again in 42 seconds." in response.content.decode()
    assert_booking_kept(Ticket.Status.FAILED)


def test_unknown_pass_on_void_is_reported(admin_client, sandbox):
    post_booking(admin_client)
    ticket = Ticket.objects.get()
    sandbox.inject(method="POST", path="/passes/", kind="status", status=404,
                   body={"success": False, "message": "Pass not found"})
    sandbox.inject(method="GET", path="/passes/", kind="status", status=404,
                   body={"success": False, "message": "Pass not found"})

    response = admin_client.post(f"/tickets/{ticket.pk}/void/", {"reason": "x"},
                                 follow=True)

    assert ("RemyPass answered that it could not find the ticket to void (error "
            "404).") in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
