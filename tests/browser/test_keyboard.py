"""The issue form with the keyboard alone, and where focus goes after errors."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tickets.models import Ticket

from .test_issue import fill_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPED = {
    "booking_id": "BOOKING-12345",
    "film": "The Matrix Reloaded",
    "screen": "Screen 1",
    "row": "A",
    "seat": "A12",
    "customer_name": "John Doe",
    "customer_email": "john@example.com",
}
FOCUSED = """() => {
    const element = document.activeElement;
    const box = (element.closest(".field") || element).getBoundingClientRect();
    return {name: element.name || "", tag: element.tagName.toLowerCase(),
            type: element.type || "", top: box.top + window.scrollY,
            left: box.left + window.scrollX};
}"""


def same_day_and_month_ahead():
    """A coming date whose day equals its month, e.g. 12 December, at 19:30.

    Chromium's date field asks for day and month in the order of its locale;
    for such a date both orders mean the same, so the keystrokes are the same.
    """
    day = timezone.localdate() + timedelta(days=2)
    while day.day != day.month:
        day += timedelta(days=1)
    return day


def type_start_time(keyboard, day):
    two = f"{day.day:02d}"
    keyboard.type(two)
    keyboard.type(two)
    keyboard.type(str(day.year))
    # The year part takes more than four digits, so it needs a Tab to move on.
    keyboard.press("Tab")
    # 19 fills the hour and, on a 12-hour clock, sets PM by itself.
    keyboard.type("1930")


def test_issue_form_with_the_keyboard_alone(page, expect, log_in, admin_user,
                                           sandbox):
    log_in(admin_user)
    page.goto("/tickets/issue/")
    day = same_day_and_month_ahead()
    page.locator("form.card").locator("input:visible, select:visible").first.focus()

    visited = []
    for _step in range(40):
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "button":
            visited.append(focused)
            break
        name = focused["name"]
        if not visited or visited[-1]["name"] != name:
            visited.append(focused)
            if name in TYPED:
                page.keyboard.type(TYPED[name])
            elif name == "start_time":
                type_start_time(page.keyboard, day)
            elif name == "send_email":
                # Ticked at first: Space unticks it, as a customer asked.
                page.keyboard.press("Space")
        page.keyboard.press("Tab")
    names = [f["name"] for f in visited]
    assert visited[-1]["tag"] == "button", f"Tab never reached the button: {names}"
    expect(page.locator("#id_start_time")).to_have_value(f"{day:%Y-%m-%d}T19:30")
    expect(page.locator("#id_send_email")).not_to_be_checked()
    for name in [*TYPED, "start_time", "send_email"]:
        assert name in names, f"Tab skipped {name}: {names}"

    # Focus must go down the page, and left to right along a line.
    for before, after in zip(visited, visited[1:]):
        same_line = abs(after["top"] - before["top"]) < 5
        assert after["top"] > before["top"] or (
            same_line and after["left"] > before["left"]), (
            f"Tab goes from {before['name'] or before['tag']} back to "
            f"{after['name'] or after['tag']}, against the reading order: {names}")

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(booking__booking_id="BOOKING-12345")
    expect(page.locator("#serial-number")).to_have_text(ticket.serial_number)
    expect(page.locator("main")).to_contain_text("Not requested")
    start = timezone.localtime(ticket.booking.start_time)
    assert (start.date(), start.hour, start.minute) == (day, 19, 30)
    assert ticket.booking.send_email is False


def test_focus_goes_to_the_first_field_with_an_error(page, expect, log_in,
                                                     admin_user):
    log_in(admin_user)
    page.goto("/tickets/issue/")
    fill_booking(page, customer_email="john.example.com")
    page.get_by_role("button", name="Issue ticket").click()
    expect(page.locator("#id_customer_email_errors")).to_be_visible()
    expect(page.locator("#id_customer_email")).to_be_focused()

    # With two errors, the one higher up the form wins.
    fill_booking(page, booking_id="", customer_email="john.example.com")
    page.get_by_role("button", name="Issue ticket").click()
    expect(page.locator("#id_booking_id_errors")).to_be_visible()
    expect(page.locator("#id_booking_id")).to_be_focused()
