"""Who may do what: each role against each step, over HTTP and the sandbox."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tickets import roles, services
from tickets.admin import TicketAdmin
from tickets.models import Ticket

from .helpers import booking_form_data, service_data

pytestmark = pytest.mark.django_db

ISSUE_PATH = "/event-tickets/issue"


def granted(group_name):
    return set(Group.objects.get(name=group_name).permissions
               .values_list("codename", flat=True))


def issued_ticket(admin_user, **overrides):
    ticket = services.issue_ticket(service_data(**overrides), issued_by=admin_user)
    assert ticket.status == Ticket.Status.ACTIVE
    return ticket


def failed_ticket(admin_user, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="rate_limit",
                   retry_after=30, times=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.FAILED
    sandbox.clear_requests()
    return ticket


@pytest.fixture(params=["anonymous", "box_office", "supervisor"])
def role(request, client):
    """Each way in: no login, a box-office login and a supervisor's."""
    if request.param == "anonymous":
        return request.param, client
    return request.param, request.getfixturevalue(f"{request.param}_client")


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The groups ---------------------------------------------------------------


def test_migration_gives_each_role_exactly_its_permissions():
    migration = importlib.import_module("tickets.migrations.0003_staff_roles")
    Group.objects.filter(name__in=roles.ROLES).delete()

    migration.create_roles(django_apps, None)

    assert granted(roles.BOX_OFFICE) == set(roles.BOX_OFFICE_PERMISSIONS)
    assert granted(roles.SUPERVISOR) == set(roles.SUPERVISOR_PERMISSIONS)
    assert set(migration.BOX_OFFICE) == set(roles.BOX_OFFICE_PERMISSIONS)
    assert set(migration.SUPERVISOR) == set(roles.SUPERVISOR_PERMISSIONS)
    # The live registry is left as it was, so later flushes still re-create
    # the app's permissions.
    assert django_apps.get_app_config("tickets").models_module is not None


def test_supervisor_has_everything_box_office_has():
    assert set(roles.BOX_OFFICE_PERMISSIONS) < set(roles.SUPERVISOR_PERMISSIONS)


def test_neither_role_can_manage_logins(box_office_user, supervisor_user):
    for user in (box_office_user, supervisor_user):
        assert not user.has_perm("auth.add_user")
        assert not user.has_perm("auth.change_group")


def test_trial_logins_land_in_their_groups(django_user_model, capsys):
    call_command("create_trial_logins")

    boxoffice = django_user_model.objects.get(username="boxoffice")
    supervisor = django_user_model.objects.get(username="supervisor")
    admin = django_user_model.objects.get(username="admin")
    assert [g.name for g in boxoffice.groups.all()] == [roles.BOX_OFFICE]
    assert [g.name for g in supervisor.groups.all()] == [roles.SUPERVISOR]
    assert boxoffice.has_perm("tickets.issue_ticket")
    assert not boxoffice.has_perm("tickets.void_ticket")
    assert supervisor.has_perm("tickets.void_ticket")
    assert admin.is_superuser
    assert "boxoffice" in capsys.readouterr().out


# --- The role matrix: issue, retry, void, refresh -----------------------------


def test_issue(role, sandbox):
    name, client = role
    response = client.post("/tickets/issue/", booking_form_data())

    if name == "anonymous":
        assert_sent_to_login(response)
        assert not Ticket.objects.exists()
        assert sandbox.requests_received(path=ISSUE_PATH) == []
        return
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.booking.entered_by.username == {
        "box_office": "boxoffice", "supervisor": "supervisor"}[name]


def test_retry(role, sandbox, admin_user):
    name, client = role
    ticket = failed_ticket(admin_user, sandbox)

    response = client.post(f"/tickets/{ticket.pk}/retry/")

    ticket.refresh_from_db()
    if name == "anonymous":
        assert_sent_to_login(response)
        assert ticket.status == Ticket.Status.FAILED
        assert sandbox.requests_received(path=ISSUE_PATH) == []
        return
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.status == Ticket.Status.ACTIVE
    assert len(sandbox.requests_received(path=ISSUE_PATH)) == 1


def test_void(role, sandbox, admin_user):
    name, client = role
    ticket = issued_ticket(admin_user)
    sandbox.clear_requests()

    response = client.post(f"/tickets/{ticket.pk}/void/", {"reason": "Refund"},
                           follow=name != "anonymous")

    ticket.refresh_from_db()
    revokes = sandbox.requests_received(method="POST", path="/passes/")
    if name == "anonymous":
        assert_sent_to_login(response)
    if name != "supervisor":
        assert ticket.status == Ticket.Status.ACTIVE
        assert revokes == []
        assert sandbox.requests_received() == []
        assert not ticket.events.filter(action="void_requested").exists()
    if name == "box_office":
        assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
        assert "Only a supervisor can void tickets." in response.content.decode()
    if name == "supervisor":
        assert ticket.status == Ticket.Status.VOID
        assert ticket.void_reason == "Refund"
        assert ticket.voided_by.username == "supervisor"
        assert len(revokes) == 1
        assert "Voided in RemyPass." in response.content.decode()


def test_refresh(role, sandbox, admin_user):
    name, client = role
    ticket = issued_ticket(admin_user)
    sandbox.set_status(ticket.remypass_id, "inactive")
    sandbox.clear_requests()

    response = client.post(f"/tickets/{ticket.pk}/refresh/",
                           follow=name != "anonymous")

    ticket.refresh_from_db()
    if name == "anonymous":
        assert_sent_to_login(response)
    if name != "supervisor":
        assert ticket.status == Ticket.Status.ACTIVE
        assert sandbox.requests_received() == []
    if name == "box_office":
        assert ("Only a supervisor can refresh tickets from RemyPass."
                in response.content.decode())
    if name == "supervisor":
        assert ticket.status == Ticket.Status.INACTIVE
        assert len(sandbox.requests_received(method="GET", path="/passes/")) == 1
        assert "RemyPass holds this ticket as Inactive" in (
            response.content.decode())


def test_refresh_without_change_says_so(supervisor_client, admin_user):
    ticket = issued_ticket(admin_user)

    response = supervisor_client.post(f"/tickets/{ticket.pk}/refresh/", follow=True)

    assert "Checked with RemyPass: no change, the ticket is Active." in (
        response.content.decode())
    assert ticket.events.filter(action="refreshed").exists()


def test_refresh_that_remypass_cannot_answer_keeps_the_ticket(
        supervisor_client, admin_user, sandbox):
    ticket = issued_ticket(admin_user)
    sandbox.inject(method="GET", path="/passes/", kind="html", status=502,
                   times=5)

    response = supervisor_client.post(f"/tickets/{ticket.pk}/refresh/", follow=True)

    assert response.status_code == 200
    assert "error 502" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE


@pytest.mark.parametrize("step", ["refresh", "retry"])
def test_opening_a_step_address_goes_back_to_the_ticket_and_does_nothing(
        step, supervisor_client, admin_user, sandbox):
    ticket = issued_ticket(admin_user)
    sandbox.clear_requests()

    response = supervisor_client.get(f"/tickets/{ticket.pk}/{step}/")

    assert response.status_code == 302
    assert response.url == ticket.get_absolute_url()
    assert sandbox.requests_received() == []


# --- What each role is shown --------------------------------------------------


def test_box_office_sees_no_void_or_refresh_buttons(box_office_client, admin_user):
    ticket = issued_ticket(admin_user)

    page = box_office_client.get(ticket.get_absolute_url()).content.decode()

    assert f"/tickets/{ticket.pk}/void/" not in page
    assert f"/tickets/{ticket.pk}/refresh/" not in page
    assert "Next ticket for this screening" in page


def test_supervisor_sees_void_and_refresh_buttons(supervisor_client, admin_user):
    ticket = issued_ticket(admin_user)

    page = supervisor_client.get(ticket.get_absolute_url()).content.decode()

    assert f'href="/tickets/{ticket.pk}/void/"' in page
    assert f'action="/tickets/{ticket.pk}/refresh/"' in page


def test_retry_button_only_for_a_failed_ticket(box_office_client, admin_user,
                                               sandbox):
    issued = issued_ticket(admin_user, booking_id="B-1", seat="A1")
    failed = failed_ticket(admin_user, sandbox)

    assert f"/tickets/{issued.pk}/retry/" not in box_office_client.get(
        issued.get_absolute_url()).content.decode()
    page = box_office_client.get(failed.get_absolute_url()).content.decode()
    assert f'action="/tickets/{failed.pk}/retry/"' in page
    assert "Correct and send again" in page


def test_box_office_following_a_void_link_is_told_who_can(box_office_client,
                                                          admin_user):
    ticket = issued_ticket(admin_user)

    response = box_office_client.get(f"/tickets/{ticket.pk}/void/", follow=True)

    assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
    assert "Only a supervisor can void tickets." in response.content.decode()


def test_box_office_following_a_supervisor_admin_link_sees_a_friendly_page(
        box_office_client):
    response = box_office_client.get("/admin/tickets/member/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You are not allowed to do this" in page
    assert "You are logged in as boxoffice." in page
    assert 'href="/tickets/"' in page


def test_login_without_a_role_cannot_read_tickets(client, django_user_model,
                                                  admin_user):
    ticket = issued_ticket(admin_user)
    client.force_login(django_user_model.objects.create_user("nobody"))

    for url in ("/tickets/", ticket.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 403
        assert "Your login does not include this task." in response.content.decode()


# --- Seeing tickets -------------------------------------------------------------


def test_see_tickets(role, admin_user):
    name, client = role
    ticket = issued_ticket(admin_user)

    for url in ("/tickets/", ticket.get_absolute_url(), CHANGELIST,
                reverse("admin:tickets_ticket_change", args=[ticket.pk])):
        response = client.get(url)
        if name == "anonymous":
            assert response.status_code == 302, url
            assert "login" in response["Location"], url
        else:
            assert response.status_code == 200, url
            assert "BOOKING-12345" in response.content.decode(), url


# --- The admin actions, by role -----------------------------------------------

CHANGELIST = reverse("admin:tickets_ticket_changelist")
RECONCILE = reverse("admin:tickets_ticket_reconcile")
EXPORT = reverse("admin:tickets_ticket_export")


def post_action(client, action, ticket, **extra):
    return client.post(CHANGELIST, {"action": action, "index": "0",
                                    "_selected_action": [ticket.pk], **extra})


def admin_messages(client):
    return [str(m) for m in client.get(CHANGELIST).context["messages"]]


USERNAMES = {"box_office": "boxoffice", "supervisor": "supervisor"}


@pytest.fixture(params=["box_office", "supervisor"])
def staff_role(request):
    return request.param, request.getfixturevalue(f"{request.param}_client")


def test_admin_retry(staff_role, admin_user, sandbox):
    name, client = staff_role
    ticket = failed_ticket(admin_user, sandbox)

    post_action(client, "retry_selected", ticket)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert len(sandbox.requests_received(path=ISSUE_PATH)) == 1
    assert ticket.events.filter(action="retried",
                                actor__username=USERNAMES[name]).exists()


def test_admin_refresh(staff_role, admin_user, sandbox):
    name, client = staff_role
    ticket = issued_ticket(admin_user)
    sandbox.set_status(ticket.remypass_id, "inactive")
    sandbox.clear_requests()

    response = post_action(client, "refresh_selected", ticket)

    ticket.refresh_from_db()
    if name == "supervisor":
        assert ticket.status == Ticket.Status.INACTIVE
        assert len(sandbox.requests_received(method="GET", path="/passes/")) == 1
        return
    assert response.status_code == 302
    assert admin_messages(client) == ["No action selected."]
    assert ticket.status == Ticket.Status.ACTIVE
    assert sandbox.requests_received() == []


@pytest.mark.parametrize("form", [
    {},
    {"confirm": "yes", "reason": "Forged"},
    {"confirm": "yes", "reason": "Forged", "select_across": "1"},
], ids=["ask", "confirmed", "select-across"])
def test_admin_void(staff_role, admin_user, sandbox, form):
    name, client = staff_role
    ticket = issued_ticket(admin_user)
    sandbox.clear_requests()

    response = post_action(client, "void_selected", ticket, **form)

    ticket.refresh_from_db()
    if name == "supervisor":
        if form:
            assert ticket.status == Ticket.Status.VOID
            assert ticket.voided_by.username == "supervisor"
            assert len(sandbox.requests_received(method="POST",
                                                 path="/passes/")) == 1
        else:
            assert response.status_code == 200
            assert "Voiding is permanent." in response.content.decode()
            assert ticket.status == Ticket.Status.ACTIVE
        return
    # A box-office login's forged POST: no confirmation page, no change, and
    # RemyPass hears nothing at all.
    assert response.status_code == 302
    assert admin_messages(client) == ["No action selected."]
    assert ticket.status == Ticket.Status.ACTIVE
    assert sandbox.requests_received() == []
    assert not ticket.events.filter(action="void_requested").exists()
    assert sandbox.passes()[0]["status"] == "active"


def test_admin_export(staff_role, admin_user):
    name, client = staff_role
    ticket = issued_ticket(admin_user)

    action = post_action(client, "export_selected", ticket)
    link = client.get(EXPORT)

    if name == "supervisor":
        assert action["Content-Type"] == "text/csv; charset=utf-8"
        assert b"BOOKING-12345" in b"".join(action.streaming_content)
        assert link.status_code == 200
        return
    assert action.status_code == 302
    assert not action.has_header("Content-Disposition")
    assert link.status_code == 403


def test_admin_reconcile(staff_role, admin_user, sandbox):
    name, client = staff_role
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="drop", process=True,
                   times=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN
    Ticket.objects.filter(pk=ticket.pk).update(sent_at=None, created_at=(
        ticket.created_at - timedelta(hours=1)))
    sandbox.clear_requests()

    response = client.post(RECONCILE)

    ticket.refresh_from_db()
    if name == "supervisor":
        assert response.status_code == 302
        assert ticket.status == Ticket.Status.ACTIVE
        assert ticket.events.filter(action="reconciled",
                                    actor__username="supervisor").exists()
        return
    assert response.status_code == 403
    assert ticket.status == Ticket.Status.UNKNOWN
    assert sandbox.requests_received() == []


def test_each_admin_action_refuses_a_login_without_its_permission(
        rf, box_office_user, admin_user, sandbox):
    """Called directly, past the admin's own list of offered actions."""
    ticket = issued_ticket(admin_user)
    sandbox.clear_requests()
    model_admin = TicketAdmin(Ticket, admin.site)
    request = rf.post(CHANGELIST, {"confirm": "yes", "reason": "Forged"})
    request.user = box_office_user

    for action in ("void_selected", "refresh_selected", "export_selected"):
        with pytest.raises(PermissionDenied):
            getattr(model_admin, action)(request, Ticket.objects.all())

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert sandbox.requests_received() == []


# --- The service functions check too ------------------------------------------


def test_services_refuse_a_box_office_login_before_calling_remypass(
        box_office_user, admin_user, sandbox):
    ticket = issued_ticket(admin_user)
    sandbox.clear_requests()
    message = "You are not allowed to do this. Ask a supervisor."

    with pytest.raises(services.PermissionMissing, match=message):
        services.void_ticket(ticket, actor=box_office_user, reason="Forged")
    with pytest.raises(services.PermissionMissing, match=message):
        services.refresh_ticket(ticket, actor=box_office_user)
    with pytest.raises(services.PermissionMissing, match=message):
        services.reconcile_tickets(min_age_seconds=0, actor=box_office_user)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert sandbox.requests_received() == []
    assert not ticket.events.filter(action="void_requested").exists()


def test_services_refuse_a_login_without_a_role(django_user_model, admin_user,
                                                sandbox):
    nobody = django_user_model.objects.create_user("nobody", is_staff=True)
    failed = failed_ticket(admin_user, sandbox)

    with pytest.raises(services.PermissionMissing):
        services.issue_ticket(service_data(booking_id="B-2", seat="B2"),
                              issued_by=nobody)
    with pytest.raises(services.PermissionMissing):
        services.retry_ticket(failed, actor=nobody)

    assert sandbox.requests_received() == []
    assert not Ticket.objects.filter(booking__booking_id="B-2").exists()
    failed.refresh_from_db()
    assert failed.status == Ticket.Status.FAILED


# --- Logins are managed by superusers -------------------------------------------

LOGIN_PAGES = ("/admin/auth/user/", "/admin/auth/user/add/", "/admin/auth/group/")


def test_superuser_manages_logins_and_their_roles(admin_client,
                                                  django_user_model):
    for url in LOGIN_PAGES:
        assert admin_client.get(url).status_code == 200, url
    box_office = roles.ensure_roles()[roles.BOX_OFFICE]

    added = admin_client.post("/admin/auth/user/add/", {
        "username": "newclerk", "password1": "a-Long-pass-1234",
        "password2": "a-Long-pass-1234", "usable_password": "true"})
    user = django_user_model.objects.get(username="newclerk")
    assert added.status_code == 302
    changed = admin_client.post(f"/admin/auth/user/{user.pk}/change/", {
        "username": "newclerk", "is_active": "on", "is_staff": "on",
        "groups": [box_office.pk], "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00"})
    assert changed.status_code == 302

    user = django_user_model.objects.get(username="newclerk")
    assert [g.name for g in user.groups.all()] == [roles.BOX_OFFICE]
    assert user.is_staff
    assert user.has_perm("tickets.issue_ticket")
    assert not user.has_perm("tickets.void_ticket")


def test_neither_role_can_open_or_post_the_login_pages(staff_role,
                                                       django_user_model):
    _name, client = staff_role

    for url in LOGIN_PAGES:
        assert client.get(url).status_code == 403, url
    response = client.post("/admin/auth/user/add/", {
        "username": "sneaky", "password1": "a-Long-pass-1234",
        "password2": "a-Long-pass-1234"})
    assert response.status_code == 403
    assert not django_user_model.objects.filter(username="sneaky").exists()


def unknown_ticket(admin_user, sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="drop", process=True,
                   times=1)
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    assert ticket.status == Ticket.Status.UNKNOWN
    # Sent long enough ago that no answer can still be on its way.
    Ticket.objects.filter(pk=ticket.pk).update(
        sent_at=timezone.now() - timedelta(minutes=5))
    return ticket


def test_supervisor_reconciles_an_unknown_ticket_from_its_page(
        supervisor_client, admin_user, sandbox):
    ticket = unknown_ticket(admin_user, sandbox)

    page = supervisor_client.get(ticket.get_absolute_url()).content.decode()
    response = supervisor_client.post(f"/tickets/{ticket.pk}/reconcile/",
                                      follow=True)

    assert f'action="/tickets/{ticket.pk}/reconcile/"' in page
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.remypass_id == sandbox.passes()[0]["_id"]
    assert "Settled: the ticket is Active." in response.content.decode()


def test_box_office_is_told_who_can_reconcile_and_cannot_force_it(
        box_office_client, admin_user, sandbox):
    ticket = unknown_ticket(admin_user, sandbox)
    sandbox.clear_requests()

    page = box_office_client.get(ticket.get_absolute_url()).content.decode()
    response = box_office_client.post(f"/tickets/{ticket.pk}/reconcile/",
                                      follow=True)

    assert "Ask a supervisor to reconcile it from this page" in page
    assert "Only a supervisor can reconcile tickets" in response.content.decode()
    assert sandbox.requests_received() == []
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNKNOWN


def test_a_ticket_sent_moments_ago_is_not_reconciled_yet(supervisor_client,
                                                         admin_user, sandbox):
    ticket = unknown_ticket(admin_user, sandbox)
    Ticket.objects.filter(pk=ticket.pk).update(sent_at=timezone.now())

    response = supervisor_client.post(f"/tickets/{ticket.pk}/reconcile/",
                                      follow=True)

    assert "sent too recently to settle safely" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNKNOWN
