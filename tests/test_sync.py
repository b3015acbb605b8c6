"""
Taking statuses that changed in RemyPass: ``manage.py sync_tickets``.

The command walks GET /passes?includeVoid=true, 100 a page, against the live
sandbox; changes made "behind the product's back" go through the sandbox's
control API, as RemyPass's own dashboard would make them.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tickets import remypass, services
from tickets.models import Ticket, TicketEvent

from .helpers import service_data

pytestmark = pytest.mark.django_db

LIST_PATH = "/passes"


def sync():
    out = StringIO()
    call_command("sync_tickets", stdout=out)
    return out.getvalue()


def issued(user, n=1, **overrides):
    ticket = services.issue_ticket(
        service_data(booking_id=f"B-{n}", seat=f"S{n}", **overrides),
        issued_by=user)
    assert ticket.status == Ticket.Status.ACTIVE
    return ticket


def passes_made_elsewhere(count):
    """Have RemyPass issue passes that this installation never saw."""
    client = remypass.client()
    start = service_data()["start_time"]
    for n in range(count):
        client.issue_event_ticket(
            booking_id=f"ELSEWHERE-{n}", film="Other venue", start_time=start,
            screen="9", row="Z", seat=str(n), customer_name="Someone",
            customer_email=f"someone{n}@example.com", send_email=False)


def list_calls(sandbox):
    return sandbox.requests_received(method="GET", path=LIST_PATH)


def test_ticket_voided_in_remypass_shows_void_after_sync(admin_user, sandbox):
    ticket = issued(admin_user)
    sandbox.set_status(ticket.remypass_id, "void")

    out = sync()

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert ticket.voided_at is not None
    event = ticket.events.first()
    assert event.action == TicketEvent.Action.STATUS_CHANGED
    assert event.get_action_display() == "Status changed in RemyPass"
    assert event.message == "Active → Void in RemyPass."
    assert event.remypass_answer == "void"
    assert event.status == Ticket.Status.VOID
    assert event.actor is None
    assert out == (
        "Passes read from RemyPass: 1\n"
        "Matching a ticket here: 1\n"
        "Status changes recorded: 1\n"
        "Not issued from this installation, left alone: 0\n"
        "  B-1: Active → Void\n")


def test_the_change_shows_in_the_ticket_pages_history(admin_user, admin_client,
                                                      sandbox):
    ticket = issued(admin_user)
    sandbox.set_status(ticket.remypass_id, "void")
    sync()

    page = admin_client.get(ticket.get_absolute_url()).content.decode()

    assert '<span class="status status-void">Void</span>' in page
    assert "Status changed in RemyPass" in page
    assert "Active → Void in RemyPass." in page


def test_every_changed_status_is_taken_and_the_rest_left(admin_user, sandbox):
    expired, inactive, same = (issued(admin_user, n) for n in (1, 2, 3))
    sandbox.set_status(expired.remypass_id, "expired")
    sandbox.set_status(inactive.remypass_id, "inactive")
    before = same.events.count()

    out = sync()

    statuses = dict(Ticket.objects.values_list("booking__booking_id", "status"))
    assert statuses == {"B-1": "expired", "B-2": "inactive", "B-3": "active"}
    assert "Status changes recorded: 2\n" in out
    assert "  B-1: Active → Expired\n" in out
    assert "  B-2: Active → Inactive\n" in out
    assert same.events.count() == before


def test_walks_past_the_first_hundred_passes(admin_user, sandbox):
    passes_made_elsewhere(130)
    ticket = issued(admin_user)  # the 131st pass: on the second page
    sandbox.set_status(ticket.remypass_id, "void")
    sandbox.clear_requests()

    out = sync()

    # Two pages of 100 reach the 131st pass.
    assert len(list_calls(sandbox)) == 2
    assert [r["status"] for r in list_calls(sandbox)] == [200, 200]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert out.startswith(
        "Passes read from RemyPass: 131\n"
        "Matching a ticket here: 1\n"
        "Status changes recorded: 1\n"
        "Not issued from this installation, left alone: 130\n")


def test_never_creates_tickets_for_passes_made_elsewhere(admin_user, sandbox):
    passes_made_elsewhere(3)
    sandbox.clear_requests()

    out = sync()

    assert not Ticket.objects.exists()
    assert "Not issued from this installation, left alone: 3\n" in out
    # It only reads: nothing is issued or voided in RemyPass either.
    assert {r["method"] for r in sandbox.requests_received()} == {"GET"}


def test_void_ticket_is_never_brought_back(admin_user, sandbox):
    ticket = issued(admin_user)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.VOID)
    # RemyPass says otherwise (it should never happen: void is permanent).
    assert sandbox.passes()[0]["status"] == "active"
    events = ticket.events.count()

    out = sync()

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert ticket.events.count() == events
    assert "Status changes recorded: 0\n" in out


def test_tickets_not_issued_yet_are_left_alone(admin_user, sandbox):
    sandbox.inject(method="POST", path="/event-tickets/issue", kind="rate_limit",
                   retry_after=30, times=1)
    failed = services.issue_ticket(service_data(), issued_by=admin_user)
    assert failed.status == Ticket.Status.FAILED

    sync()

    failed.refresh_from_db()
    assert failed.status == Ticket.Status.FAILED


def test_running_twice_records_a_change_once(admin_user, sandbox):
    ticket = issued(admin_user)
    sandbox.set_status(ticket.remypass_id, "expired")

    sync()
    out = sync()

    assert "Status changes recorded: 0\n" in out
    assert ticket.events.filter(
        action=TicketEvent.Action.STATUS_CHANGED).count() == 1


def test_remypass_down_changes_nothing_and_fails_the_command(admin_user, sandbox):
    ticket = issued(admin_user)
    sandbox.set_status(ticket.remypass_id, "void")
    sandbox.inject(method="GET", path=LIST_PATH, kind="status", status=500)
    out = StringIO()

    with pytest.raises(CommandError, match="RemyPass could not be read to the end."):
        call_command("sync_tickets", stdout=out)

    assert "Passes read from RemyPass: 0\n" in out.getvalue()
    assert "RemyPass had a problem on its side (error 500)" in out.getvalue()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE


class FailsOnSecondPage(remypass.RemyPassClient):
    """A real client; the sandbox is told to fail just before page 2 is read."""

    sandbox = None

    def list_passes(self, *, page=1, **kwargs):
        if page == 2:
            self.sandbox.inject(method="GET", path=LIST_PATH, kind="status",
                                status=500)
        return super().list_passes(page=page, **kwargs)


def test_failure_on_a_later_page_keeps_what_was_read(admin_user, sandbox):
    first = issued(admin_user, 1)
    passes_made_elsewhere(100)
    last = issued(admin_user, 2)  # on page 2, never read
    sandbox.set_status(first.remypass_id, "void")
    sandbox.set_status(last.remypass_id, "void")
    FailsOnSecondPage.sandbox = sandbox

    summary = services.sync_tickets(client=FailsOnSecondPage.from_settings())

    assert summary.seen == 100
    assert summary.changed == ["B-1: Active → Void"]
    assert summary.error.startswith("RemyPass had a problem on its side")
    first.refresh_from_db()
    last.refresh_from_db()
    assert first.status == Ticket.Status.VOID
    assert last.status == Ticket.Status.ACTIVE
