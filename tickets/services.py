"""
The business steps of issuing and voiding tickets.

Views, admin actions and management commands call these functions and never
talk to RemyPass or open transactions themselves. The rules they keep:

* A booking and its ticket row are committed *before* RemyPass is called, and
  the call runs outside any transaction, so a slow or failed call never loses
  what was typed and never holds a lock while it waits.
* Every outcome lands in a status staff can see: issued, rejected, failed
  (safe to retry) or unknown (RemyPass may have created it).
* A ticket is only ever marked void when RemyPass confirms it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import remypass
from .models import Booking, Member, PassTemplate, Ticket, TicketEvent

logger = logging.getLogger(__name__)

BOOKING_FIELDS = ("booking_id", "film", "start_time", "screen", "row", "seat",
                  "general_admission", "customer_name", "customer_email",
                  "send_email")


# --- Errors staff can read --------------------------------------------------


class TicketError(Exception):
    """A step could not be taken; ``message`` is written for staff."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class BookingIdTaken(TicketError):
    """The booking id already has a ticket here."""

    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        super().__init__(describe_existing(ticket))


class SeatTaken(TicketError):
    """Another live ticket holds the seat."""

    def __init__(self, holder: Booking | None):
        self.holder = holder
        if holder is None:
            message = _("This seat already has a live ticket.")
        else:
            message = _("Seat taken by booking %(booking)s.") % {
                "booking": holder.booking_id}
        super().__init__(message)


class TicketNotAllowed(TicketError):
    """The ticket is not in a state that allows the step."""


class PermissionMissing(TicketError):
    """The user may not take this step."""


def describe_existing(ticket: Ticket) -> str:
    """Say who issued an existing booking and when, in the staff's words."""
    booking = ticket.booking
    who = booking.entered_by.get_username() if booking.entered_by else _("someone")
    when = formats.date_format(timezone.localtime(booking.entered_at),
                               "SHORT_DATETIME_FORMAT")
    values = {"booking": booking.booking_id, "who": who, "when": when}
    if ticket.status == Ticket.Status.SENDING:
        return _("Booking %(booking)s is already being issued by %(who)s "
                 "(started %(when)s).") % values
    return _("Booking %(booking)s was already entered by %(who)s at %(when)s; "
             "open its ticket instead.") % values


def require(user, permission: str) -> None:
    """Refuse the step unless ``user`` holds ``tickets.<permission>``."""
    if user is not None and not user.has_perm(f"tickets.{permission}"):
        raise PermissionMissing(_("You are not allowed to do this. Ask a "
                                  "supervisor."))


# --- History ----------------------------------------------------------------


def record(ticket: Ticket, action: str, *, actor=None, message: str = "",
           answer: str = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, action=action, actor=actor, status=ticket.status,
        message=message[:2000], remypass_answer=(answer or "")[:500])


# --- Issuing ----------------------------------------------------------------


def create_booking(data: dict, *, entered_by) -> Ticket:
    """
    Save a booking and its ticket in the ``sending`` state, committed.

    Raises BookingIdTaken or SeatTaken; the database constraints make both
    hold when two staff save at the same moment.
    """
    require(entered_by, "issue_ticket")
    booking = Booking(**{name: data[name] for name in BOOKING_FIELDS if name in data},
                      entered_by=entered_by)
    try:
        with transaction.atomic():
            booking.save()
            ticket = Ticket.objects.create(booking=booking,
                                           seat_key=booking.seat_key())
            record(ticket, TicketEvent.Action.CREATED, actor=entered_by)
    except IntegrityError:
        raise _explain_conflict(booking) from None
    return ticket


def _explain_conflict(booking: Booking) -> TicketError:
    existing = (Ticket.objects.select_related("booking__entered_by")
                .filter(booking__booking_id=booking.booking_id).first())
    if existing:
        return BookingIdTaken(existing)
    return SeatTaken(seat_holder(booking))


def seat_holder(booking: Booking, *, exclude_ticket: Ticket | None = None):
    """Return the booking whose live ticket holds this seat, if any."""
    key = booking.seat_key()
    if key is None:
        return None
    holders = Ticket.objects.live().filter(seat_key=key)
    if exclude_ticket is not None:
        holders = holders.exclude(pk=exclude_ticket.pk)
    holder = holders.select_related("booking").first()
    return holder.booking if holder else None


def issue_ticket(data: dict, *, issued_by, client=None) -> Ticket:
    """Save the booking, then ask RemyPass for its ticket."""
    ticket = create_booking(data, entered_by=issued_by)
    return send_ticket(ticket, actor=issued_by, client=client)


def update_and_resend(ticket: Ticket, data: dict, *, actor, client=None) -> Ticket:
    """Correct a failed or rejected booking and send it again."""
    require(actor, "issue_ticket")
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.status not in (Ticket.Status.FAILED, Ticket.Status.REJECTED):
            raise TicketNotAllowed(_("This ticket can no longer be edited: it is "
                                     "%(status)s.") % {
                                         "status": ticket.get_status_display()})
        booking = ticket.booking
        for name in BOOKING_FIELDS:
            if name in data:
                setattr(booking, name, data[name])
        ticket.status = Ticket.Status.SENDING
        ticket.seat_key = booking.seat_key()
        try:
            with transaction.atomic():
                booking.save()
                ticket.save(update_fields=["status", "seat_key", "updated_at"])
        except IntegrityError:
            raise _explain_conflict_on_update(booking, ticket) from None
        record(ticket, TicketEvent.Action.RETRIED, actor=actor,
               message=_("Booking corrected and sent again."))
    return send_ticket(ticket, actor=actor, client=client)


def _explain_conflict_on_update(booking, ticket) -> TicketError:
    other = (Ticket.objects.select_related("booking__entered_by")
             .filter(booking__booking_id=booking.booking_id)
             .exclude(pk=ticket.pk).first())
    if other:
        return BookingIdTaken(other)
    return SeatTaken(seat_holder(booking, exclude_ticket=ticket))


def retry_ticket(ticket: Ticket, *, actor, client=None) -> Ticket:
    """Send a failed or unknown ticket again, with the same booking id."""
    require(actor, "retry_ticket")
    with transaction.atomic():
        # Re-read under a lock: a second click must see the first one's claim.
        ticket = _lock(ticket)
        if not ticket.can_retry:
            raise TicketNotAllowed(_not_retryable_message(ticket))
        ticket.status = Ticket.Status.SENDING
        ticket.save(update_fields=["status", "updated_at"])
        record(ticket, TicketEvent.Action.RETRIED, actor=actor)
    return send_ticket(ticket, actor=actor, client=client)


def _not_retryable_message(ticket: Ticket) -> str:
    if ticket.status == Ticket.Status.SENDING:
        return _("This ticket is being sent to RemyPass right now.")
    return _("This ticket cannot be retried: it is %(status)s.") % {
        "status": ticket.get_status_display()}


def _lock(ticket: Ticket) -> Ticket:
    return (Ticket.objects.select_for_update()
            .select_related("booking", "booking__entered_by").get(pk=ticket.pk))


def send_ticket(ticket: Ticket, *, actor, client=None) -> Ticket:
    """
    Call RemyPass for a ticket in the ``sending`` state and store the outcome.

    Must run outside a transaction: the claim on the ticket is already
    committed, and the HTTP call may take as long as the timeout.
    """
    client = client or remypass.client()
    booking = ticket.booking
    Ticket.objects.filter(pk=ticket.pk).update(
        attempts=ticket.attempts + 1, sent_at=timezone.now())
    ticket.attempts += 1
    record(ticket, TicketEvent.Action.SENT, actor=actor,
           message=_("Attempt %(n)s.") % {"n": ticket.attempts})
    try:
        issued = client.issue_event_ticket(
            booking_id=booking.booking_id, film=booking.film,
            start_time=booking.start_time, screen=booking.screen,
            row=booking.row, seat=booking.seat,
            customer_name=booking.customer_name,
            customer_email=booking.customer_email,
            send_email=booking.send_email,
        )
    except remypass.RemyPassError as exc:
        return _record_failure(ticket, exc, actor=actor)
    return _record_issued(ticket, issued, actor=actor, client=client)


def _record_failure(ticket: Ticket, exc: remypass.RemyPassError, *, actor) -> Ticket:
    status, action, message = _classify_failure(ticket, exc)
    ticket.status = status
    ticket.last_error = message
    ticket.remypass_message = exc.api_message[:500]
    ticket.save(update_fields=["status", "last_error", "remypass_message",
                               "updated_at"])
    record(ticket, action, actor=actor, message=message, answer=exc.api_message)
    logger.warning("Ticket for booking %s is %s after %s", ticket.booking.booking_id,
                   status, type(exc).__name__)
    return ticket


def _classify_failure(ticket: Ticket, exc: remypass.RemyPassError):
    Status, Action = Ticket.Status, TicketEvent.Action
    if isinstance(exc, remypass.RemyPassDuplicate):
        if ticket.attempts > 1:
            # An earlier attempt may have reached RemyPass; its ticket exists.
            return Status.UNKNOWN, Action.UNKNOWN, _(
                "RemyPass already has this booking: an earlier attempt did reach "
                "it. The ticket is marked for reconciliation; do not issue it "
                "again.")
        return Status.REJECTED, Action.REJECTED, _(
            "RemyPass already has a ticket for booking id %(booking)s. Check the "
            "booking id.") % {"booking": ticket.booking.booking_id}
    if isinstance(exc, (remypass.RemyPassNoAnswer, remypass.RemyPassBadResponse)):
        return Status.UNKNOWN, Action.UNKNOWN, exc.message + " " + _(
            "The ticket is marked for reconciliation with RemyPass.")
    if isinstance(exc, (remypass.RemyPassUnavailable, remypass.RemyPassAuthError,
                        remypass.RemyPassPermissionError,
                        remypass.RemyPassNotConfigured)):
        return Status.FAILED, Action.FAILED, exc.message + " " + _(
            "The booking is saved; retry it once this is fixed.")
    return Status.REJECTED, Action.REJECTED, exc.message + " " + _(
        "Correct the booking and send it again.")


def _record_issued(ticket: Ticket, issued: remypass.IssuedTicket, *, actor,
                   client) -> Ticket:
    data = issued.passes
    if not (data.serial_number and data.apple_wallet_url and data.google_wallet_url):
        # The answer was thin; the full pass can still be asked for by id.
        try:
            data = client.get_pass(data.remypass_id,
                                   booking_id=ticket.booking.booking_id)
        except remypass.RemyPassError:
            logger.warning("Ticket for booking %s: RemyPass's answer lacked "
                           "fields and the pass could not be fetched",
                           ticket.booking.booking_id)
    with transaction.atomic():
        apply_pass_data(ticket, data)
        ticket.status = data.status or Ticket.Status.ACTIVE
        ticket.email_sent = issued.email_sent
        ticket.remypass_message = issued.message
        ticket.last_error = ""
        ticket.reconcile_candidates = []
        ticket.save()
        record(ticket, TicketEvent.Action.ISSUED, actor=actor,
               message=_("Serial number %(serial)s.") % {
                   "serial": ticket.serial_number or "?"},
               answer=issued.message)
    return ticket


def apply_pass_data(ticket: Ticket, data: remypass.PassData) -> None:
    """Copy what RemyPass said about a pass onto the ticket (not saved)."""
    ticket.remypass_id = data.remypass_id
    for name in ("serial_number", "recipient_name", "recipient_email",
                 "expiry_date", "issued_at", "apple_wallet_url",
                 "google_wallet_url"):
        value = getattr(data, name)
        if value:
            setattr(ticket, name, value)
    member_id = data.member.remypass_id if data.member else data.member_id
    if member_id:
        ticket.member = _mirror_member(member_id, data.member)
    template_id = data.template.remypass_id if data.template else data.template_id
    if template_id:
        ticket.pass_template = _mirror_template(template_id, data.template)


def _mirror_member(remypass_id: str, data: remypass.MemberData | None) -> Member:
    if data is None:
        member, _created = Member.objects.get_or_create(remypass_id=remypass_id)
        return member
    member, _created = Member.objects.update_or_create(
        remypass_id=remypass_id,
        defaults={"name": data.name, "email": data.email[:254],
                  "member_ref": data.member_ref, "type": data.type,
                  "status": data.status})
    return member


def _mirror_template(remypass_id: str,
                     data: remypass.TemplateData | None) -> PassTemplate:
    if data is None:
        template, _created = PassTemplate.objects.get_or_create(
            remypass_id=remypass_id)
        return template
    template, _created = PassTemplate.objects.update_or_create(
        remypass_id=remypass_id,
        defaults={"name": data.name, "description": data.description,
                  "type": data.type, "approved": data.approved})
    return template


# --- Voiding ----------------------------------------------------------------


@dataclass
class VoidOutcome:
    ticket: Ticket
    voided: bool
    message: str


def void_ticket(ticket: Ticket, *, actor, reason: str = "",
                client=None) -> VoidOutcome:
    """
    Void a ticket in RemyPass, for good, and mark it void once confirmed.

    When RemyPass gives no clear answer, the pass is read back before deciding,
    so a pass RemyPass already holds as void is marked void without an error.
    """
    require(actor, "void_ticket")
    client = client or remypass.client()
    ticket = Ticket.objects.select_related("booking").get(pk=ticket.pk)
    if ticket.status == Ticket.Status.VOID:
        return VoidOutcome(ticket, True, _("Already void."))
    if not ticket.can_void:
        raise TicketNotAllowed(_("Only an issued ticket can be voided; this one "
                                 "is %(status)s.") % {
                                     "status": ticket.get_status_display()})
    reason = reason.strip()[:200]
    record(ticket, TicketEvent.Action.VOID_REQUESTED, actor=actor, message=reason)
    booking_id = ticket.booking.booking_id
    try:
        answer = client.revoke_pass(ticket.remypass_id, booking_id=booking_id)
    except (remypass.RemyPassUnavailable, remypass.RemyPassBadResponse,
            remypass.RemyPassRejected) as exc:
        if isinstance(exc, (remypass.RemyPassAuthError,
                            remypass.RemyPassPermissionError,
                            remypass.RemyPassBusy)):
            return _void_failed(ticket, exc.message, actor=actor,
                                answer=exc.api_message)
        return _void_after_check(ticket, exc, actor=actor, reason=reason,
                                 client=client)
    except remypass.RemyPassError as exc:
        return _void_failed(ticket, exc.message, actor=actor, answer=exc.api_message)
    ticket = _mark_void(ticket, actor=actor, reason=reason, answer=answer)
    return VoidOutcome(ticket, True, _("Voided in RemyPass."))


def _void_after_check(ticket, exc, *, actor, reason, client) -> VoidOutcome:
    try:
        data = client.get_pass(ticket.remypass_id,
                               booking_id=ticket.booking.booking_id)
    except remypass.RemyPassError:
        return _void_failed(ticket, exc.message + " " + _(
            "RemyPass could not be asked whether the ticket is void; it is "
            "still shown as %(status)s. Try again.") % {
                "status": ticket.get_status_display()}, actor=actor,
            answer=exc.api_message)
    if data.status == Ticket.Status.VOID:
        ticket = _mark_void(
            ticket, actor=actor, reason=reason,
            answer=exc.api_message or _("RemyPass holds the pass as void."))
        return VoidOutcome(ticket, True, _("Voided in RemyPass."))
    return _void_failed(ticket, exc.message + " " + _(
        "RemyPass still holds the ticket as %(status)s.") % {
            "status": data.status or _("not void")}, actor=actor,
        answer=exc.api_message)


def _void_failed(ticket, message, *, actor, answer="") -> VoidOutcome:
    record(ticket, TicketEvent.Action.VOID_FAILED, actor=actor, message=message,
           answer=answer)
    logger.warning("Void of booking %s not confirmed", ticket.booking.booking_id)
    return VoidOutcome(ticket, False, message)


def _mark_void(ticket, *, actor, reason, answer) -> Ticket:
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.status == Ticket.Status.VOID:
            # Someone else's void was confirmed first.
            return ticket
        ticket.status = Ticket.Status.VOID
        ticket.voided_at = timezone.now()
        ticket.voided_by = actor
        ticket.void_reason = reason
        ticket.save(update_fields=["status", "voided_at", "voided_by",
                                   "void_reason", "updated_at"])
        record(ticket, TicketEvent.Action.VOIDED, actor=actor, message=reason,
               answer=answer)
    return ticket


# --- Refreshing and syncing from RemyPass -----------------------------------


def refresh_ticket(ticket: Ticket, *, actor, client=None) -> Ticket:
    """Read the ticket's pass back from RemyPass and take its status."""
    require(actor, "refresh_ticket")
    if not ticket.remypass_id:
        raise TicketNotAllowed(_("This ticket has no RemyPass id yet; retry or "
                                 "reconcile it instead."))
    client = client or remypass.client()
    try:
        data = client.get_pass(ticket.remypass_id,
                               booking_id=ticket.booking.booking_id)
    except remypass.RemyPassError as exc:
        raise TicketError(exc.message) from exc
    changed = take_remote_status(ticket, data, actor=actor)
    if not changed:
        record(ticket, TicketEvent.Action.REFRESHED, actor=actor,
               message=_("No change: RemyPass holds it as %(status)s.") % {
                   "status": data.status or "?"})
    return Ticket.objects.select_related("booking").get(pk=ticket.pk)


def take_remote_status(ticket: Ticket, data: remypass.PassData, *,
                       actor=None) -> bool:
    """Adopt RemyPass's status for an issued ticket; return True if it changed."""
    new_status = data.status
    with transaction.atomic():
        ticket = _lock(ticket)
        if not new_status or new_status == ticket.status:
            return False
        if ticket.status == Ticket.Status.VOID:
            # Void is permanent in RemyPass; a different answer is an anomaly
            # to report, never a reason to bring the ticket back.
            logger.warning("Ticket for booking %s is void here but %s in "
                           "RemyPass; left void", ticket.booking.booking_id,
                           new_status)
            return False
        old = ticket.get_status_display()
        ticket.status = new_status
        fields = ["status", "updated_at"]
        if new_status == Ticket.Status.VOID and not ticket.voided_at:
            ticket.voided_at = timezone.now()
            fields.append("voided_at")
        ticket.save(update_fields=fields)
        record(ticket, TicketEvent.Action.STATUS_CHANGED, actor=actor,
               message=_("%(old)s → %(new)s in RemyPass.") % {
                   "old": old, "new": ticket.get_status_display()})
    return True


@dataclass
class SyncSummary:
    seen: int = 0
    matched: int = 0
    changed: int = 0
    not_ours: int = 0

    def __str__(self):
        return (f"{self.seen} passes read from RemyPass, {self.matched} match a "
                f"ticket here, {self.changed} status changes recorded, "
                f"{self.not_ours} not issued from this installation.")


def sync_tickets(*, client=None) -> SyncSummary:
    """Walk every pass in RemyPass and take each changed status locally."""
    client = client or remypass.client()
    summary = SyncSummary()
    page = 1
    while True:
        result = client.list_passes(page=page, limit=100, include_void=True)
        _sync_page(result.items, summary)
        if not result.has_next or not result.items:
            return summary
        page += 1


def _sync_page(items, summary: SyncSummary) -> None:
    summary.seen += len(items)
    ids = [item.remypass_id for item in items]
    local = {t.remypass_id: t for t in
             Ticket.objects.filter(remypass_id__in=ids).select_related("booking")}
    summary.not_ours += len(set(ids) - set(local))
    for item in items:
        ticket = local.get(item.remypass_id)
        if ticket is None:
            continue
        summary.matched += 1
        if item.status and item.status != ticket.status:
            if take_remote_status(ticket, item):
                summary.changed += 1


# --- Reconciling tickets whose outcome is unknown ---------------------------


@dataclass
class ReconcileSummary:
    matched: list = field(default_factory=list)
    retried: list = field(default_factory=list)
    flagged: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    search_error: str = ""

    @property
    def settled(self):
        return len(self.matched) + len(self.retried)

    def __str__(self):
        lines = [f"matched to a pass RemyPass holds: {len(self.matched)}",
                 f"sent again and issued: {len(self.retried)}",
                 f"left flagged for a person to decide: {len(self.flagged)}",
                 f"sent again and failed: {len(self.failed)}"]
        if self.search_error:
            lines.append(f"RemyPass could not be searched: {self.search_error}")
        return "\n".join(lines)


# How far before our first send a matching pass may have been issued, for
# clocks that disagree.
CLOCK_SLACK = timedelta(minutes=5)


def reconcile_tickets(*, min_age_seconds: int, actor=None,
                      client=None) -> ReconcileSummary:
    """
    Settle tickets left sending or unknown for at least ``min_age_seconds``.

    Each is matched to the one pass RemyPass holds for it, or sent again when
    RemyPass holds none, or left flagged with the candidates found. Nothing is
    changed that the search cannot justify.
    """
    if actor is not None:
        require(actor, "reconcile_ticket")
    client = client or remypass.client()
    summary = ReconcileSummary()
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    stale = list(Ticket.objects.filter(
        status__in=[Ticket.Status.SENDING, Ticket.Status.UNKNOWN])
        .filter(_sent_before(cutoff)).select_related("booking"))
    if not stale:
        return summary
    try:
        held = list(client.iter_passes(include_void=True))
    except remypass.RemyPassError as exc:
        summary.search_error = exc.message
        return summary
    taken = set(Ticket.objects.exclude(remypass_id=None)
                .values_list("remypass_id", flat=True))
    for ticket in stale:
        if not _claim(ticket):
            continue  # another run or a person got to it first
        candidates = [p for p in held if p.remypass_id not in taken
                      and _could_be(p, ticket)]
        _settle(ticket, candidates, summary, actor=actor, client=client)
        if ticket.remypass_id:
            taken.add(ticket.remypass_id)
    return summary


def _sent_before(cutoff) -> Q:
    return Q(sent_at__lte=cutoff) | Q(sent_at__isnull=True, created_at__lte=cutoff)


def _claim(ticket: Ticket) -> bool:
    """Take the ticket for this run, unless someone changed it meanwhile."""
    claimed = Ticket.objects.filter(
        pk=ticket.pk, status=ticket.status, updated_at=ticket.updated_at,
    ).update(status=Ticket.Status.SENDING, updated_at=timezone.now())
    if claimed:
        ticket.status = Ticket.Status.SENDING
    return bool(claimed)


def _could_be(data: remypass.PassData, ticket: Ticket) -> bool:
    booking = ticket.booking
    if data.booking_id:
        # RemyPass echoes the booking id: that settles it either way.
        return data.booking_id == booking.booking_id
    if data.recipient_email.casefold() != booking.customer_email.casefold():
        return False
    if data.recipient_name and (data.recipient_name.casefold()
                                != booking.customer_name.casefold()):
        return False
    if data.film and data.film.casefold() != booking.film.casefold():
        return False
    return data.issued_at is None or data.issued_at >= ticket.created_at - CLOCK_SLACK


def _settle(ticket, candidates, summary, *, actor, client) -> None:
    label = ticket.booking.booking_id
    if len(candidates) == 1:
        with transaction.atomic():
            apply_pass_data(ticket, candidates[0])
            ticket.status = candidates[0].status or Ticket.Status.ACTIVE
            ticket.last_error = ""
            ticket.reconcile_candidates = []
            ticket.save()
            record(ticket, TicketEvent.Action.RECONCILED, actor=actor, message=_(
                "Matched to the pass RemyPass holds, serial number %(serial)s.")
                % {"serial": ticket.serial_number or "?"})
        summary.matched.append(label)
        return
    if candidates:
        ticket.status = Ticket.Status.UNKNOWN
        ticket.reconcile_candidates = [_describe_candidate(c) for c in candidates]
        ticket.last_error = _(
            "RemyPass holds %(n)s passes that could be this ticket; a "
            "supervisor must decide which.") % {"n": len(candidates)}
        ticket.save(update_fields=["status", "reconcile_candidates", "last_error",
                                   "updated_at"])
        record(ticket, TicketEvent.Action.UNKNOWN, actor=actor,
               message=ticket.last_error)
        summary.flagged.append(label)
        return
    # RemyPass holds nothing for it: sending again cannot make a duplicate,
    # and RemyPass would refuse the booking id if it did hold one.
    record(ticket, TicketEvent.Action.RETRIED, actor=actor, message=_(
        "RemyPass holds no pass for this booking; sending again."))
    ticket = send_ticket(ticket, actor=actor, client=client)
    if ticket.is_issued:
        summary.retried.append(label)
    elif ticket.status == Ticket.Status.UNKNOWN:
        summary.flagged.append(label)
    else:
        summary.failed.append(label)


def _describe_candidate(data: remypass.PassData) -> dict:
    return {"id": data.remypass_id, "serialNumber": data.serial_number,
            "status": data.status, "recipientName": data.recipient_name,
            "issuedAt": data.issued_at.isoformat() if data.issued_at else None}
