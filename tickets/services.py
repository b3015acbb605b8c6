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
* One ticket per booking id and one live ticket per seat are database
  constraints, so they hold when two staff save at the same moment; a ticket
  is sent only by whoever moved it to ``sending``, so it is sent once.

The steps that must be committed before RemyPass is called run in
``transaction.atomic(durable=True)``, which refuses to run inside an outer
transaction (a view wrapped in ATOMIC_REQUESTS, say) instead of silently
holding that transaction open across the HTTP call.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
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
                               "j M Y, H:i")
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
        # Committed here, before RemyPass hears of it: nothing typed is lost.
        with transaction.atomic(durable=True):
            booking.save()
            ticket = Ticket.objects.create(booking=booking,
                                           seat_key=seat_key(booking))
            record(ticket, TicketEvent.Action.CREATED, actor=entered_by)
    except IntegrityError:
        raise _explain_conflict(booking) from None
    return ticket


def _explain_conflict(booking: Booking) -> TicketError:
    existing = (Ticket.objects.select_related("booking__entered_by")
                .filter(booking__booking_id__iexact=booking.booking_id).first())
    if existing:
        return BookingIdTaken(existing)
    return SeatTaken(seat_holder(booking))


def seat_key(booking: Booking) -> str | None:
    """Return the booking's seat key, shortened to fit the ticket's column."""
    key = booking.seat_key()
    limit = Ticket._meta.get_field("seat_key").max_length
    if key is not None and len(key) > limit:
        # Case folding can lengthen text ("ß" becomes "ss"); a digest keeps
        # long keys distinct where cutting them short would not.
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def seat_holder(booking: Booking, *, exclude_ticket: Ticket | None = None):
    """Return the booking whose live ticket holds this seat, if any."""
    key = seat_key(booking)
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
    with transaction.atomic(durable=True):
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
        ticket.seat_key = seat_key(booking)
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
             .filter(booking__booking_id__iexact=booking.booking_id)
             .exclude(pk=ticket.pk).first())
    if other:
        return BookingIdTaken(other)
    return SeatTaken(seat_holder(booking, exclude_ticket=ticket))


def retry_ticket(ticket: Ticket, *, actor, client=None) -> Ticket:
    """Send a failed or unknown ticket again, with the same booking id."""
    require(actor, "retry_ticket")
    with transaction.atomic(durable=True):
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
    # Only the ticket row is locked: PostgreSQL cannot lock the nullable side
    # of the outer join to the booking's user.
    return (Ticket.objects.select_for_update(of=("self",))
            .select_related("booking", "booking__entered_by").get(pk=ticket.pk))


def send_ticket(ticket: Ticket, *, actor, client=None) -> Ticket:
    """
    Call RemyPass for a ticket in the ``sending`` state and store the outcome.

    Must run outside a transaction: the claim on the ticket is already
    committed, and the HTTP call may take as long as the timeout.
    """
    client = client or remypass.client()
    booking = ticket.booking
    with transaction.atomic(durable=True):
        ticket.sent_at = timezone.now()
        Ticket.objects.filter(pk=ticket.pk).update(
            attempts=F("attempts") + 1, sent_at=ticket.sent_at)
        ticket.attempts = Ticket.objects.values_list(
            "attempts", flat=True).get(pk=ticket.pk)
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
    with transaction.atomic():
        current = _lock(ticket)
        if current.status != Ticket.Status.SENDING:
            # Settled meanwhile (an earlier attempt's answer, or a person):
            # a failure never overwrites what is already known.
            logger.warning("Ticket for booking %s: %s arrived after it became "
                           "%s; left as it is", ticket.booking.booking_id,
                           type(exc).__name__, current.status)
            return current
        ticket.status = status
        ticket.last_error = message
        ticket.remypass_message = exc.api_message[:500]
        ticket.save(update_fields=["status", "last_error", "remypass_message",
                                   "updated_at"])
        record(ticket, action, actor=actor, message=message,
               answer=exc.api_message)
    logger.warning("Ticket for booking %s is %s after %s", ticket.booking.booking_id,
                   status, type(exc).__name__)
    return ticket


def booking_id_refused(ticket: Ticket) -> str:
    """Return what staff are told when RemyPass already has the booking id."""
    return _("RemyPass already has a ticket for booking id %(booking)s. Check "
             "the booking id.") % {"booking": ticket.booking.booking_id}


def _classify_failure(ticket: Ticket, exc: remypass.RemyPassError):
    Status, Action = Ticket.Status, TicketEvent.Action
    landed = _an_earlier_attempt_may_have_landed(ticket)
    if isinstance(exc, remypass.RemyPassDuplicate):
        if landed:
            # That attempt's ticket is the one RemyPass holds.
            return Status.UNKNOWN, Action.UNKNOWN, _(
                "RemyPass already has this booking: an earlier attempt did reach "
                "it. The ticket is marked for reconciliation; do not issue it "
                "again.")
        return Status.REJECTED, Action.REJECTED, booking_id_refused(ticket)
    status, action, message = _classify_other_failure(exc)
    if landed and status != Status.UNKNOWN:
        # This attempt certainly made nothing, but an earlier one may have:
        # the details stay as RemyPass may hold them until reconciliation.
        return Status.UNKNOWN, Action.UNKNOWN, message + " " + _(
            "An earlier attempt may have reached RemyPass, so the ticket stays "
            "marked for reconciliation and its details cannot be changed "
            "until then.")
    return status, action, message


def _classify_other_failure(exc: remypass.RemyPassError):
    Status, Action = Ticket.Status, TicketEvent.Action
    if isinstance(exc, remypass.RemyPassServerError):
        # A gateway or server error can come after RemyPass did the work, so
        # the details must not change until reconciliation has looked.
        return Status.UNKNOWN, Action.UNKNOWN, _(
            "RemyPass had a problem on its side (error %(status)s) and may have "
            "created the ticket before it failed.") % {"status": exc.status} + " " + _(
            "The ticket is marked for reconciliation with RemyPass; do not "
            "enter the booking again.")
    if isinstance(exc, (remypass.RemyPassNoAnswer, remypass.RemyPassBadResponse)):
        return Status.UNKNOWN, Action.UNKNOWN, exc.message + " " + _(
            "The ticket is marked for reconciliation with RemyPass; do not "
            "enter the booking again.")
    if isinstance(exc, remypass.RemyPassNotFound):
        # A 404 to the issue call means the address is wrong, not the booking.
        return Status.FAILED, Action.FAILED, _(
            "RemyPass did not recognise the request (error 404). Ask your IT "
            "contact to check REMYPASS_BASE_URL.") + " " + _(
            "The booking is saved; retry it once this is fixed.")
    if isinstance(exc, remypass.RemyPassUnavailable):
        return Status.FAILED, Action.FAILED, exc.message + " " + _(
            "The booking is saved; retry it then.")
    if isinstance(exc, (remypass.RemyPassAuthError,
                        remypass.RemyPassPermissionError,
                        remypass.RemyPassNotConfigured)):
        return Status.FAILED, Action.FAILED, exc.message + " " + _(
            "The booking is saved; retry it once this is fixed.")
    return Status.REJECTED, Action.REJECTED, as_sentence(exc.message) + " " + _(
        "Correct the booking and send it again.")


def _an_earlier_attempt_may_have_landed(ticket: Ticket) -> bool:
    """
    Say whether an earlier send of this ticket ended without a clear answer.

    A rejection settles the question up to that point: it is only recorded
    when RemyPass is known to hold nothing of ours for the booking.
    """
    events = ticket.events.all()
    settled = (events.filter(action=TicketEvent.Action.REJECTED)
               .order_by("-id").values_list("id", flat=True).first())
    unclear = events.filter(action=TicketEvent.Action.UNKNOWN)
    if settled is not None:
        unclear = unclear.filter(id__gt=settled)
    return unclear.exists()


def as_sentence(text: str) -> str:
    """Return ``text`` ending in a full stop, so advice can follow it."""
    text = text.strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text


def _record_issued(ticket: Ticket, issued: remypass.IssuedTicket, *, actor,
                   client) -> Ticket:
    data = issued.passes
    if not (data.serial_number and data.apple_wallet_url and data.google_wallet_url):
        # The answer was thin; the full pass can still be asked for by id.
        try:
            fetched = client.get_pass(data.remypass_id,
                                      booking_id=ticket.booking.booking_id)
        except remypass.RemyPassError:
            logger.warning("Ticket for booking %s: RemyPass's answer lacked "
                           "fields and the pass could not be fetched",
                           ticket.booking.booking_id)
        else:
            if fetched.remypass_id == data.remypass_id:
                data = fetched
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.remypass_id and ticket.remypass_id != data.remypass_id:
            # RemyPass keeps booking ids unique, so this should never happen;
            # if it does, the pass already recorded stays and people decide.
            logger.error("Ticket for booking %s already holds another pass; "
                         "RemyPass's new answer was not applied",
                         ticket.booking.booking_id)
            return ticket
        # A confirmed pass is the truth, whatever state the ticket reached
        # meanwhile (an earlier "unknown" included).
        apply_pass_data(ticket, data)
        ticket.status = data.status or Ticket.Status.ACTIVE
        ticket.email_sent = issued.email_sent
        ticket.remypass_message = issued.message
        ticket.last_error = ""
        ticket.reconcile_candidates = []
        try:
            with transaction.atomic():
                ticket.save()
        except IntegrityError:
            # Another ticket here already holds this pass id.
            return _pass_held_elsewhere(ticket, data, actor=actor)
        record(ticket, TicketEvent.Action.ISSUED, actor=actor,
               message=_("Serial number %(serial)s.") % {
                   "serial": ticket.serial_number or "?"},
               answer=issued.message)
    return ticket


def _pass_held_elsewhere(ticket, data, *, actor) -> Ticket:
    ticket = _lock(ticket)
    ticket.status = Ticket.Status.UNKNOWN
    ticket.last_error = _(
        "RemyPass answered with ticket %(id)s, which another booking here "
        "already holds. A supervisor must reconcile the two.") % {
            "id": data.remypass_id}
    ticket.save(update_fields=["status", "last_error", "updated_at"])
    record(ticket, TicketEvent.Action.UNKNOWN, actor=actor,
           message=ticket.last_error)
    logger.error("Ticket for booking %s: RemyPass's pass id is held by another "
                 "ticket", ticket.booking.booking_id)
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
    with transaction.atomic(durable=True):
        record(ticket, TicketEvent.Action.VOID_REQUESTED, actor=actor,
               message=reason)
    booking_id = ticket.booking.booking_id
    try:
        answer = client.revoke_pass(ticket.remypass_id, booking_id=booking_id)
    except (remypass.RemyPassAuthError, remypass.RemyPassPermissionError,
            remypass.RemyPassBusy, remypass.RemyPassNotReached,
            remypass.RemyPassNotConfigured) as exc:
        # RemyPass certainly did not carry these out: nothing to check.
        return _void_failed(ticket, exc.message + " " + _still_shown(ticket),
                            actor=actor, answer=exc.api_message)
    except remypass.RemyPassError as exc:
        # Anything else may hide a void that happened (a timeout, a 500 after
        # the work was done, "already void"): RemyPass's own record decides.
        return _void_after_check(ticket, exc, actor=actor, reason=reason,
                                 client=client)
    ticket = _mark_void(ticket, actor=actor, reason=reason, answer=answer)
    return VoidOutcome(ticket, True, _("Voided in RemyPass."))


def _still_shown(ticket) -> str:
    return _("The ticket was not voided; it is still %(status)s.") % {
        "status": ticket.get_status_display()}


def _void_reason(exc) -> str:
    """Say why RemyPass did not void, in words that fit a void."""
    if isinstance(exc, remypass.RemyPassNotFound):
        return _("RemyPass answered that it could not find the ticket to void "
                 "(error 404).")
    if isinstance(exc, remypass.RemyPassRejected):
        return _("RemyPass refused to void the ticket: %(reason)s") % {
            "reason": as_sentence(exc.api_message or _("no reason given"))}
    return exc.message


def _void_after_check(ticket, exc, *, actor, reason, client) -> VoidOutcome:
    try:
        data = client.get_pass(ticket.remypass_id,
                               booking_id=ticket.booking.booking_id)
    except remypass.RemyPassNotFound as check_exc:
        return _void_failed(ticket, _void_reason(check_exc) + " " + _(
            "It is still shown as %(status)s here; ask a supervisor to check "
            "it in RemyPass.") % {"status": ticket.get_status_display()},
            actor=actor, answer=exc.api_message)
    except remypass.RemyPassError:
        return _void_failed(ticket, _void_reason(exc) + " " + _(
            "RemyPass could not be asked whether the ticket is void; it is "
            "still shown as %(status)s. Try again.") % {
                "status": ticket.get_status_display()}, actor=actor,
            answer=exc.api_message)
    if data.status == Ticket.Status.VOID:
        ticket = _mark_void(
            ticket, actor=actor, reason=reason,
            answer=exc.api_message or _("RemyPass holds the pass as void."))
        return VoidOutcome(ticket, True, _("Voided in RemyPass."))
    held_as = _status_label(data.status) if data.status else _("not void")
    return _void_failed(ticket, _void_reason(exc) + " " + _(
        "RemyPass still holds the ticket as %(status)s, so it is not marked "
        "void.") % {"status": held_as}, actor=actor, answer=exc.api_message)


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
                   "status": _status_label(data.status)},
               answer=data.status)
    return Ticket.objects.select_related("booking").get(pk=ticket.pk)


def _status_label(status: str) -> str:
    return Ticket.Status(status).label if status in Ticket.Status.values else "?"


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
                   "old": old, "new": ticket.get_status_display()},
               answer=new_status)
    return True


# Passes asked for per page when walking RemyPass's list (its maximum).
SYNC_PAGE_SIZE = 100


@dataclass
class SyncSummary:
    seen: int = 0
    matched: int = 0
    changed: list = field(default_factory=list)
    not_ours: int = 0
    error: str = ""

    def __str__(self):
        lines = [
            _("Passes read from RemyPass: %(n)s") % {"n": self.seen},
            _("Matching a ticket here: %(n)s") % {"n": self.matched},
            _("Status changes recorded: %(n)s") % {"n": len(self.changed)},
            _("Not issued from this installation, left alone: %(n)s") % {
                "n": self.not_ours},
        ]
        if self.error:
            lines.append(_("RemyPass could not be read to the end, so later "
                           "passes were not checked: %(error)s") % {
                               "error": self.error})
        return "\n".join(lines)


def sync_tickets(*, client=None) -> SyncSummary:
    """
    Walk every pass in RemyPass, void ones included, and take each changed status.

    Only tickets issued here are touched: a pass with no ticket here is
    counted and left alone, and a void ticket stays void. When RemyPass stops
    answering part way, what was read is still applied (each pass read is
    RemyPass's word) and the summary carries the error.
    """
    client = client or remypass.client()
    summary = SyncSummary()
    batch = []
    try:
        for item in client.iter_passes(include_void=True, limit=SYNC_PAGE_SIZE):
            batch.append(item)
            if len(batch) == SYNC_PAGE_SIZE:
                _sync_page(batch, summary)
                batch = []
    except remypass.RemyPassError as exc:
        summary.error = exc.message
        logger.warning("Sync stopped after %s passes: %s", summary.seen + len(batch),
                       type(exc).__name__)
    _sync_page(batch, summary)
    return summary


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
        if not item.status or item.status == ticket.status:
            continue
        before = ticket.get_status_display()
        if take_remote_status(ticket, item):
            summary.changed.append(_("%(booking)s: %(old)s → %(new)s") % {
                "booking": ticket.booking.booking_id, "old": before,
                "new": Ticket.Status(item.status).label})


# --- Reconciling tickets whose outcome is unknown ---------------------------


@dataclass
class ReconcileSummary:
    matched: list = field(default_factory=list)
    retried: list = field(default_factory=list)
    flagged: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    search_error: str = ""

    @property
    def settled(self):
        return len(self.matched) + len(self.retried)

    def __str__(self):
        lines = [
            _("Matched to a pass RemyPass holds: %(n)s") % {"n": len(self.matched)},
            _("Sent again and issued: %(n)s") % {"n": len(self.retried)},
            _("Left flagged for a person to decide: %(n)s") % {
                "n": len(self.flagged)},
            _("Sent again and not issued: %(n)s") % {"n": len(self.failed)},
            _("Skipped, changed by someone else meanwhile: %(n)s") % {
                "n": len(self.skipped)},
            _("Rejected, booking id held by another sale: %(n)s") % {
                "n": len(self.refused)},
        ]
        if self.search_error:
            lines.append(_("RemyPass could not be searched, so nothing was "
                           "changed: %(error)s") % {"error": self.search_error})
        return "\n".join(lines)


# How far before our first send a matching pass may have been issued, for
# clocks that disagree.
CLOCK_SLACK = timedelta(minutes=5)
# How far a pass's event time may differ from the booking's start time
# (RemyPass may round it).
EVENT_TIME_SLACK = timedelta(minutes=1)


def send_grace() -> timedelta:
    """Return how long a send may still be under way, retries included."""
    connect = min(settings.REMYPASS_CONNECT_TIMEOUT, settings.REMYPASS_TIMEOUT)
    # The issue call is tried at most twice (once more only if never sent).
    seconds = 2 * (connect + settings.REMYPASS_TIMEOUT) + 5
    return timedelta(seconds=seconds)


def reconcile_min_age() -> int:
    """Return how long ago a ticket must have been sent to be reconciled now.

    Used when a supervisor asks; cron waits TICKETS_RECONCILE_MIN_AGE instead.
    """
    # A ticket sent within one full RemyPass timeout may still be on its way;
    # settling it now could send it a second time.
    return math.ceil(settings.REMYPASS_CONNECT_TIMEOUT + settings.REMYPASS_TIMEOUT)


def reconcile_tickets(*, min_age_seconds: int, actor=None, client=None,
                      only: Ticket | None = None) -> ReconcileSummary:
    """
    Settle tickets left sending or unknown for at least ``min_age_seconds``.

    Each is matched to the one pass RemyPass holds for it, or sent again when
    RemyPass holds none, or left flagged with the candidates found. Nothing is
    changed that the search cannot justify: if RemyPass cannot be searched to
    the end, nothing is changed at all.

    A ticket still ``sending`` is only taken once a send could no longer be
    under way (``send_grace``), whatever ``min_age_seconds`` says, so this never
    races a send in progress or another run that has just claimed it.
    """
    if actor is not None:
        require(actor, "reconcile_ticket")
    client = client or remypass.client()
    summary = ReconcileSummary()
    stale = _stale_tickets(min_age_seconds, only=only)
    if not stale:
        return summary
    try:
        # TODO: RemyPass has no lookup by booking id or serial number, so even
        # one ticket's reconciliation reads every pass the account holds, 100
        # a page. An account past a million passes meets the client's page cap
        # and cannot be reconciled at all; use a lookup once RemyPass has one.
        held = list(client.iter_passes(include_void=True))
    except remypass.RemyPassError as exc:
        summary.search_error = exc.message
        logger.warning("Reconciliation stopped: RemyPass could not be searched "
                       "(%s)", type(exc).__name__)
        return summary
    for ticket in stale:
        label = ticket.booking.booking_id
        if not _claim(ticket, min_age_seconds):
            summary.skipped.append(label)  # another run or a person got to it
            continue
        # Read after the claim, so passes matched meanwhile are left alone.
        taken = set(Ticket.objects.exclude(pk=ticket.pk).exclude(remypass_id=None)
                    .values_list("remypass_id", flat=True))
        candidates = [p for p in held if p.remypass_id not in taken
                      and could_be(p, ticket)]
        if not candidates and _held_for_another_sale(held, ticket):
            _reject_as_another_sales(ticket, actor=actor)
            summary.refused.append(label)
            continue
        _settle(ticket, candidates, summary, actor=actor, client=client)
    return summary


def _stale_tickets(min_age_seconds: int, *, only=None) -> list[Ticket]:
    tickets = Ticket.objects.filter(_stale_q(min_age_seconds))
    if only is not None:
        tickets = tickets.filter(pk=only.pk)
    return list(tickets.select_related("booking").order_by("created_at", "id"))


def _stale_q(min_age_seconds: int) -> Q:
    now = timezone.now()
    cutoff = now - timedelta(seconds=min_age_seconds)
    sending_cutoff = min(cutoff, now - send_grace())
    return ((Q(status=Ticket.Status.UNKNOWN) & _sent_before(cutoff))
            | (Q(status=Ticket.Status.SENDING) & _sent_before(sending_cutoff)))


def _sent_before(cutoff) -> Q:
    return Q(sent_at__lte=cutoff) | Q(sent_at__isnull=True, created_at__lte=cutoff)


def _claim(ticket: Ticket, min_age_seconds: int) -> bool:
    """
    Take the ticket for this run, unless someone changed it meanwhile.

    One conditional UPDATE: it matches only if the row is still as this run
    read it and still stale. The claim moves it to ``sending`` with a fresh
    ``sent_at``, which no other run takes within the send grace, so two runs
    never settle one ticket.
    """
    now = timezone.now()
    claimed = (Ticket.objects
               .filter(pk=ticket.pk, status=ticket.status,
                       updated_at=ticket.updated_at)
               .filter(_stale_q(min_age_seconds))
               .update(status=Ticket.Status.SENDING, sent_at=now, updated_at=now))
    if claimed:
        ticket.status = Ticket.Status.SENDING
        ticket.sent_at = ticket.updated_at = now
    return bool(claimed)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def could_be(data: remypass.PassData, ticket: Ticket) -> bool:
    """Say whether a pass RemyPass holds may be the one made for ``ticket``."""
    booking = ticket.booking
    if ticket.remypass_id:
        return data.remypass_id == ticket.remypass_id
    if data.booking_id and data.booking_id != booking.booking_id:
        return False
    # Without the booking id, the recipient's email is the least a match needs.
    if not data.booking_id and not data.recipient_email:
        return False
    # Every detail the pass does carry must agree with the booking: a pass
    # made for another sale under the same booking id is not this ticket's.
    if data.recipient_email and not _same_text(data.recipient_email,
                                               booking.customer_email):
        return False
    checks = [(data.recipient_name, booking.customer_name),
              (data.event_name, booking.film),
              (data.seat_section, booking.screen),
              (data.seat_row, booking.row),
              (data.seat_number, booking.seat)]
    if any(theirs and not _same_text(theirs, ours) for theirs, ours in checks):
        return False
    if (not data.event_name and data.template and data.template.name
            and booking.film.casefold() not in data.template.name.casefold()):
        return False
    if data.event_time and abs(data.event_time - booking.start_time) > EVENT_TIME_SLACK:
        return False
    # A pass issued before the booking was typed in is someone else's.
    return data.issued_at is None or data.issued_at >= ticket.created_at - CLOCK_SLACK


def _held_for_another_sale(held, ticket: Ticket) -> bool:
    """Say whether RemyPass holds this booking id on a pass that is not ours."""
    booking_id = ticket.booking.booking_id.casefold()
    return any(p.booking_id and p.booking_id.casefold() == booking_id
               for p in held)


def _reject_as_another_sales(ticket: Ticket, *, actor) -> None:
    """
    Reject a ticket whose booking id RemyPass holds for a different sale.

    RemyPass keeps booking ids unique, so none of our attempts can have made
    a pass of their own: the booking id must change before it is sent again.
    """
    with transaction.atomic():
        ticket = _lock(ticket)
        ticket.status = Ticket.Status.REJECTED
        ticket.last_error = _(
            "RemyPass holds a ticket for booking id %(booking)s made for another "
            "sale (another customer, showing or seat), so none of this "
            "booking's attempts made a ticket. Check the booking id, correct "
            "it and send again.") % {"booking": ticket.booking.booking_id}
        ticket.reconcile_candidates = []
        ticket.save(update_fields=["status", "last_error",
                                   "reconcile_candidates", "updated_at"])
        record(ticket, TicketEvent.Action.REJECTED, actor=actor,
               message=ticket.last_error)


def _settle(ticket, candidates, summary, *, actor, client) -> None:
    label = ticket.booking.booking_id
    if len(candidates) == 1 and _adopt(ticket, candidates[0], actor=actor):
        summary.matched.append(label)
        return
    if candidates:
        _flag(ticket, candidates, actor=actor)
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


def _adopt(ticket, data: remypass.PassData, *, actor) -> bool:
    """Match the ticket to a pass; return False if another ticket took it."""
    try:
        with transaction.atomic():
            locked = _lock(ticket)
            apply_pass_data(locked, data)
            locked.status = data.status or Ticket.Status.ACTIVE
            locked.last_error = ""
            locked.reconcile_candidates = []
            locked.save()
            record(locked, TicketEvent.Action.RECONCILED, actor=actor, message=_(
                "Matched to the pass RemyPass holds, serial number %(serial)s.")
                % {"serial": locked.serial_number or "?"})
    except IntegrityError:
        # A concurrent run matched the same pass to another ticket first.
        return False
    return True


# TODO: a supervisor cannot yet pick one of the candidates from the pages;
# the admin shows them only as raw data, and settling such a ticket means
# voiding the spare passes in RemyPass's dashboard and reconciling again.
def _flag(ticket, candidates, *, actor) -> None:
    with transaction.atomic():
        ticket = _lock(ticket)
        ticket.status = Ticket.Status.UNKNOWN
        ticket.reconcile_candidates = [_describe_candidate(c) for c in candidates]
        ticket.last_error = _(
            "RemyPass holds %(n)s passes that could be this ticket; a "
            "supervisor must decide which.") % {"n": len(candidates)}
        ticket.save(update_fields=["status", "reconcile_candidates", "last_error",
                                   "updated_at"])
        record(ticket, TicketEvent.Action.UNKNOWN, actor=actor,
               message=ticket.last_error)


def _describe_candidate(data: remypass.PassData) -> dict:
    return {"id": data.remypass_id, "serialNumber": data.serial_number,
            "status": data.status, "recipientName": data.recipient_name,
            "issuedAt": data.issued_at.isoformat() if data.issued_at else None}
