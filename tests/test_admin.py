"""Looking tickets up and voiding them in the admin."""

import pytest
from django.urls import reverse

from tickets.models import Ticket, TicketEvent

from .helpers import booking_form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tickets_ticket_changelist")


def issue(client, **overrides):
    client.post("/tickets/issue/", booking_form_data(**overrides))
    return Ticket.objects.get(booking__booking_id=overrides.get(
        "booking_id", "BOOKING-12345"))


def test_admin_finds_the_ticket_by_booking_id_serial_and_customer(admin_client):
    ticket = issue(admin_client)
    issue(admin_client, booking_id="OTHER-1", seat="B1", customer_name="Ann Lee",
          customer_email="ann@example.com", film="Alien")

    for term in ("BOOKING-12345", ticket.serial_number, "john@", "John D",
                 "The Matrix"):
        response = admin_client.get(CHANGELIST, {"q": term})
        results = list(response.context["cl"].result_list)
        assert results == [ticket], term


def test_list_shows_local_start_time_and_status(admin_client):
    issue(admin_client)
    response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    assert "BOOKING-12345" in html
    assert "Active" in html
    assert "Screen 1" in html


def test_list_query_count_does_not_grow_with_rows(admin_client,
                                                  django_assert_max_num_queries):
    for n in range(5):
        issue(admin_client, booking_id=f"B-{n}", seat=f"S{n}")
    with django_assert_max_num_queries(12):
        admin_client.get(CHANGELIST)


def test_void_action_asks_for_confirmation_then_voids_through_remypass(
        admin_client, sandbox):
    ticket = issue(admin_client)
    form = {"action": "void_selected", "_selected_action": [ticket.pk]}

    confirm = admin_client.post(CHANGELIST, form)
    assert confirm.status_code == 200
    assert "Voiding is permanent." in confirm.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE

    done = admin_client.post(CHANGELIST, {**form, "confirm": "yes",
                                          "reason": "Customer refund"}, follow=True)

    assert "1 ticket voided in RemyPass: BOOKING-12345." in done.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert ticket.void_reason == "Customer refund"
    assert sandbox.passes()[0]["status"] == "void"
    assert ticket.events.filter(action=TicketEvent.Action.VOIDED).exists()
    listing = admin_client.get(CHANGELIST, {"q": "BOOKING-12345"})
    assert "Void" in listing.content.decode()


def test_void_is_marked_only_when_remypass_confirms(admin_client, sandbox):
    ticket = issue(admin_client)
    sandbox.inject(method="POST", path="/passes/", kind="status", status=500)
    form = {"action": "void_selected", "_selected_action": [ticket.pk],
            "confirm": "yes", "reason": ""}

    done = admin_client.post(CHANGELIST, form, follow=True)

    assert "BOOKING-12345: RemyPass had a problem" in done.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE


def test_already_void_in_remypass_is_marked_void_without_error(admin_client,
                                                              sandbox):
    ticket = issue(admin_client)
    sandbox.set_status(ticket.remypass_id, "void")
    form = {"action": "void_selected", "_selected_action": [ticket.pk],
            "confirm": "yes", "reason": ""}

    done = admin_client.post(CHANGELIST, form, follow=True)

    assert "1 ticket voided" in done.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID


def test_change_page_shows_wallet_links_read_only_and_no_delete(admin_client):
    ticket = issue(admin_client)
    response = admin_client.get(reverse("admin:tickets_ticket_change",
                                        args=[ticket.pk]))
    html = response.content.decode()
    assert ticket.apple_wallet_url in html
    assert ticket.google_wallet_url in html
    assert 'name="serial_number"' not in html
    assert reverse("admin:tickets_ticket_delete", args=[ticket.pk]) not in html
    delete = admin_client.post(reverse("admin:tickets_ticket_delete",
                                       args=[ticket.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
