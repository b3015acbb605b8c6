"""The screenings catalogue, the picker on the issue form and its follow-ups."""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tickets import services
from tickets.models import Screening, Ticket

from .helpers import booking_form_data, service_data
from .htmltree import parse

pytestmark = pytest.mark.django_db

ISSUE_URL = "/tickets/issue/"
ISSUE_PATH = "/event-tickets/issue"


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def screening():
    start = (timezone.localtime() + timedelta(days=3)).replace(
        hour=20, minute=15, second=0, microsecond=0)
    return Screening.objects.create(film="Spirited Away", screen="Screen 3",
                                    start_time=start)


def picker_options(response):
    select = parse(response).find("select", id="id_screening")
    return [o for o in select.find_all("option") if o.attrs.get("value")]


def field(response, name):
    tree = parse(response)
    found = tree.find_all("input", name=name) + tree.find_all("select", name=name)
    assert len(found) == 1, name
    return found[0]


# --- The picker ---------------------------------------------------------------


def test_picker_offers_the_next_60_days_only(admin_client, screening):
    now = timezone.now()
    Screening.objects.create(film="Long gone", screen="Screen 1",
                             start_time=now - timedelta(days=1))
    Screening.objects.create(film="Far ahead", screen="Screen 1",
                             start_time=now + timedelta(days=61))
    late = Screening.objects.create(film="Just started", screen="Screen 2",
                                    start_time=now - timedelta(minutes=20))

    options = picker_options(admin_client.get(ISSUE_URL))

    assert [o.attrs["value"] for o in options] == [str(late.pk), str(screening.pk)]


def test_picker_options_carry_the_values_the_script_fills_in(admin_client,
                                                             screening):
    response = admin_client.get(ISSUE_URL)
    (option,) = picker_options(response)

    assert option.attrs["data-film"] == "Spirited Away"
    assert option.attrs["data-screen"] == "Screen 3"
    assert option.attrs["data-start-time"] == local(screening.start_time)
    assert "Spirited Away" in option.all_text()
    assert "20:15" in option.all_text()
    page = response.content.decode()
    assert 'addEventListener("change"' in page
    assert "picked.dataset.startTime" in page


def test_picker_help_says_why_picking_matters(admin_client):
    help_text = parse(admin_client.get(ISSUE_URL)).find("div", id="id_screening_help")

    assert "keeps the film name the same on every ticket" in help_text.all_text()
    assert "a typo in the film name makes a stray one" in help_text.all_text()
    assert field(admin_client.get(ISSUE_URL), "screening").attrs[
        "aria-describedby"] == "id_screening_help"


def test_picked_screening_fills_empty_fields(admin_client, sandbox, screening):
    data = booking_form_data(film="", screen="", start_time="",
                             screening=str(screening.pk))

    response = admin_client.post(ISSUE_URL, data)

    ticket = Ticket.objects.select_related("booking").get()
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.booking.film == "Spirited Away"
    assert ticket.booking.screen == "Screen 3"
    assert ticket.booking.start_time == screening.start_time
    (sent,) = sandbox.requests_received(method="POST", path=ISSUE_PATH)
    assert sent["body"]["film"] == "Spirited Away"


def test_picked_screening_wins_over_different_typed_values(admin_client,
                                                           screening):
    data = booking_form_data(film="Spirted Away", screen="Screen 1",
                             screening=str(screening.pk))

    admin_client.post(ISSUE_URL, data)

    booking = Ticket.objects.select_related("booking").get().booking
    assert (booking.film, booking.screen, booking.start_time) == (
        "Spirited Away", "Screen 3", screening.start_time)


def test_typed_details_without_a_pick_still_work(admin_client, screening):
    admin_client.post(ISSUE_URL, booking_form_data(film="Alien", screening=""))

    assert Ticket.objects.get().booking.film == "Alien"


def test_screening_no_longer_on_offer_is_a_field_error(admin_client, screening):
    Screening.objects.filter(pk=screening.pk).update(
        start_time=timezone.now() - timedelta(days=2))

    response = admin_client.post(ISSUE_URL, booking_form_data(
        screening=str(screening.pk)))

    assert response.status_code == 200
    assert "That screening is no longer on offer." in response.content.decode()
    assert "autofocus" in field(response, "screening").attrs
    assert not Ticket.objects.exists()


# --- Next ticket for this screening -------------------------------------------


def test_next_ticket_link_carries_the_screening(admin_client, screening):
    response = admin_client.post(ISSUE_URL, booking_form_data(
        screening=str(screening.pk)), follow=True)

    link = parse(response).find("a", id="next-ticket")
    url = urlsplit(link.attrs["href"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == ISSUE_URL
    assert query == {"screening": str(screening.pk), "film": "Spirited Away",
                     "screen": "Screen 3",
                     "start_time": local(screening.start_time)}


def test_next_ticket_form_comes_filled_in_for_that_screening(admin_client,
                                                             screening):
    admin_client.post(ISSUE_URL, booking_form_data(screening=str(screening.pk)))
    detail = admin_client.get(Ticket.objects.get().get_absolute_url())
    href = parse(detail).find("a", id="next-ticket").attrs["href"]

    form = admin_client.get(href)

    assert field(form, "film").attrs["value"] == "Spirited Away"
    assert field(form, "screen").attrs["value"] == "Screen 3"
    assert field(form, "start_time").attrs["value"] == local(screening.start_time)
    selected = [o for o in picker_options(form) if "selected" in o.attrs]
    assert [o.attrs["value"] for o in selected] == [str(screening.pk)]
    assert "value" not in field(form, "booking_id").attrs
    assert "value" not in field(form, "seat").attrs
    assert "autofocus" in field(form, "booking_id").attrs


def test_next_ticket_without_a_catalogue_entry_carries_the_typed_details(
        admin_client):
    admin_client.post(ISSUE_URL, booking_form_data(film="Alien"), follow=True)
    ticket = Ticket.objects.select_related("booking").get()
    detail = admin_client.get(ticket.get_absolute_url())
    href = parse(detail).find("a", id="next-ticket").attrs["href"]

    query = parse_qs(urlsplit(href).query)
    assert "screening" not in query
    form = admin_client.get(href)
    assert field(form, "film").attrs["value"] == "Alien"
    assert field(form, "start_time").attrs["value"] == local(
        ticket.booking.start_time)

    admin_client.post(ISSUE_URL, booking_form_data(
        booking_id="BOOKING-2", seat="A13", film=query["film"][0],
        screen=query["screen"][0], start_time=query["start_time"][0]))
    second = Ticket.objects.exclude(pk=ticket.pk).select_related("booking").get()
    assert second.booking.start_time == ticket.booking.start_time


def test_login_that_cannot_issue_gets_no_next_ticket_link(
        client, django_user_model, admin_user):
    services.issue_ticket(service_data(), issued_by=admin_user)
    viewer = django_user_model.objects.create_user("viewer")
    viewer.user_permissions.add(Permission.objects.get(
        content_type__app_label="tickets", codename="view_ticket"))
    client.force_login(viewer)

    page = client.get(Ticket.objects.get().get_absolute_url()).content.decode()

    assert 'id="next-ticket"' not in page


# --- Focus on the first error -------------------------------------------------


def test_fresh_form_puts_focus_on_the_booking_id(admin_client):
    tree = parse(admin_client.get(ISSUE_URL))

    focused = [e for e in tree.find_all("input") + tree.find_all("select")
               if "autofocus" in e.attrs]
    assert [e.attrs["name"] for e in focused] == ["booking_id"]


def test_first_field_in_error_gets_the_focus_and_every_error_is_described(
        admin_client):
    response = admin_client.post(ISSUE_URL, booking_form_data(
        film="", customer_email="not-an-email"))
    tree = parse(response)

    focused = [e for e in tree.find_all("input") + tree.find_all("select")
               if "autofocus" in e.attrs]
    assert [e.attrs["name"] for e in focused] == ["film"]
    for name in ("film", "customer_email"):
        element = field(response, name)
        assert element.attrs["aria-invalid"] == "true"
        errors_id = element.attrs["aria-describedby"].split()[0]
        assert errors_id == f"id_{name}_errors"
        assert tree.find("ul", id=errors_id).all_text()
    assert "aria-invalid" not in field(response, "booking_id").attrs


def test_error_found_by_remypass_moves_the_focus_to_its_field(admin_client,
                                                              sandbox):
    sandbox.inject(method="POST", path=ISSUE_PATH, kind="status", status=409,
                   body={"success": False,
                         "message": "A ticket with this booking id already exists"})

    response = admin_client.post(ISSUE_URL, booking_form_data())

    booking_id = field(response, "booking_id")
    assert "autofocus" in booking_id.attrs
    assert booking_id.attrs["aria-invalid"] == "true"


def test_seat_taken_puts_the_focus_on_the_seat(admin_client):
    admin_client.post(ISSUE_URL, booking_form_data())

    response = admin_client.post(ISSUE_URL, booking_form_data(booking_id="B-2"))

    assert "autofocus" in field(response, "seat").attrs
    assert "autofocus" not in field(response, "booking_id").attrs
    assert field(response, "start_time").attrs.get("aria-describedby") == (
        "id_start_time_help")


# --- The catalogue in the admin -----------------------------------------------


def test_supervisor_adds_a_screening_in_the_admin(supervisor_client):
    response = supervisor_client.post("/admin/tickets/screening/add/", {
        "film": "Paris, Texas", "screen": "Screen 1",
        "start_time_0": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "start_time_1": "18:00", "notes": ""})

    assert response.status_code == 302
    assert Screening.objects.get().film == "Paris, Texas"


def test_box_office_can_read_the_catalogue_but_not_change_it(box_office_client,
                                                             screening):
    assert box_office_client.get("/admin/tickets/screening/").status_code == 200
    response = box_office_client.get("/admin/tickets/screening/add/")
    assert response.status_code == 403
    assert "You are not allowed to do this" in response.content.decode()


def add_screening(client, start_date, start_time, **extra):
    return client.post("/admin/tickets/screening/add/", {
        "film": "Late Show", "screen": "Screen 2", "start_time_0": start_date,
        "start_time_1": start_time, "notes": "", **extra})


def test_catalogue_refuses_a_start_time_years_away(admin_client):
    response = add_screening(admin_client, "9999-12-31", "23:59")

    assert "Check the year." in response.content.decode()
    assert not Screening.objects.exists()


def test_catalogue_asks_which_of_a_repeated_hour_and_keeps_the_answer(
        admin_client, settings):
    settings.TIME_ZONE = "Europe/London"

    asked = add_screening(admin_client, "2027-10-31", "01:30")
    answered = add_screening(admin_client, "2027-10-31", "01:30",
                             start_time_fold="1")

    assert "happens twice in Europe/London" in asked.content.decode()
    assert answered.status_code == 302
    assert Screening.objects.get().start_time == datetime(
        2027, 10, 31, 1, 30, tzinfo=dt_timezone.utc)
