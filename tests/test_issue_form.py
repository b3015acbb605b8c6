"""Issuing from the browser form, against the live sandbox over HTTP."""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import Booking, Member, PassTemplate, Ticket

from .helpers import booking_form_data, service_data

pytestmark = pytest.mark.django_db

ISSUE_URL = "/tickets/issue/"


def issue_requests(sandbox):
    return sandbox.requests_received(method="POST", path="/event-tickets/issue")


def test_issue_page_needs_a_login(client):
    response = client.get(ISSUE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_issue_form_has_the_named_fields_and_a_local_time_input(admin_client):
    response = admin_client.get(ISSUE_URL)
    html = response.content.decode()
    for name in ("booking_id", "film", "start_time", "screen", "row", "seat",
                 "customer_name", "customer_email", "send_email"):
        assert f'name="{name}"' in html
    assert 'type="datetime-local"' in html
    assert "Sandbox" in html


def test_example_booking_is_issued_and_its_ticket_page_shows_wallet_links(
        admin_client, sandbox):
    response = admin_client.post(ISSUE_URL, booking_form_data(), follow=True)

    ticket = Ticket.objects.select_related("booking").get()
    held = sandbox.passes()
    assert len(held) == 1
    held = held[0]
    assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.remypass_id == held["_id"]
    assert ticket.serial_number == held["serialNumber"]
    assert ticket.apple_wallet_url == held["walletUrls"]["apple"]
    assert ticket.google_wallet_url == held["walletUrls"]["google"]
    assert ticket.recipient_email == "john@example.com"
    assert ticket.email_sent is True
    assert ticket.issued_at is not None
    assert ticket.booking.entered_by.username == "sam"
    assert Member.objects.get().remypass_id == ticket.member.remypass_id
    assert PassTemplate.objects.get().remypass_id == ticket.pass_template.remypass_id

    page = response.content.decode()
    assert ticket.serial_number in page
    assert ticket.apple_wallet_url in page
    assert ticket.google_wallet_url in page
    assert "The Matrix Reloaded" in page


def test_start_time_typed_in_local_time_is_sent_as_utc(admin_client, sandbox,
                                                       settings):
    settings.TIME_ZONE = "Europe/London"
    admin_client.post(ISSUE_URL, booking_form_data(start_time="2027-07-01T19:30"))

    (request,) = issue_requests(sandbox)
    assert request["body"]["startTime"] == "2027-07-01T18:30:00Z"
    assert request["body"]["sendEmail"] is True
    assert Booking.objects.get().start_time == datetime(
        2027, 7, 1, 18, 30, tzinfo=dt_timezone.utc)


def test_send_email_unticked_is_sent_as_false(admin_client, sandbox):
    admin_client.post(ISSUE_URL, booking_form_data(send_email=None))

    (request,) = issue_requests(sandbox)
    assert request["body"]["sendEmail"] is False
    assert Ticket.objects.get().email_sent is False


def test_same_booking_id_again_is_a_field_error_and_makes_no_second_ticket(
        admin_client, sandbox):
    admin_client.post(ISSUE_URL, booking_form_data())
    response = admin_client.post(ISSUE_URL, booking_form_data(seat="A13"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "booking_id" in errors
    assert "already entered by sam" in errors["booking_id"][0]
    assert Ticket.objects.count() == 1
    assert len(issue_requests(sandbox)) == 1


def test_remypass_duplicate_answer_is_shown_on_the_booking_id_field(
        admin_client, sandbox):
    # RemyPass already holds the booking id (issued from elsewhere).
    admin_client.post(ISSUE_URL, booking_form_data())
    Ticket.objects.all().delete()
    Booking.objects.all().delete()

    response = admin_client.post(ISSUE_URL, booking_form_data())

    errors = response.context["form"].errors
    assert "RemyPass already has a ticket for booking id BOOKING-12345" in (
        errors["booking_id"][0])
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.REJECTED
    assert len(sandbox.passes()) == 1


def test_wrong_api_key_says_key_rejected_and_keeps_the_booking(
        admin_client, settings):
    settings.REMYPASS_API_KEY = "rp_wrong_key"
    response = admin_client.post(ISSUE_URL, booking_form_data())

    assert response.status_code == 200
    assert "The RemyPass API key was rejected" in response.content.decode()
    assert response.context["form"]["booking_id"].value() == "BOOKING-12345"
    ticket = Ticket.objects.select_related("booking").get()
    assert ticket.status == Ticket.Status.FAILED
    assert ticket.booking.customer_name == "John Doe"


def test_missing_api_key_says_remypass_is_not_configured(admin_client, settings,
                                                         sandbox):
    settings.REMYPASS_API_KEY = ""
    settings.REMYPASS_SANDBOX = False
    response = admin_client.post(ISSUE_URL, booking_form_data())

    assert "RemyPass is not configured" in response.content.decode()
    assert Ticket.objects.get().status == Ticket.Status.FAILED
    assert issue_requests(sandbox) == []


def test_corrected_booking_is_sent_again_under_the_same_ticket(admin_client,
                                                             settings, sandbox):
    settings.REMYPASS_API_KEY = "rp_wrong_key"
    first = admin_client.post(ISSUE_URL, booking_form_data())
    resume = first.context["resume"].pk

    settings.REMYPASS_API_KEY = sandbox.api_key
    response = admin_client.post(ISSUE_URL, booking_form_data(resume=resume),
                                 follow=True)

    ticket = Ticket.objects.get()
    assert ticket.pk == resume
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.serial_number in response.content.decode()


@pytest.mark.parametrize("field, value, message", [
    ("customer_email", "not-an-email", "Enter a valid email address"),
    ("booking_id", "", "This field is required."),
    ("film", "x" * 201, "at most 200 characters"),
    ("start_time", "tomorrow-ish", "Enter a date and time"),
    ("seat", "", "This field is required."),
])
def test_bad_input_is_reported_on_its_field_and_nothing_is_sent(
        admin_client, sandbox, field, value, message):
    response = admin_client.post(ISSUE_URL, booking_form_data(**{field: value}))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Ticket.objects.count() == 0
    assert issue_requests(sandbox) == []


def test_seat_with_a_live_ticket_is_refused_on_the_seat_field(admin_client):
    admin_client.post(ISSUE_URL, booking_form_data())
    response = admin_client.post(ISSUE_URL, booking_form_data(
        booking_id="BOOKING-2", customer_email="jane@example.com"))

    assert "Seat taken by booking BOOKING-12345" in (
        response.context["form"].errors["seat"][0])
    assert Ticket.objects.count() == 1


def test_booking_entered_again_is_refused_on_its_id_not_its_seat(admin_client):
    admin_client.post(ISSUE_URL, booking_form_data())
    response = admin_client.post(ISSUE_URL, booking_form_data())

    errors = response.context["form"].errors
    ticket = Ticket.objects.select_related("booking__entered_by").get()
    assert errors["booking_id"] == [services.describe_existing(ticket)]
    assert "seat" not in errors


def test_general_admission_allows_the_same_seat_label(admin_client):
    admin_client.post(ISSUE_URL, booking_form_data(general_admission="on",
                                                   seat="GA", row="-"))
    admin_client.post(ISSUE_URL, booking_form_data(
        booking_id="BOOKING-2", general_admission="on", seat="GA", row="-"))

    assert Ticket.objects.filter(status=Ticket.Status.ACTIVE).count() == 2


def test_general_admission_may_leave_row_and_seat_empty(admin_client, sandbox):
    response = admin_client.post(ISSUE_URL, booking_form_data(
        general_admission="on", row="", seat=""))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.booking.row, ticket.booking.seat) == ("GA", "GA")
    sent = sandbox.requests_received(method="POST", path="/event-tickets/issue")
    assert (sent[0]["body"]["row"], sent[0]["body"]["seat"]) == ("GA", "GA")


def test_a_reserved_seat_needs_row_and_seat(admin_client):
    response = admin_client.post(ISSUE_URL, booking_form_data(row="", seat=""))

    errors = response.context["form"].errors
    assert errors["row"] == ["This field is required."]
    assert errors["seat"] == ["This field is required."]
    assert not Ticket.objects.exists()


def test_a_duplicate_booking_id_links_to_the_ticket_that_holds_it(admin_client):
    admin_client.post(ISSUE_URL, booking_form_data())
    ticket = Ticket.objects.get()

    response = admin_client.post(ISSUE_URL, booking_form_data(seat="A13"))

    assert f'href="{ticket.get_absolute_url()}"' in response.content.decode()
    assert Ticket.objects.count() == 1


def test_a_time_the_clocks_skip_is_refused_with_the_times_either_side(
        admin_client, settings):
    settings.TIME_ZONE = "Europe/London"
    response = admin_client.post(ISSUE_URL, booking_form_data(
        start_time="2027-03-28T01:30"))

    assert response.context["form"].errors["start_time"] == [
        "01:30 on 28 March 2027 does not exist in Europe/London (the clocks go "
        "forward). Enter 00:30 or 02:30."]
    assert not Ticket.objects.exists()


def test_a_time_that_happens_twice_asks_which_one_and_takes_the_answer(
        admin_client, settings):
    settings.TIME_ZONE = "Europe/London"
    data = booking_form_data(start_time="2027-10-31T01:30")

    asked = admin_client.post(ISSUE_URL, data)
    answered = admin_client.post(ISSUE_URL, {**data, "start_time_fold": "1"})

    assert asked.context["form"].errors["start_time"] == [
        "01:30 on 31 October 2027 happens twice in Europe/London (the clocks go "
        "back). Choose which one below."]
    assert 'type="radio" name="start_time_fold"' in asked.content.decode()
    assert answered.status_code == 302
    start = Ticket.objects.get().booking.start_time
    assert start == datetime(2027, 10, 31, 1, 30, tzinfo=dt_timezone.utc)


def test_a_start_time_years_ahead_is_refused(admin_client):
    response = admin_client.post(ISSUE_URL, booking_form_data(
        start_time="9999-12-31T23:59"))

    assert response.context["form"].errors["start_time"] == [
        "This start time is more than two years ahead. Check the year."]


def test_a_booking_id_typed_again_in_another_case_is_the_same_booking(
        admin_client, sandbox):
    admin_client.post(ISSUE_URL, booking_form_data())

    response = admin_client.post(ISSUE_URL, booking_form_data(
        booking_id="booking-12345", seat="A13"))

    assert "was already entered by sam" in response.context["form"].errors[
        "booking_id"][0]
    assert Ticket.objects.count() == 1
    assert len(sandbox.requests_received(method="POST")) == 1


@pytest.mark.django_db
def test_the_database_refuses_a_booking_id_in_another_case():
    from django.db import IntegrityError, transaction

    Booking.objects.create(**{**service_data(), "booking_id": "B-1"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(**{**service_data(), "booking_id": "b-1"})


@pytest.mark.parametrize("value", ["²", "9" * 5000])
@pytest.mark.parametrize("field", ["resume", "screening"])
def test_number_no_row_can_have_is_ignored_not_an_error_page(
        admin_client, sandbox, field, value):
    # "²" passes str.isdigit() but not int(); int() refuses 5000 digits.
    response = admin_client.post(ISSUE_URL, booking_form_data(**{field: value}))

    if field == "resume":
        assert response.status_code == 302
        assert Ticket.objects.get().status == Ticket.Status.ACTIVE
    else:
        assert response.status_code == 200
        assert "no longer on offer" in response.context["form"].errors["screening"][0]
        assert Ticket.objects.count() == 0


def test_number_no_row_can_have_in_the_address_is_ignored(admin_client):
    response = admin_client.get(ISSUE_URL + "?screening=%C2%B2&resume=%C2%B2")

    assert response.status_code == 200
    assert response.context["resume"] is None


def test_next_ticket_for_the_second_of_a_repeated_hour_keeps_that_one(
        admin_client, settings):
    settings.TIME_ZONE = "Europe/London"
    admin_client.post(ISSUE_URL, {**booking_form_data(
        start_time="2027-10-31T01:30"), "start_time_fold": "1"})
    ticket = Ticket.objects.get()

    page = admin_client.get(ticket.get_absolute_url()).content.decode()
    link = page.split('id="next-ticket" href="')[1].split('"')[0]
    response = admin_client.post(link.replace("&amp;", "&").split("?")[0], {
        **booking_form_data(booking_id="B-2", seat="A13",
                            start_time="2027-10-31T01:30"),
        "start_time_fold": admin_client.get(link.replace("&amp;", "&")).context[
            "form"].initial["start_time_fold"]})

    assert "31 October 2027, 01:30 GMT" in page
    assert response.status_code == 302
    assert {t.booking.start_time for t in Ticket.objects.all()} == {
        datetime(2027, 10, 31, 1, 30, tzinfo=dt_timezone.utc)}


def test_a_correction_cannot_move_a_booking_into_the_past(admin_client, sandbox):
    sandbox.inject(method="POST", path="/event-tickets/issue", times=1,
                   kind="status", status=400,
                   body={"success": False, "message": "row is required"})
    admin_client.post(ISSUE_URL, booking_form_data())
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.REJECTED

    response = admin_client.post(ISSUE_URL, {
        **booking_form_data(start_time="0001-01-01T00:00"), "resume": ticket.pk})

    assert response.context["form"].errors["start_time"] == [
        "This start time is in the past."]
    assert len(sandbox.requests_received(method="POST")) == 1
