"""
Staff issuing at the same moment, on PostgreSQL, with real threads.

Each thread posts the issue form through its own logged-in client, as staff at
separate tills do, and all of them are released together by a barrier. The
threads need committed rows (the logins, each other's bookings), hence
``transactional_db``; each closes its own database connection when done.
"""

import copy
import threading
import traceback
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tickets import roles, services
from tickets.models import Booking, Ticket

from .helpers import booking_form_data
from .htmltree import parse

pytestmark = pytest.mark.postgres

ISSUE_URL = "/tickets/issue/"
STAFF = 20
# Long enough for twenty issues against the sandbox, short enough that a
# deadlock fails the test instead of hanging the run.
THREAD_TIMEOUT = 60


@dataclass
class Till:
    """One member of staff's browser, logged in."""

    username: str
    client: Client

    def click_again(self) -> "Till":
        """Return another client in the same browser session, as a new click."""
        client = Client()
        name = settings.SESSION_COOKIE_NAME
        client.cookies[name] = self.client.cookies[name].value
        return Till(self.username, client)


@dataclass
class Outcome:
    """What one member of staff saw after posting the form."""

    username: str
    status_code: int | None = None
    location: str = ""
    page: str = ""
    crash: str = ""


@pytest.fixture
def box_office(transactional_db, django_user_model) -> list[Till]:
    """Return twenty tills, each logged in as its own box-office login."""
    group = roles.ensure_roles()[roles.BOX_OFFICE]
    tills = []
    for n in range(1, STAFF + 1):
        # No password: hashing twenty would take seconds, and force_login
        # needs none.
        user = django_user_model.objects.create_user(f"till{n:02}",
                                                     is_staff=True)
        user.groups.add(group)
        client = Client()
        client.force_login(user)
        tills.append(Till(user.get_username(), client))
    return tills


def post_together(tills, forms) -> list[Outcome]:
    """Post each form from its till, every thread released at the same moment."""
    start_together = threading.Barrier(len(tills))
    outcomes = [Outcome(till.username) for till in tills]

    def post(till, form, outcome):
        try:
            start_together.wait(timeout=THREAD_TIMEOUT)
            response = till.client.post(ISSUE_URL, form)
            outcome.status_code = response.status_code
            outcome.location = response.get("Location", "")
            outcome.page = response.content.decode()
        except BaseException:
            outcome.crash = traceback.format_exc()
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=args)
               for args in zip(tills, forms, outcomes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a post never ended"
    crashes = [o.crash for o in outcomes if o.crash]
    assert not crashes, crashes[0]
    return outcomes


def field_errors(outcome: Outcome, field: str) -> list[str]:
    """Return the errors the page shows under one field of the form."""
    lists = parse(outcome.page).find_all("ul", "errorlist", id=f"id_{field}_errors")
    return [item.all_text() for errors in lists
            for item in errors.find_all("li")]


def issue_requests(sandbox):
    return sandbox.requests_received(method="POST", path="/event-tickets/issue")


def expected_refusals(ticket: Ticket) -> tuple[str, str]:
    """Return what a later post is told while the ticket sends, and after."""
    told = []
    for status in (Ticket.Status.SENDING, Ticket.Status.ACTIVE):
        as_it_was = copy.copy(ticket)
        as_it_was.status = status
        told.append(services.describe_existing(as_it_was))
    return told[0], told[1]


def split_by_redirect(outcomes):
    """Return the outcomes that went on to a ticket page, and the others."""
    issued = [o for o in outcomes if o.status_code == 302]
    others = [o for o in outcomes if o.status_code != 302]
    return issued, others


# --- One booking id, many posts ----------------------------------------------


def test_twenty_staff_issuing_one_booking_at_once_make_one_ticket(
        box_office, sandbox):
    form = booking_form_data(booking_id="BK-RUSH")

    outcomes = post_together(box_office, [form] * STAFF)

    ticket = Ticket.objects.select_related("booking__entered_by").get()
    winner = ticket.booking.entered_by.get_username()
    issued, others = split_by_redirect(outcomes)
    assert Booking.objects.count() == 1
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.attempts == 1
    assert len(issue_requests(sandbox)) == 1
    assert [o.username for o in issued] == [winner]
    assert issued[0].location == ticket.get_absolute_url()
    told = expected_refusals(ticket)
    for outcome in others:
        assert outcome.status_code == 200, outcome.username
        assert field_errors(outcome, "booking_id") in ([told[0]], [told[1]])
        assert field_errors(outcome, "seat") == []


def test_double_clicks_on_one_till_make_one_ticket(box_office, sandbox):
    till = box_office[0]
    clicks = [till] + [till.click_again() for _ in range(STAFF - 1)]

    outcomes = post_together(clicks, [booking_form_data(booking_id="BK-CLICK")]
                             * STAFF)

    ticket = Ticket.objects.select_related("booking__entered_by").get()
    issued, others = split_by_redirect(outcomes)
    assert ticket.booking.entered_by.get_username() == till.username
    assert ticket.status == Ticket.Status.ACTIVE
    assert len(issue_requests(sandbox)) == 1
    assert len(issued) == 1
    told = expected_refusals(ticket)
    for outcome in others:
        assert outcome.status_code == 200
        assert field_errors(outcome, "booking_id") in ([told[0]], [told[1]])
        assert field_errors(outcome, "seat") == []


# --- One seat, many bookings -------------------------------------------------


def seat_forms(prefix, **overrides):
    """Return twenty bookings for screen 1, row A, seat A12 of one showing."""
    return [booking_form_data(booking_id=f"{prefix}-{n:02}",
                              customer_email=f"guest{n:02}@example.com",
                              **overrides)
            for n in range(1, STAFF + 1)]


def test_twenty_bookings_for_one_seat_at_once_get_one_live_ticket(
        box_office, sandbox):
    outcomes = post_together(box_office, seat_forms("BK-SEAT"))

    ticket = Ticket.objects.live().select_related("booking").get()
    holder = ticket.booking.booking_id
    issued, others = split_by_redirect(outcomes)
    # A refused booking leaves nothing behind: no booking, no ticket.
    assert Ticket.objects.count() == 1
    assert Booking.objects.count() == 1
    assert ticket.status == Ticket.Status.ACTIVE
    assert len(issue_requests(sandbox)) == 1
    assert [o.location for o in issued] == [ticket.get_absolute_url()]
    assert len(others) == STAFF - 1
    for outcome in others:
        assert outcome.status_code == 200, outcome.username
        (error,) = field_errors(outcome, "seat")
        assert error.startswith(f"Seat taken by booking {holder}."), error
        assert field_errors(outcome, "booking_id") == []


def test_voiding_the_live_ticket_frees_its_seat_for_a_new_booking(
        box_office, supervisor_client, sandbox):
    post_together(box_office, seat_forms("BK-SEAT"))
    voided = Ticket.objects.live().get()

    supervisor_client.post(f"/tickets/{voided.pk}/void/", {"reason": "Refund"})
    response = box_office[0].client.post(ISSUE_URL, booking_form_data(
        booking_id="BK-AFTER-VOID", customer_email="late@example.com"))

    voided.refresh_from_db()
    ticket = Ticket.objects.live().select_related("booking").get()
    assert voided.status == Ticket.Status.VOID
    assert ticket.booking.booking_id == "BK-AFTER-VOID"
    assert ticket.status == Ticket.Status.ACTIVE
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert len(issue_requests(sandbox)) == 2


def test_general_admission_bookings_at_once_share_a_seat_label(
        box_office, sandbox):
    forms = seat_forms("BK-GA", general_admission="on", row="-", seat="GA")

    outcomes = post_together(box_office, forms)

    issued, others = split_by_redirect(outcomes)
    assert len(issued) == STAFF
    assert others == []
    assert Ticket.objects.filter(status=Ticket.Status.ACTIVE).count() == STAFF
    assert len(issue_requests(sandbox)) == STAFF
    assert sorted(Booking.objects.values_list("booking_id", flat=True)) == [
        f"BK-GA-{n:02}" for n in range(1, STAFF + 1)]
