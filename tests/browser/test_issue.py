"""Issuing a ticket from the box-office form in a real browser."""

import re

import pytest

from tickets.models import Ticket

from ..helpers import week_ahead_local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ISSUE_PATH = "/event-tickets/issue"


def fill_booking(page, **overrides):
    """Type the RemyPass docs' example booking into the form by field name."""
    values = {
        "booking_id": "BOOKING-12345",
        "film": "The Matrix Reloaded",
        "start_time": week_ahead_local().strftime("%Y-%m-%dT%H:%M"),
        "screen": "Screen 1",
        "row": "A",
        "seat": "A12",
        "customer_name": "John Doe",
        "customer_email": "john@example.com",
    }
    values.update(overrides)
    for name, value in values.items():
        page.locator(f'form [name="{name}"]').fill(value)
    return values


def test_issue_a_ticket_from_the_form(page, expect, admin_user, sandbox, shoot):
    page.goto("/tickets/issue/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/tickets/issue/$"))
    page.locator("#id_username").fill("sam")
    page.locator("#id_password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/tickets/issue/$"))

    start = week_ahead_local()
    page.get_by_label("Booking id", exact=True).fill("BOOKING-12345")
    page.get_by_label("Film or event", exact=True).fill("The Matrix Reloaded")
    page.get_by_label("Start time", exact=True).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Screen", exact=True).fill("Screen 1")
    page.get_by_label("Row", exact=True).fill("A")
    page.get_by_label("Seat", exact=True).fill("A12")
    page.get_by_label("Customer name", exact=True).fill("John Doe")
    page.get_by_label("Customer email", exact=True).fill("john@example.com")
    page.get_by_label("Email the ticket", exact=True).check()
    shoot(page, "issue-form")
    page.get_by_role("button", name="Issue ticket").click()

    ticket = Ticket.objects.get(booking__booking_id="BOOKING-12345")
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    assert ticket.status == Ticket.Status.ACTIVE
    assert ticket.serial_number
    expect(page.locator("#serial-number")).to_have_text(ticket.serial_number)
    expect(page.get_by_role("status")).to_contain_text(
        f"Ticket issued: {ticket.serial_number}.")
    expect(page.locator("#apple-wallet")).to_have_attribute(
        "href", ticket.apple_wallet_url)
    expect(page.locator("#google-wallet")).to_have_attribute(
        "href", ticket.google_wallet_url)
    expect(page.locator("figure.wallet svg.qr")).to_have_count(2)
    shoot(page, "ticket-page")

    sent = sandbox.requests_received(method="POST", path=ISSUE_PATH)
    assert len(sent) == 1
    assert sent[0]["bookingId"] == "BOOKING-12345"
    assert sandbox.passes()[0]["serialNumber"] == ticket.serial_number

    page.get_by_role("link", name="Box office", exact=True).click()
    expect(page.get_by_role("heading", name="Box office", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="BOOKING-12345").first).to_be_visible()
    shoot(page, "box-office-home")


def test_errors_show_beside_their_field_and_keep_what_was_typed(
        page, expect, log_in, admin_user, sandbox, shoot):
    log_in(admin_user)
    page.goto("/tickets/issue/")
    typed = fill_booking(page, customer_email="john.example.com")
    page.get_by_role("button", name="Issue ticket").click()

    email_field = page.locator(".field", has=page.locator("#id_customer_email"))
    expect(email_field.locator(".errorlist")).to_contain_text(
        "Enter a valid email address")
    expect(page.locator(".errorlist")).to_have_count(1)
    for name, value in typed.items():
        expect(page.locator(f'form [name="{name}"]')).to_have_value(value)
    shoot(page, "issue-form-errors")
    assert sandbox.requests_received(method="POST", path=ISSUE_PATH) == []
    assert not Ticket.objects.exists()

    page.locator("#id_customer_email").fill("john@example.com")
    page.get_by_role("button", name="Issue ticket").click()
    expect(page.locator("#serial-number")).not_to_have_text("—")

    page.goto("/tickets/issue/")
    fill_booking(page, seat="A13")
    page.get_by_role("button", name="Issue ticket").click()

    booking_field = page.locator(".field", has=page.locator("#id_booking_id"))
    expect(booking_field.locator(".errorlist")).to_contain_text(
        "Booking BOOKING-12345 was already entered by sam")
    expect(page.locator(".errorlist")).to_have_count(1)
    shoot(page, "issue-form-duplicate")
    expect(page.locator("#id_booking_id")).to_have_value("BOOKING-12345")
    expect(page).to_have_url(re.compile(r"/tickets/issue/$"))
    assert Ticket.objects.filter(booking__booking_id="BOOKING-12345").count() == 1
    assert len(sandbox.requests_received(method="POST", path=ISSUE_PATH)) == 1
