"""
A ticket's history: every change recorded with who, when and RemyPass's
answer, shown newest first, and never edited or deleted from the admin.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tickets import services
from tickets.admin import TicketAdmin
from tickets.models import Ticket, TicketEvent

from .helpers import service_data
from .htmltree import parse

pytestmark = pytest.mark.django_db

Action = TicketEvent.Action
ISSUE_PATH = "/event-tickets/issue"


def history(ticket):
    """Return (action, actor's username, RemyPass's answer), oldest first."""
    return [(e.action, e.actor.get_username() if e.actor else None,
             e.remypass_answer)
            for e in ticket.events.select_related("actor").order_by("id")]


def issued(user, **overrides):
    ticket = services.issue_ticket(service_data(**overrides), issued_by=user)
    assert ticket.status == Ticket.Status.ACTIVE
    return ticket


# --- What is recorded -----------------------------------------------------------


def test_issuing_records_created_sent_and_issued(admin_user):
    before = timezone.now()

    ticket = issued(admin_user)

    assert history(ticket) == [
        (Action.CREATED, "sam", ""),
        (Action.SENT, "sam", ""),
        (Action.ISSUED, "sam", "Event ticket created"),
    ]
    issued_event = ticket.events.get(action=Action.ISSUED)
    assert issued_event.message == f"Serial number {ticket.serial_number}."
    assert issued_event.status == Ticket.Status.ACTIVE
    assert before <= issued_event.created_at <= timezone.now()


def test_a_rejection_records_remypass_reason(admin_user):
    ticket = services.issue_ticket(service_data(customer_email="not-an-email"),
                                   issued_by=admin_user)

    assert ticket.status == Ticket.Status.REJECTED
    assert history(ticket)[-1] == (
        Action.REJECTED, "sam", "customer.email must be a valid email address")
    assert ticket.events.first().message.startswith(
        "RemyPass refused the ticket: customer.email must be a valid email "
        "address")


def test_a_failure_then_a_retry_records_each_step(admin_user, clerk, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=429,
                   body={"success": False, "message": "Rate limit reached"},
                   times=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.FAILED

    services.retry_ticket(ticket, actor=clerk)

    assert history(ticket) == [
        (Action.CREATED, "sam", ""),
        (Action.SENT, "sam", ""),
        (Action.FAILED, "sam", "Rate limit reached"),
        (Action.RETRIED, "bo", ""),
        (Action.SENT, "bo", ""),
        (Action.ISSUED, "bo", "Event ticket created"),
    ]
    statuses = list(ticket.events.order_by("id").values_list("status", flat=True))
    assert statuses == ["sending", "sending", "failed", "sending", "sending",
                        "active"]


def test_an_unknown_outcome_then_reconciling_records_each_step(admin_user,
                                                               sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="drop", process=True,
                   times=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN
    Ticket.objects.filter(pk=ticket.pk).update(
        sent_at=timezone.now() - timedelta(hours=1))

    services.reconcile_tickets(min_age_seconds=0, actor=admin_user)

    assert [action for action, _who, _answer in history(ticket)] == [
        Action.CREATED, Action.SENT, Action.UNKNOWN, Action.RECONCILED]
    reconciled = ticket.events.first()
    assert reconciled.actor == admin_user
    assert reconciled.status == Ticket.Status.ACTIVE


def test_voiding_records_the_request_and_remypass_confirmation(admin_user,
                                                                supervisor_user):
    ticket = issued(admin_user)

    services.void_ticket(ticket, actor=supervisor_user, reason="Refund")

    assert history(ticket)[-2:] == [
        (Action.VOID_REQUESTED, "supervisor", ""),
        (Action.VOIDED, "supervisor", "Pass revoked"),
    ]
    requested, voided = ticket.events.order_by("id")[3:]
    assert requested.message == voided.message == "Refund"
    assert requested.status == Ticket.Status.ACTIVE
    assert voided.status == Ticket.Status.VOID


def test_a_refused_void_records_remypass_answer(admin_user, supervisor_user,
                                               sandbox):
    ticket = issued(admin_user)
    sandbox.inject(method="POST", path="/passes/", kind="status", status=400,
                   body={"success": False, "message": "Pass is locked"})

    services.void_ticket(ticket, actor=supervisor_user)

    assert history(ticket)[-1] == (Action.VOID_FAILED, "supervisor",
                                   "Pass is locked")


def test_a_status_changed_in_remypass_is_recorded_on_refresh(admin_user,
                                                             supervisor_user,
                                                             sandbox):
    ticket = issued(admin_user)
    sandbox.set_status(ticket.remypass_id, "expired")

    services.refresh_ticket(ticket, actor=supervisor_user)

    assert history(ticket)[-1] == (Action.STATUS_CHANGED, "supervisor",
                                   "expired")
    assert ticket.events.first().message == "Active → Expired in RemyPass."


# --- Where it is shown ------------------------------------------------------------


def rows_of(table):
    return [[cell.all_text() for cell in row.find_all("td")]
            for row in table.find("tbody").find_all("tr")]


def test_ticket_page_shows_who_when_and_answer_newest_first(
        admin_user, supervisor_user, supervisor_client):
    ticket = issued(admin_user)
    services.void_ticket(ticket, actor=supervisor_user, reason="Refund")
    voided = ticket.events.first()

    tree = parse(supervisor_client.get(ticket.get_absolute_url()))

    rows = rows_of(tree.find_all("table", "list")[-1])
    assert [row[1] for row in rows] == [
        "Voided", "Void requested", "Issued", "Sent to RemyPass", "Created"]
    when = timezone.localtime(voided.created_at).strftime("%-d %b %Y, %H:%M:%S")
    assert rows[0][0] == when
    assert rows[0][2] == "supervisor"
    assert rows[0][3].startswith("Refund")
    assert "RemyPass: Pass revoked" in rows[0][3]
    assert rows[-1][2] == "sam"


def test_admin_change_page_shows_the_history_newest_first(admin_user,
                                                          admin_client,
                                                          supervisor_user):
    ticket = issued(admin_user)
    services.void_ticket(ticket, actor=supervisor_user, reason="Refund")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    html = admin_client.get(url).content.decode()

    assert "History (newest first)" in html
    order = [html.index(f">{label}<") for label in (
        "Voided", "Void requested", "Issued", "Sent to RemyPass", "Created")]
    assert order == sorted(order)
    assert "Pass revoked" in html
    assert "supervisor" in html


# --- Never edited or deleted --------------------------------------------------------


def test_history_has_no_admin_pages_not_even_for_a_superuser(admin_user,
                                                             admin_client):
    ticket = issued(admin_user)
    event = ticket.events.first()
    base = "/admin/tickets/ticketevent/"

    for url in (base, f"{base}add/", f"{base}{event.pk}/change/",
                f"{base}{event.pk}/delete/", f"{base}{event.pk}/history/"):
        assert admin_client.get(url).status_code == 404, url
    for url in (f"{base}{event.pk}/change/", f"{base}{event.pk}/delete/"):
        response = admin_client.post(url, {"post": "yes", "message": "edited"})
        assert response.status_code == 404, url
    response = admin_client.post(base, {"action": "delete_selected", "post": "yes",
                                        "_selected_action": [event.pk]})
    assert response.status_code == 404

    event.refresh_from_db()
    assert event.message == f"Serial number {ticket.serial_number}."
    assert ticket.events.count() == 3


def test_history_inline_refuses_every_change_even_to_a_superuser(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    assert admin_user.is_superuser
    ticket_admin = TicketAdmin(Ticket, admin.site)
    [inline] = [i for i in ticket_admin.get_inline_instances(request)
                if i.model is TicketEvent]

    assert inline.has_view_permission(request)
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request, None)
    assert not inline.has_delete_permission(request, None)
    assert set(inline.get_readonly_fields(request)) >= {
        "created_at", "action", "actor", "status", "message", "remypass_answer"}


def test_superuser_posting_history_edits_changes_nothing(admin_user, admin_client):
    ticket = issued(admin_user)
    events = list(ticket.events.order_by("id"))
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    html = admin_client.get(url).content.decode()
    assert 'name="events-0-message"' not in html
    assert 'name="events-0-DELETE"' not in html
    admin_client.post(url, {
        "events-TOTAL_FORMS": "2", "events-INITIAL_FORMS": "1",
        "events-0-id": events[0].pk, "events-0-ticket": ticket.pk,
        "events-0-message": "rewritten", "events-0-DELETE": "on",
        "events-1-ticket": ticket.pk, "events-1-action": "voided",
        "events-1-message": "made up"})

    assert list(ticket.events.order_by("id")) == events
    assert [e.message for e in ticket.events.order_by("id")] == [
        e.message for e in events]


def test_ticket_and_its_history_cannot_be_deleted_by_a_superuser(admin_user,
                                                                 admin_client):
    ticket = issued(admin_user)

    ticket_delete = admin_client.post(
        reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})
    booking_delete = admin_client.post(
        reverse("admin:tickets_booking_delete", args=[ticket.booking_id]),
        {"post": "yes"})

    assert ticket_delete.status_code == 403
    assert booking_delete.status_code == 403
    assert ticket.events.count() == 3
