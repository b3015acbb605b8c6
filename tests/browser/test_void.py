"""Voiding from the admin, and who may do it, in a real browser."""

import re

import pytest

from tickets import services
from tickets.models import Ticket

from ..helpers import service_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGELIST = "/admin/tickets/ticket/"
VOID_ACTION = "Void selected tickets"


def issued_ticket(user):
    ticket = services.issue_ticket(service_data(), issued_by=user)
    assert ticket.status == Ticket.Status.ACTIVE
    return ticket


def search_admin(page, expect, term):
    page.goto(CHANGELIST)
    page.locator("#searchbar").fill(term)
    page.locator("#searchbar").press("Enter")
    expect(page).to_have_url(re.compile(r"\?q="))


def test_supervisor_voids_from_the_admin(page, expect, log_in, supervisor,
                                        sandbox, shoot):
    ticket = issued_ticket(supervisor)
    log_in(supervisor)
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.get_by_role("link", name="Void ticket…")).to_be_visible()

    search_admin(page, expect, "BOOKING-12345")
    row = page.locator("#result_list tbody tr", has_text="BOOKING-12345")
    expect(row).to_have_count(1)
    shoot(page, "admin-changelist")
    row.locator('input[name="_selected_action"]').check()
    page.locator('select[name="action"]').select_option(label=VOID_ACTION)
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_text("Voiding is permanent.")).to_be_visible()
    expect(page.locator("#content")).to_contain_text("BOOKING-12345")
    page.get_by_label("Reason (optional)").fill("Customer asked for a refund")
    shoot(page, "void-confirmation")
    page.get_by_role("button", name="Yes, void it").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        "1 ticket voided in RemyPass: BOOKING-12345.")
    row = page.locator("#result_list tbody tr", has_text="BOOKING-12345")
    expect(row.locator("td.field-status")).to_have_text("Void")
    shoot(page, "admin-after-void")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert ticket.void_reason == "Customer asked for a refund"
    assert ticket.voided_by == supervisor
    assert sandbox.passes()[0]["status"] == "void"


def test_box_office_login_is_offered_no_void(page, expect, log_in, box_office,
                                            sandbox):
    ticket = issued_ticket(box_office)
    log_in(box_office)

    search_admin(page, expect, "BOOKING-12345")
    expect(page.locator("#result_list tbody tr", has_text="BOOKING-12345")
           ).to_have_count(1)
    expect(page.locator('select[name="action"] option', has_text=VOID_ACTION)
           ).to_have_count(0)

    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator("#serial-number")).to_have_text(ticket.serial_number)
    expect(page.get_by_text("Void ticket")).to_have_count(0)

    # Typing the void address straight in is refused too.
    page.goto(f"/tickets/{ticket.pk}/void/")
    expect(page.get_by_role("status")).to_contain_text(
        "Only a supervisor can void tickets.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACTIVE
    assert sandbox.passes()[0]["status"] == "active"


def test_supervisor_voids_from_the_ticket_page(page, expect, log_in, supervisor,
                                              sandbox, shoot):
    ticket = issued_ticket(supervisor)
    log_in(supervisor)
    page.goto(f"/tickets/{ticket.pk}/")

    page.get_by_role("link", name="Void ticket…").click()
    expect(page.get_by_role(
        "heading", name="Void the ticket for booking BOOKING-12345?")).to_be_visible()
    page.get_by_label("Reason (optional)").fill("Double booking")
    shoot(page, "void-from-ticket-page")
    page.get_by_role("button", name="Yes, void this ticket").click()

    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Voided in RemyPass.")
    expect(page.locator("h1 .status")).to_have_text("Void")
    first_entry = page.locator("table.list tbody tr").first
    expect(first_entry).to_contain_text("Voided")
    expect(first_entry).to_contain_text("Double booking")
    expect(page.get_by_role("link", name="Void ticket…")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VOID
    assert sandbox.passes()[0]["status"] == "void"


def test_supervisor_refreshes_a_ticket_changed_in_remypass(page, expect, log_in,
                                                          supervisor, sandbox):
    ticket = issued_ticket(supervisor)
    sandbox.set_status(ticket.remypass_id, "void")
    log_in(supervisor)
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator("h1 .status")).to_have_text("Active")

    page.get_by_role("button", name="Refresh from RemyPass").click()

    expect(page.get_by_role("status")).to_contain_text(
        "RemyPass holds this ticket as Void; it now shows so here.")
    expect(page.locator("h1 .status")).to_have_text("Void")
    expect(page.locator("table.list tbody tr").first).to_contain_text(
        "Status changed in RemyPass")
