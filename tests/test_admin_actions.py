"""Supervisors' admin actions: retry, refresh, reconcile, void, and history."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tickets import services
from tickets.admin import BATCH_LIMIT, VOID_BATCH_LIMIT, TicketAdmin
from tickets.models import Booking, Ticket, TicketEvent

from .helpers import service_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tickets_ticket_changelist")
RECONCILE = reverse("admin:tickets_ticket_reconcile")
ISSUE_PATH = "/event-tickets/issue"
SUPERVISOR_PERMS = ("view_ticket", "issue_ticket", "retry_ticket",
                    "refresh_ticket", "void_ticket", "reconcile_ticket",
                    "export_ticket")


def staff(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, password="pw",
                                                 is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="tickets", codename__in=codenames))
    return user


@pytest.fixture
def supervisor(django_user_model):
    return staff(django_user_model, "sup", *SUPERVISOR_PERMS)


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture
def viewer_client(client, django_user_model):
    client.force_login(staff(django_user_model, "look", "view_ticket"))
    return client


def issue(user, n=1, **overrides):
    data = service_data(booking_id=f"B-{n}", seat=f"S{n}", **overrides)
    return services.issue_ticket(data, issued_by=user)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def run(client, action, *tickets, **extra):
    return client.post(CHANGELIST, {"action": action, "index": "0",
                                    "_selected_action": [t.pk for t in tickets],
                                    **extra}, follow=True)


def action_names(client):
    response = client.get(CHANGELIST)
    return [name for name, _label in
            response.context["action_form"].fields["action"].choices if name]


# -- Which actions each login is offered --


def test_supervisor_is_offered_every_action_and_no_delete(supervisor_client):
    assert action_names(supervisor_client) == [
        "retry_selected", "refresh_selected", "void_selected", "export_selected"]


def test_superuser_is_not_offered_delete_either(admin_client):
    assert "delete_selected" not in action_names(admin_client)


def test_a_login_sees_only_the_actions_it_holds(client, django_user_model):
    client.force_login(staff(django_user_model, "bo", "view_ticket",
                             "retry_ticket"))
    assert action_names(client) == ["retry_selected"]


def test_each_action_checks_its_own_permission(rf, django_user_model):
    model_admin = TicketAdmin(Ticket, admin.site)
    request = rf.get(CHANGELIST)
    request.user = staff(django_user_model, "bo", "view_ticket", "retry_ticket")
    assert model_admin.has_retry_permission(request)
    for name in ("refresh", "void", "reconcile", "export"):
        assert not getattr(model_admin, f"has_{name}_permission")(request), name


# -- Retry --


def test_retry_sends_failed_tickets_again_and_skips_the_rest(
        supervisor_client, supervisor, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=30, times=1)
    failed = issue(supervisor, 1)
    active = issue(supervisor, 2)
    assert failed.status == Ticket.Status.FAILED

    response = run(supervisor_client, "retry_selected", failed, active)

    failed.refresh_from_db()
    assert failed.status == Ticket.Status.ACTIVE
    assert messages_of(response) == [
        f"1 ticket issued: B-1 ({failed.serial_number}).",
        "1 ticket skipped, as only failed tickets and tickets with an unknown "
        "outcome are sent again: B-2."]
    assert failed.events.filter(action=TicketEvent.Action.RETRIED,
                                actor__username="sup").exists()


def test_retry_names_each_ticket_that_failed_again(supervisor_client, supervisor,
                                                   sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=30, times=4)
    first, second = issue(supervisor, 1), issue(supervisor, 2)

    response = run(supervisor_client, "retry_selected", first, second)

    # In the list's order, newest first.
    texts = messages_of(response)
    assert len(texts) == 2
    assert texts[0].startswith("B-2: RemyPass is busy")
    assert texts[1].startswith("B-1: RemyPass is busy")


def test_retry_is_refused_to_a_login_without_the_permission(viewer_client,
                                                            admin_user, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=30, times=1)
    failed = issue(admin_user, 1)

    sandbox.clear_requests()

    response = run(viewer_client, "retry_selected", failed)

    assert response.context["action_form"] is None
    assert sandbox.requests_received(method="POST") == []
    failed.refresh_from_db()
    assert failed.status == Ticket.Status.FAILED


# -- Refresh --


def test_refresh_reports_each_change_and_counts_the_unchanged(
        supervisor_client, supervisor, sandbox):
    changed, same = issue(supervisor, 1), issue(supervisor, 2)
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=30, times=1)
    unsent = issue(supervisor, 3)
    sandbox.set_status(changed.remypass_id, "expired")

    response = run(supervisor_client, "refresh_selected", changed, same, unsent)

    assert messages_of(response) == [
        "B-1: Active → Expired in RemyPass.",
        "1 ticket unchanged, RemyPass agrees: B-2.",
        "1 ticket skipped, as RemyPass has not issued it yet: B-3."]
    changed.refresh_from_db()
    assert changed.status == Ticket.Status.EXPIRED


def test_refresh_names_a_ticket_remypass_could_not_be_asked_about(
        supervisor_client, supervisor, sandbox):
    ticket = issue(supervisor, 1)
    sandbox.inject(method="GET", path="/passes/", kind="status", status=500)

    response = run(supervisor_client, "refresh_selected", ticket)

    [text] = messages_of(response)
    assert text.startswith("B-1: RemyPass had a problem")


# -- Reconcile --


def unknown_ticket(user, sandbox, n=1):
    # RemyPass makes the pass but the answer never arrives.
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="drop", process=True,
                   times=1)
    ticket = issue(user, n)
    assert ticket.status == Ticket.Status.UNKNOWN
    Ticket.objects.filter(pk=ticket.pk).update(
        sent_at=timezone.now() - timedelta(minutes=10))
    return ticket


def test_reconcile_button_settles_unknown_tickets(supervisor_client, supervisor,
                                                  sandbox):
    ticket = unknown_ticket(supervisor, sandbox)

    response = supervisor_client.post(RECONCILE, follow=True)

    assert response.redirect_chain[-1][0] == CHANGELIST
    assert messages_of(response) == [
        "Matched to the pass RemyPass holds: B-1."]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert len(sandbox.passes()) == 1
    assert ticket.events.filter(action=TicketEvent.Action.RECONCILED,
                                actor__username="sup").exists()


def test_reconcile_leaves_a_ticket_that_may_still_be_on_its_way(
        supervisor_client, supervisor, sandbox):
    ticket = unknown_ticket(supervisor, sandbox)
    Ticket.objects.filter(pk=ticket.pk).update(sent_at=timezone.now())

    response = supervisor_client.post(RECONCILE, follow=True)

    [text] = messages_of(response)
    assert text.startswith("No ticket needed reconciling")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNKNOWN


def test_reconcile_says_when_remypass_cannot_be_searched(
        supervisor_client, supervisor, sandbox):
    ticket = unknown_ticket(supervisor, sandbox)
    sandbox.inject(method="GET", path="/passes", kind="status", status=500)

    response = supervisor_client.post(RECONCILE, follow=True)

    [text] = messages_of(response)
    assert text.startswith("RemyPass could not be searched, so nothing was "
                           "changed: RemyPass had a problem")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNKNOWN


def test_reconcile_is_post_only_and_csrf_protected(supervisor, sandbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)

    assert client.get(RECONCILE).status_code == 405
    assert client.post(RECONCILE).status_code == 403

    page = client.get(CHANGELIST)
    token = page.cookies["csrftoken"].value
    response = client.post(RECONCILE, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_reconcile_is_for_supervisors_only(viewer_client, admin_user, sandbox):
    ticket = unknown_ticket(admin_user, sandbox)

    assert viewer_client.post(RECONCILE).status_code == 403
    html = viewer_client.get(CHANGELIST).content.decode()
    assert "Reconcile tickets now" not in html
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNKNOWN


def test_changelist_says_what_reconcile_does(supervisor_client):
    html = supervisor_client.get(CHANGELIST).content.decode()
    assert "Reconcile tickets now" in html
    assert "across all tickets and not only those shown" in html
    assert f'action="{RECONCILE}"' in html


# -- Void --


def bulk_active(count):
    bookings = Booking.objects.bulk_create(
        Booking(booking_id=f"BULK-{n}", film="Alien",
                start_time=timezone.now() + timedelta(days=1), screen="1",
                row="A", seat=str(n), customer_name="Ann Lee",
                customer_email="ann@example.com") for n in range(count))
    Ticket.objects.bulk_create(
        Ticket(booking=b, status=Ticket.Status.ACTIVE, remypass_id=f"rp-{b.pk}",
               seat_key=b.seat_key()) for b in bookings)


def test_void_over_the_limit_calls_remypass_not_once(supervisor_client, sandbox):
    bulk_active(BATCH_LIMIT + 1)

    response = supervisor_client.post(CHANGELIST, {
        "action": "void_selected", "select_across": "1", "index": "0",
        "_selected_action": [Ticket.objects.first().pk], "confirm": "yes",
        "reason": "x"}, follow=True)

    assert messages_of(response) == [
        "201 tickets are selected; at most 200 can be voided at once. Narrow "
        "the filter and try again."]
    assert sandbox.requests_received(method="POST") == []
    assert not Ticket.objects.filter(status=Ticket.Status.VOID).exists()


def test_void_confirmation_shows_the_count_and_a_short_sample(supervisor_client,
                                                             sandbox):
    bulk_active(30)
    Ticket.objects.filter(booking__booking_id="BULK-0").update(
        status=Ticket.Status.FAILED)

    response = supervisor_client.post(CHANGELIST, {
        "action": "void_selected", "select_across": "1", "index": "0",
        "_selected_action": [Ticket.objects.first().pk]})

    html = response.content.decode()
    assert "Void 29 tickets?" in html
    assert len(response.context["sample"]) == 20
    assert "… and 10 more tickets." in html
    assert ("1 of the selected tickets is not issued by RemyPass and will be "
            "skipped.") in html
    assert sandbox.requests_received(method="POST") == []


def test_void_of_tickets_already_void_offers_nothing_to_confirm(
        supervisor_client, sandbox):
    bulk_active(2)
    Ticket.objects.update(status=Ticket.Status.VOID)

    response = select_all(supervisor_client)

    assert messages_of(response) == [
        "None of the selected tickets can be voided: 2 are already void."]
    assert "Voiding is permanent." not in response.content.decode()
    assert sandbox.requests_received(method="POST") == []


def test_void_of_one_ticket_asks_to_void_it(supervisor_client, sandbox):
    bulk_active(1)

    response = select_all(supervisor_client)

    assert 'value="Yes, void it"' in response.content.decode()


def test_void_names_each_ticket_it_could_not_void(supervisor_client, supervisor,
                                                  sandbox):
    issued = issue(supervisor, 1)
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=30, times=1)
    unsent = issue(supervisor, 2)

    response = run(supervisor_client, "void_selected", issued, unsent,
                   confirm="yes", reason="Refund")

    assert messages_of(response) == [
        "B-2: Only an issued ticket can be voided; this one is Failed, safe to "
        "retry.",
        "1 ticket voided in RemyPass: B-1."]


def select_all(client, **extra):
    return client.post(CHANGELIST, {
        "action": "void_selected", "select_across": "1", "index": "0",
        "_selected_action": [Ticket.objects.first().pk], **extra}, follow=True)


def test_void_limit_is_two_hundred_a_request():
    assert VOID_BATCH_LIMIT == 200


def test_void_over_the_limit_is_refused_before_the_confirmation(
        supervisor_client, sandbox):
    bulk_active(VOID_BATCH_LIMIT + 50)

    response = select_all(supervisor_client)

    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "Voiding is permanent." not in response.content.decode()
    assert messages_of(response) == [
        "250 tickets are selected; at most 200 can be voided at once. Narrow "
        "the filter and try again."]
    assert sandbox.requests_received() == []


def test_void_at_the_limit_asks_with_a_short_sample(supervisor_client, sandbox):
    bulk_active(VOID_BATCH_LIMIT)

    response = select_all(supervisor_client)

    html = response.content.decode()
    assert "Void 200 tickets?" in html
    assert len(response.context["sample"]) == 20
    assert html.count("<li>BULK-") == 20
    assert "… and 180 more tickets." in html
    assert sandbox.requests_received() == []
    assert not Ticket.objects.filter(status=Ticket.Status.VOID).exists()


def test_void_result_names_each_failure_and_why(supervisor_client, supervisor,
                                               sandbox):
    done, refused, gone = (issue(supervisor, n) for n in (1, 2, 3))
    sandbox.inject(method="POST", path=f"/passes/{refused.remypass_id}/revoke",
                   kind="status", status=400,
                   body={"success": False, "message": "Pass is locked"})
    sandbox.inject(method="POST", path=f"/passes/{gone.remypass_id}/revoke",
                   kind="status", status=404,
                   body={"success": False, "message": "Pass not found"})
    sandbox.inject(method="GET", path=f"/passes/{gone.remypass_id}",
                   kind="status", status=404,
                   body={"success": False, "message": "Pass not found"})

    response = run(supervisor_client, "void_selected", done, refused, gone,
                   confirm="yes", reason="Show cancelled")

    texts = messages_of(response)
    assert texts[-1] == "1 ticket voided in RemyPass: B-1."
    assert texts[:-1] == [
        "B-3: RemyPass answered that it could not find the ticket to void "
        "(error 404). It is still shown as Active here; ask a supervisor to "
        "check it in RemyPass.",
        "B-2: RemyPass refused to void the ticket: Pass is locked. RemyPass "
        "still holds the ticket as Active, so it is not marked void.",
    ]
    statuses = dict(Ticket.objects.values_list("booking__booking_id", "status"))
    assert statuses == {"B-1": "void", "B-2": "active", "B-3": "active"}


# -- History --


def test_ticket_history_has_no_admin_of_its_own(admin_client):
    assert not admin.site.is_registered(TicketEvent)
    with pytest.raises(NoReverseMatch):
        reverse("admin:tickets_ticketevent_changelist")
    assert admin_client.get("/admin/tickets/ticketevent/").status_code == 404


def test_history_inline_is_read_only_newest_first(rf, admin_user):
    inline = TicketAdmin(Ticket, admin.site).get_inline_instances(
        _request(rf, admin_user))[0]
    request = _request(rf, admin_user)
    assert inline.model is TicketEvent
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request, None)
    assert not inline.has_delete_permission(request, None)
    assert inline.can_delete is False
    assert list(inline.ordering) == ["-created_at", "-id"]


def _request(rf, user):
    request = rf.get(CHANGELIST)
    request.user = user
    return request


def test_ticket_page_shows_history_and_ignores_posted_edits(supervisor_client,
                                                            supervisor):
    ticket = issue(supervisor, 1)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    events = list(ticket.events.all())
    oldest, newest = events[-1], events[0]

    html = supervisor_client.get(url).content.decode()

    assert "History (newest first)" in html
    assert html.index(newest.get_action_display()) < html.index(
        oldest.get_action_display())
    assert 'name="events-0-message"' not in html

    supervisor_client.post(url, {
        "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "1",
        "events-0-id": oldest.pk, "events-0-ticket": ticket.pk,
        "events-0-message": "rewritten", "events-0-DELETE": "on"})

    oldest.refresh_from_db()
    assert oldest.message == ""
    assert ticket.events.count() == len(events)


@pytest.mark.parametrize("selected", ["abc", "", "1.5", "1" * 23, "²"])
def test_a_selection_naming_no_row_is_refused_without_a_server_error(
        supervisor_client, sandbox, selected):
    bulk_active(1)

    response = supervisor_client.post(CHANGELIST, {
        "action": "void_selected", "index": "0",
        "_selected_action": [selected]}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "The selection was not understood. Tick the tickets again."]
    assert sandbox.requests_received(method="POST") == []
