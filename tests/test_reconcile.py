"""
Settling tickets whose outcome is unknown: ``manage.py reconcile_tickets``.

RemyPass cannot be asked for a pass by booking id, so the command reads every
pass (GET /passes, void ones included, page by page) and matches each
unsettled ticket against them.
"""

from dataclasses import replace
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tickets import remypass, services
from tickets.models import Booking, Ticket, TicketEvent
from tickets.remypass import PassData, TemplateData

from .helpers import service_data

pytestmark = pytest.mark.django_db

ISSUE_PATH = "/event-tickets/issue"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def quick_timeouts(settings):
    # unknown_ticket's delays (1 s) must outlast the timeout.
    settings.REMYPASS_TIMEOUT = 0.5
    settings.REMYPASS_CONNECT_TIMEOUT = 0.5


def reconcile(*args):
    out = StringIO()
    call_command("reconcile_tickets", *args, stdout=out)
    return out.getvalue()


def unknown_ticket(sandbox, user, *, created=True, **overrides):
    """Issue a ticket whose answer never arrived; RemyPass made it if created."""
    if created:
        sandbox.inject(method="POST", path=ISSUE_PATH, kind="delay", seconds=1.0,
                       times=1)
    else:
        sandbox.inject(method="POST", path=ISSUE_PATH, kind="malformed_json",
                       times=1)
    ticket = services.issue_ticket(service_data(**overrides), issued_by=user)
    assert ticket.status == Ticket.Status.UNKNOWN
    return ticket


def issue_requests(sandbox):
    return sandbox.requests_received(method="POST", path=ISSUE_PATH)


def age(ticket, **delta):
    """Pretend the ticket was created and last sent ``delta`` ago."""
    then = timezone.now() - timedelta(**delta)
    Ticket.objects.filter(pk=ticket.pk).update(sent_at=then, created_at=then)


def test_timed_out_issue_is_settled_to_the_one_pass_remypass_holds(
        admin_user, sandbox, quick_timeouts):
    # Every answer to the issue call comes too late.
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="delay", seconds=1.0)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN
    assert "did not answer in time" in ticket.last_error
    sandbox.clear_faults()

    output = reconcile("--min-age", "0")

    (held,) = sandbox.passes()
    assert len(issue_requests(sandbox)) == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.remypass_id == held["_id"]
    assert ticket.serial_number == held["serialNumber"]
    assert ticket.apple_wallet_url == held["walletUrls"]["apple"]
    assert ticket.last_error == ""
    assert "Matched to a pass RemyPass holds: 1" in output
    assert "  matched: BOOKING-12345" in output
    assert ticket.events.filter(action=TicketEvent.Action.RECONCILED).exists()


def test_pass_without_a_booking_id_is_matched_on_customer_film_and_time(
        admin_user, sandbox, quick_timeouts):
    ticket = unknown_ticket(sandbox, admin_user)
    # This RemyPass does not echo booking ids on its pass list.
    sandbox.inject(method="GET", path="/passes", kind="missing_fields",
                   fields=["bookingId"])

    reconcile("--min-age", "0")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.remypass_id == sandbox.passes()[0]["_id"]
    assert len(issue_requests(sandbox)) == 1


def test_ticket_remypass_never_made_is_sent_again_with_the_same_booking_id(
        admin_user, sandbox):
    ticket = unknown_ticket(sandbox, admin_user, created=False)
    assert sandbox.passes() == []

    output = reconcile("--min-age", "0")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.attempts == 2
    requests = issue_requests(sandbox)
    assert [r["bookingId"] for r in requests] == ["BOOKING-12345"] * 2
    assert len(sandbox.passes()) == 1
    assert "Sent again and issued: 1" in output


def test_two_possible_passes_leave_the_ticket_flagged_with_both(
        admin_user, sandbox):
    ticket = unknown_ticket(sandbox, admin_user, created=False)
    # Two passes for the same customer and showing, issued elsewhere.
    client = remypass.client()
    data = service_data()
    for other in ("ELSEWHERE-1", "ELSEWHERE-2"):
        client.issue_event_ticket(
            booking_id=other, film=data["film"], start_time=data["start_time"],
            screen=data["screen"], row=data["row"], seat=data["seat"],
            customer_name=data["customer_name"],
            customer_email=data["customer_email"], send_email=False)
    sandbox.inject(method="GET", path="/passes", kind="missing_fields",
                   fields=["bookingId"])
    sandbox.clear_requests()

    output = reconcile("--min-age", "0")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNKNOWN
    assert ticket.remypass_id is None
    assert sorted(c["id"] for c in ticket.reconcile_candidates) == sorted(
        p["_id"] for p in sandbox.passes())
    assert ticket.last_error == ("RemyPass holds 2 passes that could be this "
                                 "ticket; a supervisor must decide which.")
    assert issue_requests(sandbox) == []
    assert "  flagged: BOOKING-12345" in output


def _snapshot(ticket):
    ticket.refresh_from_db()
    return (ticket.status, ticket.updated_at, ticket.sent_at, ticket.attempts,
            ticket.remypass_id, ticket.events.count())


def test_search_failure_changes_nothing_and_says_so(admin_user, sandbox):
    ticket = unknown_ticket(sandbox, admin_user)
    before = _snapshot(ticket)
    sandbox.clear_requests()
    sandbox.inject(method="GET", path="/passes", kind="status", status=500)

    out = StringIO()
    with pytest.raises(CommandError, match="could not be searched; nothing changed"):
        call_command("reconcile_tickets", "--min-age", "0", stdout=out)

    assert _snapshot(ticket) == before
    assert issue_requests(sandbox) == []
    assert ("RemyPass could not be searched, so nothing was changed: RemyPass "
            "had a problem on its side (error 500).") in out.getvalue()


class PagedClient(remypass.RemyPassClient):
    """A real client that reads two passes a page, and may fail on a page."""

    fail_on_page = None

    def iter_passes(self, **kwargs):
        return super().iter_passes(**{**kwargs, "limit": 2})

    def list_passes(self, *, page=1, **kwargs):
        if page == self.fail_on_page:
            raise remypass.RemyPassServerError("RemyPass had a problem.",
                                               status=503)
        return super().list_passes(page=page, **kwargs)


def _other_passes(count):
    client = remypass.client()
    data = service_data()
    for n in range(count):
        client.issue_event_ticket(
            booking_id=f"OTHER-{n}", film="Other film",
            start_time=data["start_time"], screen="9", row="Z", seat=str(n),
            customer_name="Other", customer_email=f"other{n}@example.com",
            send_email=False)


def test_passes_are_read_page_by_page_to_the_end(admin_user, sandbox):
    _other_passes(4)
    ticket = unknown_ticket(sandbox, admin_user)  # the fifth pass: page 3
    sandbox.clear_requests()

    summary = services.reconcile_tickets(
        min_age_seconds=0, client=PagedClient.from_settings())

    assert summary.matched == ["BOOKING-12345"]
    assert len(sandbox.requests_received(method="GET", path="/passes")) == 3
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE


def test_failure_on_a_later_page_changes_nothing(admin_user, sandbox):
    _other_passes(4)
    ticket = unknown_ticket(sandbox, admin_user, created=False)
    before = _snapshot(ticket)
    client = PagedClient.from_settings()
    client.fail_on_page = 2
    sandbox.clear_requests()

    summary = services.reconcile_tickets(min_age_seconds=0, client=client)

    assert summary.search_error == "RemyPass had a problem."
    assert _snapshot(ticket) == before
    assert issue_requests(sandbox) == []


def test_ticket_sent_recently_is_left_for_later(admin_user, sandbox, settings):
    settings.TICKETS_RECONCILE_MIN_AGE = 600
    recent = unknown_ticket(sandbox, admin_user)
    old = unknown_ticket(sandbox, admin_user, booking_id="B-OLD", seat="A13")
    age(old, minutes=11)

    output = reconcile()

    recent.refresh_from_db()
    old.refresh_from_db()
    assert recent.status == Ticket.Status.UNKNOWN
    assert old.status == Ticket.Status.ACTIVE
    assert "  matched: B-OLD" in output


def test_ticket_still_sending_is_never_taken_while_its_send_may_run(
        admin_user, sandbox):
    in_flight = services.create_booking(service_data(), entered_by=admin_user)
    Ticket.objects.filter(pk=in_flight.pk).update(sent_at=timezone.now())
    stuck = services.create_booking(service_data(booking_id="B-STUCK", seat="A13"),
                                    entered_by=admin_user)
    age(stuck, hours=1)

    summary = services.reconcile_tickets(min_age_seconds=0)

    in_flight.refresh_from_db()
    stuck.refresh_from_db()
    assert in_flight.status == Ticket.Status.SENDING
    assert in_flight.attempts == 0
    # RemyPass held nothing for the stuck one, so it was sent again.
    assert summary.retried == ["B-STUCK"]
    assert stuck.status == Ticket.Status.ACTIVE
    assert [r["bookingId"] for r in issue_requests(sandbox)] == ["B-STUCK"]


def test_ticket_changed_after_it_was_read_is_skipped(admin_user, sandbox):
    ticket = unknown_ticket(sandbox, admin_user)
    stale_copy = Ticket.objects.get(pk=ticket.pk)
    # Meanwhile a person retries it.
    services.retry_ticket(ticket, actor=admin_user)

    assert services._claim(stale_copy, 0) is False


def test_negative_min_age_is_refused():
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("reconcile_tickets", "--min-age", "-1")


def test_nothing_to_do_prints_zeros_and_calls_nobody(sandbox):
    output = reconcile("--min-age", "0")

    assert "Matched to a pass RemyPass holds: 0" in output
    assert sandbox.requests_received() == []


def test_retry_answered_duplicate_is_then_reconciled(admin_user, sandbox,
                                                    quick_timeouts):
    ticket = unknown_ticket(sandbox, admin_user)
    ticket = services.retry_ticket(ticket, actor=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN
    assert "an earlier attempt did reach it" in ticket.last_error

    reconcile("--min-age", "0")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert len(sandbox.passes()) == 1


def test_pass_held_by_another_ticket_is_not_matched_again(admin_user, sandbox):
    issued = services.issue_ticket(service_data(booking_id="B-1"),
                                   issued_by=admin_user)
    ticket = unknown_ticket(sandbox, admin_user, created=False,
                            booking_id="B-2", seat="A13")
    sandbox.inject(method="GET", path="/passes", kind="missing_fields",
                   fields=["bookingId", "seatInfo"])
    sandbox.clear_requests()

    summary = services.reconcile_tickets(min_age_seconds=0)

    # The one pass RemyPass held is B-1's, so B-2 was sent again.
    assert summary.retried == ["B-2"]
    ticket.refresh_from_db()
    assert ticket.remypass_id != issued.remypass_id


# --- Matching a pass to a ticket when RemyPass gives no booking id ------------

START = timezone.now().replace(microsecond=0) + timedelta(days=7)
CREATED = timezone.now()


def ticket_for(**booking):
    values = dict(booking_id="BK-1", film="The Third Man", start_time=START,
                  screen="Screen 2", row="F", seat="12",
                  customer_name="Holly Martins",
                  customer_email="holly@example.com")
    values.update(booking)
    return Ticket(booking=Booking(**values), created_at=CREATED)


MATCHING = PassData(
    remypass_id="p1", recipient_name="Holly Martins",
    recipient_email="holly@example.com", event_name="The Third Man",
    event_time=START, seat_section="Screen 2", seat_row="F", seat_number="12",
    issued_at=CREATED + timedelta(seconds=3))


@pytest.mark.parametrize("changes", [
    {},
    {"recipient_email": " HOLLY@example.com"},
    {"recipient_name": "holly  martins"},
    {"recipient_name": ""},
    {"event_name": "", "template": TemplateData("t1", name="The Third Man, 19:30")},
    {"event_time": None, "issued_at": None},
    {"seat_section": "", "seat_row": "", "seat_number": ""},
    {"event_time": START + timedelta(seconds=59)},
    {"issued_at": CREATED - timedelta(minutes=4)},
], ids=repr)
def test_pass_without_booking_id_matches(changes):
    assert services.could_be(replace(MATCHING, **changes), ticket_for())


@pytest.mark.parametrize("changes", [
    {"recipient_email": "harry@example.com"},
    {"recipient_email": ""},
    {"recipient_name": "Harry Lime"},
    {"event_name": "Brief Encounter"},
    {"event_name": "", "template": TemplateData("t1", name="Brief Encounter")},
    {"seat_number": "13"},
    {"seat_row": "G"},
    {"seat_section": "Screen 3"},
    {"event_time": START + timedelta(hours=2)},
    {"issued_at": CREATED - timedelta(hours=1)},
], ids=repr)
def test_pass_without_booking_id_does_not_match(changes):
    assert not services.could_be(replace(MATCHING, **changes), ticket_for())


def test_pass_with_the_booking_id_matches_without_an_email():
    assert services.could_be(replace(MATCHING, booking_id="BK-1",
                                     recipient_email=""), ticket_for())


def test_pass_with_another_booking_id_does_not_match():
    assert not services.could_be(replace(MATCHING, booking_id="BK-2"),
                                 ticket_for())


@pytest.mark.parametrize("changes", [
    {"recipient_email": "someone@example.com"},
    {"seat_number": "13"},
    {"issued_at": CREATED - timedelta(hours=1)},
], ids=repr)
def test_pass_with_the_booking_id_but_another_sales_details_does_not_match(
        changes):
    """A pass made earlier for another sale under the same id is not ours."""
    assert not services.could_be(replace(MATCHING, booking_id="BK-1", **changes),
                                 ticket_for())


def test_ticket_with_a_pass_id_only_matches_that_pass():
    ticket = ticket_for()
    ticket.remypass_id = "p9"

    assert not services.could_be(MATCHING, ticket)
    assert services.could_be(replace(MATCHING, remypass_id="p9"), ticket)
