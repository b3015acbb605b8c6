"""
Box-office pages. Each view reads a form, calls one service function and turns
its outcome into a page or a message; the work itself is in ``services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import IssueTicketForm, VoidForm
from .models import Ticket


def _ticket_or_404(pk):
    return get_object_or_404(
        Ticket.objects.select_related("booking", "booking__entered_by",
                                      "pass_template", "member", "voided_by"),
        pk=pk)


@login_required
def home(request):
    recent = Ticket.objects.select_related("booking")[:20]
    attention = Ticket.objects.needing_attention().select_related("booking")[:20]
    query = request.GET.get("q", "").strip()
    found = None
    if query:
        found = Ticket.objects.search(query).select_related("booking")[:50]
    return render(request, "tickets/home.html", {
        "recent": recent, "attention": attention, "query": query, "found": found,
    })


@login_required
@permission_required("tickets.issue_ticket", raise_exception=True)
def issue(request):
    resume = _resumable(request.POST.get("resume") or request.GET.get("resume"))
    form = IssueTicketForm(request.POST or None, ticket=resume)
    if request.method == "POST" and form.is_valid():
        try:
            if resume is not None:
                ticket = services.update_and_resend(
                    resume, form.cleaned_data, actor=request.user)
            else:
                ticket = services.issue_ticket(form.cleaned_data,
                                               issued_by=request.user)
        except services.BookingIdTaken as exc:
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


def _resumable(pk):
    """Return the failed or rejected ticket a correction is for, if any."""
    if not pk or not str(pk).isdigit():
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
            and "booking id" in ticket.last_error.lower()):
        form.add_error("booking_id", ticket.last_error)
    else:
        form.add_error(None, ticket.last_error)
    return render(request, "tickets/issue.html",
                  {"form": form, "resume": ticket}, status=200)


@login_required
def detail(request, pk):
    ticket = _ticket_or_404(pk)
    return render(request, "tickets/detail.html", {
        "ticket": ticket, "booking": ticket.booking,
        "events": ticket.events.select_related("actor")[:100],
        "void_form": VoidForm(),
    })


@require_POST
@login_required
def retry(request, pk):
    ticket = _ticket_or_404(pk)
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
    return redirect("tickets:detail", pk=pk)


@login_required
def void(request, pk):
    ticket = _ticket_or_404(pk)
    if not request.user.has_perm("tickets.void_ticket"):
        messages.error(request, _("Only a supervisor can void tickets."))
        return redirect("tickets:detail", pk=pk)
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
        return redirect("tickets:detail", pk=pk)
    return render(request, "tickets/void_confirm.html",
                  {"ticket": ticket, "form": form})
