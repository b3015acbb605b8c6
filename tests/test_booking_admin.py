"""Supervisors correcting a booking in the admin, around the clock changes."""

from datetime import datetime
from datetime import timezone as dt_timezone
from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from tickets.models import Booking, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tickets_booking_changelist")
UTC = dt_timezone.utc
GAP_ERROR = ("01:30 on 29 March 2026 does not exist in Europe/London (the clocks "
             "go forward). Enter 00:30 or 02:30.")


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def staff(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, password="pw",
                                                 is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="tickets", codename__in=codenames))
    return user


@pytest.fixture
def supervisor_client(client, django_user_model):
    client.force_login(staff(django_user_model, "sup", "view_booking",
                             "change_booking", "view_ticket"))
    return client


def make_ticket(booking_id="B-1", status=Ticket.Status.ACTIVE, **fields):
    booking_fields = {
        "film": "The Matrix Reloaded",
        "start_time": datetime(2026, 6, 12, 18, 30, 15, 123456, tzinfo=UTC),
        "screen": "Screen 1", "row": "A", "seat": "A12",
        "customer_name": "John Doe", "customer_email": "john@example.com",
    }
    booking_fields.update(fields)
    booking = Booking.objects.create(booking_id=booking_id, **booking_fields)
    return Ticket.objects.create(booking=booking, status=status,
                                 seat_key=booking.seat_key(),
                                 remypass_id=f"rp-{booking_id}",
                                 serial_number=f"SN-{booking_id}")


def change_url(booking):
    return reverse("admin:tickets_booking_change", args=[booking.pk])


class FormFields(HTMLParser):
    """Collect what a browser would post from one form, left as it is."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.data.append((attrs["name"], attrs.get("value", "on" if kind in (
                    "checkbox", "radio") else "")))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, text = self.data.pop()
            self.data.append((name, text + data))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_data(response):
    parser = FormFields("booking_form")
    parser.feed(response.content.decode())
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return data


def post(client, booking, **changes):
    """Post the change form as shown, with ``changes`` typed over it."""
    data = form_data(client.get(change_url(booking)))
    data.update({name: [value] for name, value in changes.items()})
    data["_save"] = ["Save"]
    return client.post(change_url(booking), data)


def errors(response):
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


# -- The list --


def test_list_shows_local_start_and_links_the_ticket(supervisor_client):
    ticket = make_ticket()
    html = supervisor_client.get(CHANGELIST).content.decode()
    assert "B-1" in html
    assert "12 Jun 2026, 19:30 BST" in html
    assert reverse("admin:tickets_ticket_change", args=[ticket.pk]) in html


@pytest.mark.parametrize("term, found", [
    ("B-1", ["B-1"]), ("b-1", ["B-1"]), ("B-", []), ("ann@", ["B-2"]),
    ("example.com", []),
])
def test_search_is_exact_booking_id_or_email_prefix(supervisor_client, term,
                                                    found):
    make_ticket("B-1")
    make_ticket("B-2", seat="A13", customer_email="ann@example.com")
    response = supervisor_client.get(CHANGELIST, {"q": term})
    assert [b.booking_id for b in response.context["cl"].result_list] == found


def test_bookings_cannot_be_added_or_deleted_here(supervisor_client,
                                                  admin_client):
    ticket = make_ticket()
    delete_url = reverse("admin:tickets_booking_delete", args=[ticket.booking.pk])
    assert admin_client.get(reverse("admin:tickets_booking_add")).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    response = admin_client.get(CHANGELIST)
    assert response.context["action_form"] is None
    assert Booking.objects.filter(pk=ticket.booking.pk).exists()


# -- Saving without changes --


def test_saving_unchanged_moves_nothing(supervisor_client):
    ticket = make_ticket()
    booking = ticket.booking
    events, updated = ticket.events.count(), ticket.updated_at

    response = post(supervisor_client, booking)

    assert response.status_code == 302, errors(response)
    booking.refresh_from_db()
    ticket.refresh_from_db()
    assert booking.start_time == datetime(2026, 6, 12, 18, 30, 15, 123456,
                                          tzinfo=UTC)
    assert ticket.events.count() == events
    assert ticket.updated_at == updated
    assert LogEntry.objects.get().change_message == "[]"


def test_saving_unchanged_keeps_the_second_of_two_equal_local_times(
        supervisor_client):
    # 01:30 GMT on the night the clocks go back: the second 01:30.
    start = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    ticket = make_ticket(start_time=start)

    shown = form_data(supervisor_client.get(change_url(ticket.booking)))
    assert shown["start_time_fold"] == ["1"]
    response = post(supervisor_client, ticket.booking)

    assert response.status_code == 302, errors(response)
    ticket.booking.refresh_from_db()
    assert ticket.booking.start_time == start


# -- Times the clocks skip or repeat --


def test_a_time_the_clocks_skip_is_refused_with_both_neighbours(
        supervisor_client):
    ticket = make_ticket()

    response = post(supervisor_client, ticket.booking,
                    start_time_0="29/03/2026", start_time_1="01:30")

    assert response.status_code == 200
    assert errors(response) == {"start_time": [GAP_ERROR]}
    ticket.booking.refresh_from_db()
    assert ticket.booking.start_time.month == 6


def test_a_time_that_happens_twice_asks_which_until_chosen(supervisor_client):
    ticket = make_ticket()

    response = post(supervisor_client, ticket.booking,
                    start_time_0="25/10/2026", start_time_1="01:30")

    assert errors(response) == {"start_time_fold": [
        "01:30 on 25 October 2026 happens twice in Europe/London (the clocks go "
        "back). Choose which one."]}
    html = response.content.decode()
    assert "first (BST, UTC+1)" in html
    assert "second (GMT, UTC+0)" in html
    assert 'type="radio" name="start_time_fold"' in html
    ticket.booking.refresh_from_db()
    assert ticket.booking.start_time.month == 6


@pytest.mark.parametrize("choice, utc_hour", [("0", 0), ("1", 1)])
def test_the_chosen_reading_of_a_repeated_time_is_saved(supervisor_client, choice,
                                                        utc_hour):
    ticket = make_ticket()

    response = post(supervisor_client, ticket.booking, start_time_0="25/10/2026",
                    start_time_1="01:30", start_time_fold=choice)

    assert response.status_code == 302, errors(response)
    ticket.booking.refresh_from_db()
    assert ticket.booking.start_time == datetime(2026, 10, 25, utc_hour, 30,
                                                 tzinfo=UTC)


def test_an_ordinary_time_hides_the_choice(supervisor_client):
    ticket = make_ticket()
    html = supervisor_client.get(change_url(ticket.booking)).content.decode()
    assert 'type="hidden" name="start_time_fold"' in html
    assert "first (BST" not in html


def test_a_new_local_time_is_stored_in_utc(supervisor_client):
    ticket = make_ticket()

    response = post(supervisor_client, ticket.booking, start_time_0="01/07/2026",
                    start_time_1="20:15")

    assert response.status_code == 302, errors(response)
    ticket.booking.refresh_from_db()
    assert ticket.booking.start_time == datetime(2026, 7, 1, 19, 15, tzinfo=UTC)


# -- The seat rule --


def test_moving_a_seat_updates_the_ticket_seat_key(supervisor_client):
    ticket = make_ticket()

    response = post(supervisor_client, ticket.booking, seat="B7")

    assert response.status_code == 302, errors(response)
    ticket.refresh_from_db()
    assert ticket.seat_key == ticket.booking.seat_key()
    assert ticket.seat_key.endswith("|a|b7")


def test_a_seat_another_live_ticket_holds_is_refused(supervisor_client):
    make_ticket("B-1")
    other = make_ticket("B-2", seat="A13")

    response = post(supervisor_client, other.booking, seat="A12")

    assert response.status_code == 200
    assert errors(response) == {"seat": ["Seat taken by booking B-1."]}
    other.booking.refresh_from_db()
    other.refresh_from_db()
    assert other.booking.seat == "A13"
    assert other.seat_key.endswith("|a13")
    assert not LogEntry.objects.exists()


def test_a_void_ticket_does_not_hold_its_seat(supervisor_client):
    make_ticket("B-1", status=Ticket.Status.VOID)
    other = make_ticket("B-2", seat="A13")

    response = post(supervisor_client, other.booking, seat="A12")

    assert response.status_code == 302, errors(response)


# -- What staff are told, and who may edit --


def test_issued_ticket_warns_that_remypass_keeps_the_old_details(
        supervisor_client):
    ticket = make_ticket()
    html = supervisor_client.get(change_url(ticket.booking)).content.decode()
    assert "Saving here corrects only this site&#x27;s record" in html
    assert 'name="booking_id"' not in html


def test_unsettled_ticket_booking_is_view_only(supervisor_client):
    ticket = make_ticket(status=Ticket.Status.UNKNOWN)
    before = ticket.booking.start_time

    page = supervisor_client.get(change_url(ticket.booking))
    html = page.content.decode()
    assert "cannot be edited. Retry or reconcile the ticket first." in html
    assert 'name="_save"' not in html
    refused = supervisor_client.post(change_url(ticket.booking), {"seat": "Z9"})
    assert refused.status_code == 403
    ticket.booking.refresh_from_db()
    assert ticket.booking.start_time == before


def test_a_login_without_change_booking_can_only_look(client, django_user_model):
    ticket = make_ticket()
    client.force_login(staff(django_user_model, "bo", "view_booking"))

    page = client.get(change_url(ticket.booking))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change_url(ticket.booking),
                       {"seat": "Z9"}).status_code == 403


def test_no_ticket_history_is_written_for_a_booking_edit(supervisor_client):
    ticket = make_ticket()
    post(supervisor_client, ticket.booking, customer_name="Jane Doe")
    ticket.booking.refresh_from_db()
    assert ticket.booking.customer_name == "Jane Doe"
    assert not TicketEvent.objects.exists()
