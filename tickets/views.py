"""
Box-office pages. Each view reads a form, calls one service function and turns
its outcome into a page or a message; the work itself is in ``services``.

Every view checks the permission for its step itself, and the service checks
it again, so a hand-made request gets no further than the button would.
"""

import math
from dataclasses import dataclass
from functools import wraps
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import charts, services
from .forms import IssueTicketForm, VoidForm, local_input_value, row_id
from .models import Screening, Ticket

# The home page lists showings from today's start to this many days ahead.
SHOWING_DAYS = 7
ATTENTION_LIMIT = 20
# Years a showing link may name; outside them a time cannot even be moved to
# UTC for the query.
SANE_YEARS = (1900, 9000)


def _ticket_or_404(pk):
    return get_object_or_404(
        Ticket.objects.select_related("booking", "booking__entered_by",
                                      "pass_template", "member", "voided_by"),
        pk=pk)


def post_only_back_to_ticket(view):
    """Send a GET of a step's address (a bookmark, say) back to the ticket."""

    @wraps(view)
    def wrapper(request, pk):
        if request.method != "POST":
            return redirect("tickets:detail", pk=pk)
        return view(request, pk)

    return wrapper


def ticket_step(permission, refusal):
    """Load the ticket for a step, refused unless the login holds ``permission``.

    The check is here, where the work is done, not only in which buttons a
    page shows; the service checks it once more.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, pk):
            ticket = _ticket_or_404(pk)
            if not request.user.has_perm(f"tickets.{permission}"):
                return _refuse(request, pk, str(refusal))
            return view(request, ticket)

        return wrapper

    return decorate


def csrf_failure(request, reason=""):
    """Explain a form sent from a stale page, in the box office's words."""
    return render(request, "403_csrf.html", status=403)


def _refuse(request, pk, text):
    """Say why a step was refused and go back to the ticket, unchanged."""
    messages.error(request, text)
    return redirect("tickets:detail", pk=pk)


# --- Home -------------------------------------------------------------------


@dataclass
class Showing:
    film: str
    screen: str
    start_time: datetime
    tickets: int = 0

    @property
    def key(self):
        return (self.film, self.screen, self.start_time)

    @property
    def list_url(self):
        return reverse("tickets:showing") + "?" + urlencode({
            "film": self.film, "screen": self.screen,
            "start": self.start_time.isoformat()})


def _showings(now):
    """Return today's and the coming week's showings, with live ticket counts."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0,
                                            microsecond=0)
    start, end = today, today + timedelta(days=SHOWING_DAYS + 1)
    showings = {}
    for screening in Screening.objects.filter(start_time__gte=start,
                                              start_time__lt=end):
        showing = Showing(screening.film, screening.screen, screening.start_time)
        showings[showing.key] = showing
    rows = (Ticket.objects.live()
            .filter(booking__start_time__gte=start, booking__start_time__lt=end)
            .values("booking__film", "booking__screen", "booking__start_time")
            .annotate(tickets=Count("id")).order_by())
    for row in rows:
        showing = Showing(row["booking__film"], row["booking__screen"],
                          row["booking__start_time"], row["tickets"])
        # A typed film name that differs from the catalogue's shows as its own
        # line, which is how a stray spelling gets noticed.
        showings[showing.key] = showing
    return sorted(showings.values(),
                  key=lambda s: (s.start_time, s.screen, s.film))


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def home(request):
    query = request.GET.get("q", "").strip()
    found = None
    if query:
        found = Ticket.objects.search(query).select_related("booking")[:50]
    attention = Ticket.objects.needing_attention()
    return render(request, "tickets/home.html", {
        "query": query, "found": found,
        "attention": attention.select_related("booking")[:ATTENTION_LIMIT],
        "attention_count": attention.count(),
        "showings": _showings(timezone.now()),
        "chart": charts.daily_chart(),
        "recent": Ticket.objects.select_related("booking")[:20],
    })


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def showing(request):
    """List every ticket for one film, screen and start time."""
    film = request.GET.get("film", "")
    screen = request.GET.get("screen", "")
    try:
        start = datetime.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = None
    if (start is None or timezone.is_naive(start) or not film or not screen
            or not SANE_YEARS[0] <= start.year <= SANE_YEARS[1]):
        messages.error(request, _("That screening link is incomplete. Pick the "
                                  "screening from the list again."))
        return redirect("tickets:home")
    tickets = (Ticket.objects.filter(booking__film=film, booking__screen=screen,
                                     booking__start_time=start)
               .select_related("booking").order_by("booking__row",
                                                   "booking__seat"))
    return render(request, "tickets/showing.html", {
        "film": film, "screen": screen, "start_time": start,
        "tickets": tickets,
        "next_ticket_url": _next_ticket_url(film, screen, start),
    })


# --- Issuing ----------------------------------------------------------------


@login_required
@permission_required("tickets.issue_ticket", raise_exception=True)
def issue(request):
    resume = _resumable(request.POST.get("resume") or request.GET.get("resume"))
    if request.method == "POST":
        form = IssueTicketForm(request.POST, ticket=resume)
    else:
        form = IssueTicketForm(ticket=resume, initial=_prefill(request.GET))
    if request.method == "POST" and form.is_valid():
        try:
            if resume is not None:
                ticket = services.update_and_resend(
                    resume, form.cleaned_data, actor=request.user)
            else:
                ticket = services.issue_ticket(form.cleaned_data,
                                               issued_by=request.user)
        except services.BookingIdTaken as exc:
            form.existing_ticket = exc.ticket
            form.add_error("booking_id", exc.message)
        except services.SeatTaken as exc:
            form.add_error("seat", exc.message)
        except services.TicketError as exc:
            form.add_error(None, exc.message)
        else:
            if ticket.is_issued:
                messages.success(request, _("Ticket issued: %(serial)s.") % {
                    "serial": ticket.serial_number})
                return redirect("tickets:detail", pk=ticket.pk)
            return _issue_failed(request, form, ticket)
    return render(request, "tickets/issue.html", {"form": form, "resume": resume})


def _prefill(query):
    """Return the showing a "next ticket" link carries, as form initial data."""
    return {name: query[name][:200] for name in
            ("screening", "film", "screen", "start_time", "start_time_fold")
            if query.get(name)}


def _next_ticket_url(film, screen, start_time):
    """Return the issue form's address with this showing filled in."""
    values = {"film": film, "screen": screen,
              "start_time": local_input_value(start_time)}
    if timezone.localtime(start_time).fold:
        # The second of a repeated hour; the form would otherwise ask again.
        values["start_time_fold"] = "1"
    screening = (Screening.objects.filter(film=film, screen=screen,
                                          start_time=start_time)
                 .values_list("pk", flat=True).first())
    if screening is not None:
        values = {"screening": screening, **values}
    return reverse("tickets:issue") + "?" + urlencode(values)


def _resumable(value):
    """Return the failed or rejected ticket a correction is for, if any."""
    pk = row_id(value)
    if pk is None:
        return None
    return (Ticket.objects.filter(pk=pk, status__in=[Ticket.Status.FAILED,
                                                     Ticket.Status.REJECTED])
            .select_related("booking").first())


def _issue_failed(request, form, ticket):
    """Show the form again, filled in, with what went wrong and what to do."""
    if ticket.status == Ticket.Status.UNKNOWN:
        # RemyPass may hold this ticket: editing and resending could duplicate.
        messages.warning(request, ticket.last_error)
        return redirect("tickets:detail", pk=ticket.pk)
    if (ticket.status == Ticket.Status.REJECTED
            and ticket.last_error == services.booking_id_refused(ticket)):
        form.add_error("booking_id", ticket.last_error)
    else:
        form.add_error(None, ticket.last_error)
    return render(request, "tickets/issue.html",
                  {"form": form, "resume": ticket}, status=200)


# --- One ticket -------------------------------------------------------------


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def detail(request, pk):
    ticket = _ticket_or_404(pk)
    booking = ticket.booking
    next_ticket_url = None
    if request.user.has_perm("tickets.issue_ticket"):
        next_ticket_url = _next_ticket_url(booking.film, booking.screen,
                                           booking.start_time)
    return render(request, "tickets/detail.html", {
        "ticket": ticket, "booking": booking,
        "events": ticket.events.select_related("actor")[:100],
        "void_form": VoidForm(),
        "next_ticket_url": next_ticket_url,
    })


@login_required
@post_only_back_to_ticket
@ticket_step("retry_ticket", _lazy("Your login cannot retry tickets. Ask a supervisor."))
def retry(request, ticket):
    try:
        ticket = services.retry_ticket(ticket, actor=request.user)
    except services.TicketError as exc:
        messages.error(request, exc.message)
    else:
        if ticket.is_issued:
            messages.success(request, _("Ticket issued: %(serial)s.") % {
                "serial": ticket.serial_number})
        else:
            messages.error(request, ticket.last_error)
    return redirect("tickets:detail", pk=ticket.pk)


@login_required
@post_only_back_to_ticket
@ticket_step("refresh_ticket", _lazy("Only a supervisor can refresh tickets from RemyPass."))
def refresh(request, ticket):
    before = ticket.status
    try:
        ticket = services.refresh_ticket(ticket, actor=request.user)
    except services.TicketError as exc:
        messages.error(request, exc.message)
    else:
        values = {"status": ticket.get_status_display()}
        if ticket.status != before:
            messages.success(request, _("RemyPass holds this ticket as "
                                        "%(status)s; it now shows so here.")
                             % values)
        else:
            messages.info(request, _("Checked with RemyPass: no change, the "
                                     "ticket is %(status)s.") % values)
    return redirect("tickets:detail", pk=ticket.pk)


@login_required
@post_only_back_to_ticket
@ticket_step("reconcile_ticket", _lazy("Only a supervisor can reconcile tickets with RemyPass."))
def reconcile(request, ticket):
    try:
        summary = services.reconcile_tickets(
            min_age_seconds=services.reconcile_min_age(), actor=request.user,
            only=ticket)
    except services.TicketError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:detail", pk=ticket.pk)
    if summary.search_error:
        messages.error(request, _("RemyPass could not be searched, so nothing "
                                  "was changed: %(reason)s") % {
                                      "reason": summary.search_error})
    elif summary.skipped or not (summary.settled or summary.flagged
                                 or summary.failed or summary.refused):
        messages.info(request, _(
            "This ticket was sent too recently to settle safely; an answer may "
            "still be on its way. Try again in %(seconds)d seconds.") % {
                "seconds": _seconds_until_reconcilable(ticket)})
    else:
        ticket.refresh_from_db()
        text = ticket.last_error or _("Settled: the ticket is %(status)s.") % {
            "status": ticket.get_status_display()}
        level = messages.SUCCESS if ticket.is_issued else messages.WARNING
        messages.add_message(request, level, text)
    return redirect("tickets:detail", pk=ticket.pk)


def _seconds_until_reconcilable(ticket):
    sent = ticket.sent_at or ticket.created_at
    waited = (timezone.now() - sent).total_seconds()
    return max(1, math.ceil(services.reconcile_min_age() - waited))


@login_required
@ticket_step("void_ticket", _lazy("Only a supervisor can void tickets."))
def void(request, ticket):
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.void_ticket(ticket, actor=request.user,
                                           reason=form.cleaned_data["reason"])
        except services.TicketError as exc:
            messages.error(request, exc.message)
        else:
            if outcome.voided:
                messages.success(request, outcome.message)
            else:
                messages.error(request, outcome.message)
        return redirect("tickets:detail", pk=ticket.pk)
    return render(request, "tickets/void_confirm.html",
                  {"ticket": ticket, "form": form})
