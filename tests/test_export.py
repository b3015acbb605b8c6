"""Exporting tickets to CSV: escaping, what is exported, and who may."""

import csv
import io
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from tickets import exports
from tickets.models import Booking, Ticket

from .helpers import booking_form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tickets_ticket_changelist")
EXPORT = reverse("admin:tickets_ticket_export")
HYPERLINK = '=HYPERLINK("http://x.invalid","click")'


def make_ticket(booking_id, **fields):
    booking_fields = {
        "film": "The Matrix Reloaded",
        "start_time": datetime(2026, 6, 12, 18, 30, tzinfo=dt_timezone.utc),
        "screen": "Screen 1", "row": "A", "seat": booking_id,
        "customer_name": "John Doe", "customer_email": "john@example.com",
    }
    booking_fields.update({k: fields.pop(k) for k in list(fields)
                           if k in booking_fields})
    booking = Booking.objects.create(booking_id=booking_id, **booking_fields)
    ticket_fields = {"status": Ticket.Status.ACTIVE, "remypass_id": f"rp-{booking_id}",
                     "serial_number": f"SN-{booking_id}", "email_sent": True,
                     "issued_at": datetime(2026, 6, 1, 9, 0, 5,
                                           tzinfo=dt_timezone.utc),
                     "apple_wallet_url": "https://wallet.invalid/a",
                     "google_wallet_url": "https://wallet.invalid/g"}
    ticket_fields.update(fields)
    return Ticket.objects.create(booking=booking, seat_key=booking.seat_key(),
                                 **ticket_fields)


def staff(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, password="pw",
                                                 is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="tickets", codename__in=codenames))
    return user


@pytest.fixture
def supervisor_client(client, django_user_model):
    client.force_login(staff(django_user_model, "sup", "view_ticket",
                             "export_ticket"))
    return client


def read_csv(response):
    assert isinstance(response, StreamingHttpResponse)
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# -- Escaping --


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_with_a_formula_character_is_made_text(start):
    assert exports.safe_cell(start + "1+1") == "'" + start + "1+1"


@pytest.mark.parametrize("value, expected", [
    ("John Doe", "John Doe"), ("a=b", "a=b"), ("", ""), (None, ""), (12, "12"),
    ("'quoted", "'quoted"), (" =1", " =1"),
])
def test_other_cells_are_left_as_they_are(value, expected):
    assert exports.safe_cell(value) == expected


def test_csv_lines_escape_every_cell_and_start_with_the_byte_order_mark():
    ticket = make_ticket("B-1", customer_name=HYPERLINK, film="-Film",
                         customer_email="@x@example.com")

    lines = list(exports.csv_lines([ticket]))
    rows = list(csv.reader(io.StringIO("".join(lines)[1:], newline="")))

    assert lines[0].startswith("\ufeff")
    assert rows[1][1] == "'-Film"
    assert rows[1][6] == "'" + HYPERLINK
    assert rows[1][7] == "'@x@example.com"


# -- The download --


def test_export_link_downloads_the_searched_tickets_as_csv(supervisor_client):
    make_ticket("B-1", customer_name=HYPERLINK)
    make_ticket("B-2", customer_name="Zoë Müller", customer_email="zoe@example.com",
                email_sent=None, status=Ticket.Status.FAILED, issued_at=None,
                remypass_id=None, serial_number="")

    response = supervisor_client.get(EXPORT, {"q": "B-1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="tickets-{today}.csv"')
    rows = read_csv(response)
    assert rows[0] == [
        "booking id", "film", "start (local time)", "screen", "row", "seat",
        "customer name", "customer email", "status", "serial number",
        "email sent", "issued at (local time)", "Apple Wallet link",
        "Google Wallet link"]
    assert rows[1:] == [[
        "B-1", "The Matrix Reloaded", "2026-06-12 19:30+01:00", "Screen 1", "A",
        "B-1", "'" + HYPERLINK, "john@example.com", "Active", "SN-B-1", "yes",
        "2026-06-01 10:00:05+01:00", "https://wallet.invalid/a",
        "https://wallet.invalid/g"]]


def test_export_keeps_accents_and_the_list_filters(supervisor_client):
    make_ticket("B-1")
    make_ticket("B-2", customer_name="Zoë Müller", email_sent=None,
                status=Ticket.Status.FAILED, issued_at=None, remypass_id=None,
                serial_number="")

    rows = read_csv(supervisor_client.get(EXPORT, {"status__exact": "failed"}))

    assert [row[0] for row in rows[1:]] == ["B-2"]
    assert rows[1][6] == "Zoë Müller"
    assert rows[1][8] == "Failed, safe to retry"
    assert rows[1][10] == ""
    assert rows[1][11] == ""


def test_export_link_keeps_the_current_search_in_its_address(supervisor_client):
    make_ticket("B-1")
    html = supervisor_client.get(CHANGELIST, {"q": "B-1"}).content.decode()
    assert "Export these tickets (CSV)" in html
    assert f'href="{EXPORT}?q=B-1"' in html


def test_export_action_downloads_only_the_selected(supervisor_client):
    first = make_ticket("B-1")
    make_ticket("B-2")

    response = supervisor_client.post(CHANGELIST, {
        "action": "export_selected", "_selected_action": [first.pk]})

    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == ["B-1"]


def test_bad_filter_in_export_address_goes_back_to_the_list(supervisor_client):
    response = supervisor_client.get(EXPORT, {"nonsense__field": "1"})
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST + "?e=1"


def test_export_needs_its_own_permission(client, django_user_model):
    make_ticket("B-1")
    client.force_login(staff(django_user_model, "bo", "view_ticket",
                             "retry_ticket"))

    assert client.get(EXPORT).status_code == 403
    listing = client.get(CHANGELIST)
    html = listing.content.decode()
    assert "Export these tickets" not in html
    assert "export_selected" not in html
    refused = client.post(CHANGELIST, {"action": "export_selected",
                                       "_selected_action": [1]}, follow=True)
    assert not isinstance(refused, StreamingHttpResponse)
    assert "No action selected." in refused.content.decode()


def test_export_needs_a_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_customer_named_like_a_formula_exports_as_text_end_to_end(
        client, django_user_model, sandbox):
    """Issued through the form and RemyPass, then exported by a supervisor."""
    client.force_login(staff(django_user_model, "sup", "view_ticket",
                             "issue_ticket", "export_ticket"))
    client.post("/tickets/issue/", booking_form_data(customer_name=HYPERLINK))
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.booking.customer_name == HYPERLINK

    rows = read_csv(client.get(EXPORT))

    assert rows[1][rows[0].index("customer name")] == "'" + HYPERLINK
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in rows[1])
