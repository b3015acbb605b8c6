"""The ticket page and the box-office home page, as staff get them over HTTP."""

import io
from datetime import datetime, time, timedelta

import pytest
import segno
from django.utils import timezone

from tickets import charts, services
from tickets.models import Booking, Screening, Ticket

from .helpers import booking_form_data, service_data
from .htmltree import parse

pytestmark = pytest.mark.django_db


def make_ticket(number, *, status="active", created_at=None, film="Alien",
                screen="Screen 1", start_time=None, remypass_id=True):
    """Save a booking and ticket straight to the database, no RemyPass call."""
    start_time = start_time or timezone.now() + timedelta(days=2)
    booking = Booking.objects.create(
        booking_id=f"B-{number}", film=film, screen=screen, start_time=start_time,
        row="C", seat=str(number), customer_name=f"Customer {number}",
        customer_email=f"c{number}@example.com")
    ticket = Ticket(booking=booking, status=status, seat_key=None,
                    remypass_id=f"rp{number}" if remypass_id else None,
                    serial_number=f"SN-{number}" if remypass_id else "")
    ticket.save()
    if created_at is not None:
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at)
    return ticket


def section(page, section_id):
    return parse(page).find("section", id=section_id)


# --- The ticket page ----------------------------------------------------------


@pytest.fixture
def issued(admin_client):
    response = admin_client.post("/tickets/issue/", booking_form_data(), follow=True)
    return Ticket.objects.select_related("booking").get(), response


def test_ticket_page_shows_what_the_box_office_needs(issued):
    ticket, response = issued
    page = response.content.decode()
    start = timezone.localtime(ticket.booking.start_time)

    assert ticket.serial_number in page
    assert "The Matrix Reloaded" in page
    assert start.strftime("%H:%M") in page
    assert "Screen 1" in page
    assert "Row A, seat A12" in page
    assert "John Doe &lt;john@example.com&gt;" in page
    assert '<span class="status status-active">Active</span>' in page


def test_ticket_page_draws_a_qr_code_beside_each_wallet_link(issued):
    ticket, response = issued
    tree = parse(response)

    wallets = tree.find_all("figure", "wallet")
    assert len(wallets) == 2
    assert len(tree.find_all("svg", "qr")) == 2
    for figure, link_id, url, name in (
            (wallets[0], "apple-wallet", ticket.apple_wallet_url, "Apple"),
            (wallets[1], "google-wallet", ticket.google_wallet_url, "Google")):
        link = figure.find("a", id=link_id)
        assert link.attrs["href"] == url
        svg = figure.find("svg", "qr")
        assert svg.attrs["role"] == "img"
        assert svg.attrs["aria-label"] == f"QR code for the {name} Wallet link"
        assert svg.find_all("path")
    page = response.content.decode()
    assert ('<svg class="qr" role="img" aria-label="QR code for the Apple Wallet '
            'link"') in page
    # Drawn on the server: the page loads no image or script for them.
    assert "<img" not in page


def test_void_ticket_page_hides_its_dead_wallet_links(issued, admin_client,
                                                     admin_user):
    ticket, _response = issued
    services.void_ticket(ticket, actor=admin_user)

    page = admin_client.get(ticket.get_absolute_url()).content.decode()

    assert "This ticket is void" in page
    assert ticket.apple_wallet_url not in page
    assert 'class="qr"' not in page


def test_qr_code_encodes_the_wallet_link_itself(issued):
    ticket, response = issued
    expected = segno.make(ticket.apple_wallet_url, error="m", micro=False)

    svg = parse(response).find_all("svg", "qr")[0]

    width, height = expected.symbol_size(scale=1)
    assert svg.attrs["viewbox"] == f"0 0 {width} {height}"
    dark = [path for path in svg.find_all("path") if path.attrs.get("stroke")]
    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", xmldecl=False, border=4)
    assert f'd="{dark[0].attrs["d"]}"' in buffer.getvalue().decode()


def test_wallet_links_are_escaped_and_only_web_addresses_are_linked(admin_user,
                                                                   admin_client):
    ticket = services.issue_ticket(service_data(), issued_by=admin_user)
    Ticket.objects.filter(pk=ticket.pk).update(
        apple_wallet_url='https://wallet.example/p?a=1&b="><script>x</script>',
        google_wallet_url="javascript:alert(1)")

    response = admin_client.get(ticket.get_absolute_url())
    page = response.content.decode()

    assert "<script>x</script>" not in page
    assert 'href="https://wallet.example/p?a=1&amp;b=&quot;&gt;&lt;script&gt;' in page
    assert "javascript:alert" not in page
    assert len(parse(page).find_all("svg", "qr")) == 1
    assert 'id="google-wallet"' not in page


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Tokyo"])
def test_ticket_page_shows_a_pass_dated_at_the_calendars_ends(
        admin_client, sandbox, settings, zone):
    # In London's old local mean time year 1 begins before midnight UTC; in
    # Tokyo year 9999 ends before it.
    settings.TIME_ZONE = zone
    sandbox.inject(method="POST", path="/event-tickets/issue", kind="status",
                   status=201, body={"success": True, "data": {"passInstance": {
                       "_id": "0123456789abcdef01234567", "serialNumber": "SN-1",
                       "status": "active", "issuedAt": "0001-01-01T00:00:00Z",
                       "expiryDate": "9999-12-31T23:59:59Z",
                       "walletUrls": {"apple": "https://wallet.example/a",
                                      "google": "https://wallet.example/g"}}}})

    response = admin_client.post("/tickets/issue/", booking_form_data(),
                                 follow=True)

    assert response.status_code == 200
    assert "SN-1" in response.content.decode()
    ticket = Ticket.objects.get()
    assert (ticket.issued_at, ticket.expiry_date) == (None, None)


def test_ticket_without_wallet_links_shows_no_wallet_section(admin_client):
    ticket = make_ticket(1, status="failed", remypass_id=False)

    page = admin_client.get(ticket.get_absolute_url()).content.decode()

    assert 'class="wallet"' not in page
    assert 'class="qr"' not in page


def test_history_is_newest_first(issued):
    ticket, response = issued
    tree = parse(response)
    rows = tree.find_all("tbody")[-1].find_all("tr")

    assert "Issued" in rows[0].all_text()
    assert "Created" in rows[-1].all_text()


# --- The home page ------------------------------------------------------------


def test_quick_find_lists_the_match_and_not_the_others(admin_client):
    one = make_ticket(1)
    make_ticket(2)

    for term in ("B-1", "SN-1", "c1@example.com", "Customer 1"):
        response = admin_client.get("/tickets/", {"q": term})
        results = parse(response).find("section", id="results")
        links = [a.attrs["href"] for a in results.find_all("a")]
        assert links == [one.get_absolute_url()], term


def test_home_lists_the_tickets_that_need_attention(admin_client):
    waiting = {status: make_ticket(n, status=status) for n, status in enumerate(
        ("sending", "failed", "unknown", "rejected"), start=1)}
    fine = make_ticket(9, status="active")

    attention = section(admin_client.get("/tickets/"), "attention")

    links = {a.attrs["href"] for a in attention.find_all("a")}
    assert links == {t.get_absolute_url() for t in waiting.values()}
    assert fine.get_absolute_url() not in links
    assert attention.find("span", "count").all_text() == "4"


def test_home_lists_this_weeks_showings_with_live_ticket_counts(admin_client):
    start = (timezone.localtime() + timedelta(days=2)).replace(
        hour=19, minute=30, second=0, microsecond=0)
    make_ticket(1, start_time=start)
    make_ticket(2, start_time=start)
    make_ticket(3, start_time=start, status="void")
    make_ticket(4, start_time=start + timedelta(days=10), film="Far away")
    Screening.objects.create(film="Solaris", screen="Screen 2",
                             start_time=start + timedelta(hours=1))

    showings = section(admin_client.get("/tickets/"), "showings")

    rows = showings.find_all("tr", "showing")
    assert [row.find_all("td")[1].all_text() for row in rows] == ["Alien",
                                                                  "Solaris"]
    assert rows[0].find("a").all_text() == "2 tickets"
    assert rows[1].find("a").all_text() == "0 tickets"
    assert "Far away" not in showings.all_text()


def test_showing_link_lists_that_showings_tickets(admin_client):
    start = timezone.now() + timedelta(days=1)
    one, two = make_ticket(1, start_time=start), make_ticket(2, start_time=start)
    other = make_ticket(3, start_time=start, screen="Screen 9")

    showings = section(admin_client.get("/tickets/"), "showings")
    url = showings.find_all("tr", "showing")[0].find("a").attrs["href"]
    page = admin_client.get(url).content.decode()

    assert one.get_absolute_url() in page
    assert two.get_absolute_url() in page
    assert other.get_absolute_url() not in page


def test_broken_showing_link_goes_home_with_a_message(admin_client):
    response = admin_client.get("/tickets/showing/", {"film": "Alien",
                                                      "start": "soon"},
                                follow=True)

    assert response.redirect_chain[-1][0] == "/tickets/"
    assert "That screening link is incomplete." in response.content.decode()


def test_chart_has_a_bar_for_each_of_the_last_30_days(admin_client):
    chart = parse(admin_client.get("/tickets/")).find("svg", "chart")

    bars = chart.find_all("rect", "bar")
    assert len(bars) == 30
    assert bars[-1].attrs["data-day"] == timezone.localdate().isoformat()
    assert chart.attrs["role"] == "img"
    title = chart.find("title", id="chart-title")
    assert title.all_text() == "Tickets issued per day, last 30 days"
    assert chart.find("desc").all_text() == "No tickets were issued in this period."


def test_chart_counts_each_day_in_the_venues_zone(admin_client, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    just_after_midnight = timezone.make_aware(
        datetime.combine(today, time(0, 30)), zone)
    make_ticket(1, created_at=just_after_midnight)
    make_ticket(2, created_at=just_after_midnight + timedelta(hours=12))
    make_ticket(3, created_at=just_after_midnight - timedelta(hours=1))
    make_ticket(4, created_at=just_after_midnight - timedelta(days=40))
    make_ticket(5, status="failed", remypass_id=False)

    chart = parse(admin_client.get("/tickets/")).find("svg", "chart")

    counts = {bar.attrs["data-day"]: int(bar.attrs["data-count"])
              for bar in chart.find_all("rect", "bar")}
    assert counts[today.isoformat()] == 2
    assert counts[(today - timedelta(days=1)).isoformat()] == 1
    assert sum(counts.values()) == 3
    bars = chart.find_all("rect", "bar")
    assert float(bars[-1].attrs["height"]) > float(bars[-2].attrs["height"]) > 0
    assert float(bars[0].attrs["height"]) == 0
    assert "3 tickets in all." in chart.find("desc").all_text()


def test_chart_is_counted_in_one_query(django_assert_num_queries):
    make_ticket(1)
    with django_assert_num_queries(1):
        charts.daily_chart()


# --- Refusals -----------------------------------------------------------------


def test_unknown_ticket_is_a_friendly_404(admin_client):
    response = admin_client.get("/tickets/999999/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_form_from_a_stale_page_is_explained(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post("/tickets/issue/", booking_form_data())

    assert response.status_code == 403
    assert "This page was out of date" in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59-14:00"])
def test_a_showing_link_with_an_impossible_time_goes_home(admin_client, start):
    response = admin_client.get("/tickets/showing/", {
        "film": "Dune", "screen": "Screen 1", "start": start})

    assert response.status_code == 302
    assert response.url == "/tickets/"


def test_quick_find_ignores_case_in_booking_ids_and_serial_numbers(admin_client):
    ticket = make_ticket(7)
    Ticket.objects.filter(pk=ticket.pk).update(serial_number="RP-ABC123")

    for term in ("b-7", "rp-abc123"):
        found = admin_client.get("/tickets/", {"q": term}).context["found"]
        assert [t.pk for t in found] == [ticket.pk], term
