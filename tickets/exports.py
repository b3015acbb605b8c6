"""
Tickets as CSV, for supervisors who check lists in a spreadsheet.

Every cell is written so that Excel or LibreOffice shows it as text: a value
a customer typed (a name like ``=HYPERLINK(...)``) must never run as a
formula on a supervisor's computer. Rows are streamed from a database
iterator, so exporting a big table does not load it into memory.
"""

import csv
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

# A spreadsheet reads a cell starting with one of these as a formula (a tab
# or carriage return can hide one behind white space).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Rows read from the database at a time.
CHUNK_SIZE = 2000

# Excel takes a CSV without a byte-order mark for a legacy code page and
# garbles accents; LibreOffice and the csv module skip the mark.
BOM = "\ufeff"


def safe_cell(value) -> str:
    """Return the value as text that a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        # A leading quote makes the spreadsheet take the rest as text.
        return "'" + text
    return text


def local_time(value: datetime | None, timespec: str = "minutes") -> str:
    """Return a time in the venue's zone, ISO-like with its UTC offset."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(sep=" ", timespec=timespec)


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def header() -> list[str]:
    """Return the column titles, in the staff's language."""
    return [
        _("booking id"), _("film"), _("start (local time)"), _("screen"),
        _("row"), _("seat"), _("customer name"), _("customer email"),
        _("status"), _("serial number"), _("email sent"),
        _("issued at (local time)"), _("Apple Wallet link"),
        _("Google Wallet link"),
    ]


def ticket_row(ticket) -> list[str]:
    """Return one ticket's cells, not yet escaped."""
    booking = ticket.booking
    return [
        booking.booking_id, booking.film, local_time(booking.start_time),
        booking.screen, booking.row, booking.seat, booking.customer_name,
        booking.customer_email, ticket.get_status_display(),
        ticket.serial_number, _yes_no(ticket.email_sent),
        local_time(ticket.issued_at, "seconds"),
        # A void pass's links no longer work; a list must not offer them.
        "" if ticket.status == ticket.Status.VOID else ticket.apple_wallet_url,
        "" if ticket.status == ticket.Status.VOID else ticket.google_wallet_url,
    ]


class _Line:
    """A file-like target that hands back what csv.writer writes to it."""

    def write(self, value):
        return value


def csv_lines(tickets):
    """Yield the CSV text, a line at a time, byte-order mark first."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([safe_cell(cell) for cell in header()])
    for ticket in tickets:
        yield writer.writerow([safe_cell(cell) for cell in ticket_row(ticket)])


def filename() -> str:
    """Return the download's name, dated in the venue's zone."""
    return f"tickets-{timezone.localdate():%Y-%m-%d}.csv"


def csv_response(queryset) -> StreamingHttpResponse:
    """Stream the queryset's tickets as a CSV download, in its order."""
    tickets = queryset.select_related("booking").iterator(chunk_size=CHUNK_SIZE)
    response = StreamingHttpResponse(csv_lines(tickets),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename()}"'
    return response
