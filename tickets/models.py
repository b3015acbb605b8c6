"""
Local mirrors of what RemyPass holds, plus the bookings staff type in.

A ``Booking`` is what the box office entered; its ``Ticket`` is the RemyPass
pass instance made for it, created in the ``sending`` state *before* RemyPass
is called so that nothing typed is lost whatever RemyPass answers.
"""

from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Member(models.Model):
    """A RemyPass member (for event tickets, a visitor made from the customer)."""

    remypass_id = models.CharField(_("RemyPass id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    member_ref = models.CharField(_("external member id"), max_length=100,
                                  blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("last seen"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self):
        return self.name or self.remypass_id


class PassTemplate(models.Model):
    """A RemyPass pass template; RemyPass makes one per film and start time."""

    remypass_id = models.CharField(_("RemyPass id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    type = models.CharField(_("type"), max_length=50, blank=True)
    approved = models.BooleanField(_("approved"), null=True)
    updated_at = models.DateTimeField(_("last seen"), auto_now=True)

    class Meta:
        verbose_name = _("pass template")
        verbose_name_plural = _("pass templates")

    def __str__(self):
        return self.name or self.remypass_id


class Booking(models.Model):
    """A sale from the venue's booking system, as the box office typed it."""

    booking_id = models.CharField(
        _("booking id"), max_length=100, unique=True,
        help_text=_("The booking or order number from the booking system."))
    film = models.CharField(_("film or event"), max_length=200)
    start_time = models.DateTimeField(_("start time"), db_index=True)
    screen = models.CharField(_("screen"), max_length=50)
    row = models.CharField(_("row"), max_length=50)
    seat = models.CharField(_("seat"), max_length=50)
    general_admission = models.BooleanField(
        _("general admission"), default=False,
        help_text=_("Unreserved seating: the seat label may repeat."))
    customer_name = models.CharField(_("customer name"), max_length=200)
    customer_email = models.EmailField(_("customer email"), max_length=254)
    send_email = models.BooleanField(
        _("email the ticket"), default=True,
        help_text=_("RemyPass emails the ticket to the customer."))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True,
        blank=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            # The ticket list filtered by start date is sorted by start time,
            # then booking; this index gives it that order directly.
            models.Index(fields=["start_time", "id"], name="booking_start_time_id"),
            # The ticket list filtered by screen: which bookings are on a
            # screen, answered from the index alone.
            models.Index(fields=["screen", "id"], name="booking_screen_id"),
        ]
        constraints = [
            # "B-1001" and "b-1001" are one sale typed twice, not two.
            # TODO: on SQLite, UPPER() folds ASCII letters only, so "É-1" and
            # "é-1" still count as two bookings there; PostgreSQL folds all.
            models.UniqueConstraint(
                Upper("booking_id"), name="booking_id_unique_in_any_case",
                violation_error_message=_("This booking id already has a "
                                          "ticket.")),
        ]

    def __str__(self):
        return self.booking_id

    def seat_key(self):
        """Return the key that may hold one live ticket, or None if unreserved."""
        if self.general_admission:
            return None
        start = self.start_time.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
        parts = (self.screen, start, self.row, self.seat)
        return "|".join(" ".join(part.split()).casefold() for part in parts)


class TicketQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status__in=Ticket.SEAT_FREEING_STATUSES)

    def needing_attention(self):
        return self.filter(status__in=Ticket.ATTENTION_STATUSES)

    def search(self, term):
        """
        Return tickets matching a booking id, serial number, customer or film.

        Serial numbers and RemyPass ids are matched exactly on their own
        indexes first; other terms are looked up in the booking table only, so
        every branch can be answered from an index on a big table. On
        PostgreSQL the case-insensitive prefixes have expression indexes of
        their own (migration 0004), which must keep matching the SQL Django
        writes for ``istartswith``.
        """
        term = term.strip()
        if not term:
            return self
        # Serial numbers are upper case; staff reading one off a phone may
        # type it in lower case.
        exact = self.filter(Q(serial_number=term) | Q(serial_number=term.upper())
                            | Q(remypass_id=term))
        if exact.exists():
            return exact
        return self.filter(
            Q(booking__booking_id__iexact=term)
            | Q(booking__customer_email__istartswith=term)
            | Q(booking__customer_name__istartswith=term)
            | Q(booking__film__istartswith=term)
        )


class Ticket(models.Model):
    """The RemyPass pass instance for one booking, and where it stands."""

    class Status(models.TextChoices):
        # Local states, before RemyPass has confirmed a ticket.
        SENDING = "sending", _("Sending to RemyPass")
        UNKNOWN = "unknown", _("Outcome unknown")
        FAILED = "failed", _("Failed, safe to retry")
        REJECTED = "rejected", _("Rejected by RemyPass")
        # RemyPass's own four.
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        EXPIRED = "expired", _("Expired")
        VOID = "void", _("Void")

    REMOTE_STATUSES = ("active", "inactive", "expired", "void")
    SEAT_FREEING_STATUSES = ("void", "rejected")
    ATTENTION_STATUSES = ("sending", "unknown", "failed", "rejected")
    RETRYABLE_STATUSES = ("failed", "unknown")
    VOIDABLE_STATUSES = ("active", "inactive", "expired")

    booking = models.OneToOneField(Booking, verbose_name=_("booking"),
                                   on_delete=models.PROTECT, related_name="ticket")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.SENDING, db_index=True)
    # Copied from the booking: the one-live-ticket-per-seat rule must be a
    # database constraint, and those cannot reach across a join.
    seat_key = models.CharField(max_length=200, null=True, blank=True,
                                editable=False)

    remypass_id = models.CharField(_("RemyPass id"), max_length=64, unique=True,
                                   null=True, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100,
                                     blank=True, db_index=True)
    member = models.ForeignKey(Member, verbose_name=_("member"), null=True,
                               blank=True, on_delete=models.SET_NULL,
                               related_name="tickets")
    pass_template = models.ForeignKey(PassTemplate, verbose_name=_("pass template"),
                                      null=True, blank=True,
                                      on_delete=models.SET_NULL,
                                      related_name="tickets")
    recipient_name = models.CharField(_("recipient name"), max_length=200,
                                      blank=True)
    recipient_email = models.EmailField(_("recipient email"), max_length=254,
                                        blank=True)
    expiry_date = models.DateTimeField(_("expires"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    apple_wallet_url = models.URLField(_("Apple Wallet link"), max_length=1000,
                                       blank=True)
    google_wallet_url = models.URLField(_("Google Wallet link"), max_length=1000,
                                        blank=True)
    email_sent = models.BooleanField(
        _("email sent"), null=True,
        help_text=_("Empty when RemyPass did not say."))
    remypass_message = models.CharField(_("RemyPass's message"), max_length=500,
                                        blank=True)

    last_error = models.TextField(_("what went wrong"), blank=True)
    attempts = models.PositiveIntegerField(_("times sent"), default=0)
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    reconcile_candidates = models.JSONField(
        _("possible matches in RemyPass"), default=list, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=200, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("voided by"), null=True,
        blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="ticket_newest_first"),
            # The list filtered by status, newest first. The booking comes
            # last so that a filter on the booking too is joined from the
            # index alone.
            models.Index(fields=["status", "-created_at", "-id", "booking"],
                         name="ticket_status_newest_first"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["seat_key"],
                condition=Q(seat_key__isnull=False)
                & ~Q(status__in=["void", "rejected"]),
                name="one_live_ticket_per_seat",
                violation_error_message=_("This seat already has a live ticket."),
            ),
        ]
        permissions = [
            ("issue_ticket", _("Can issue tickets")),
            ("retry_ticket", _("Can retry failed tickets")),
            ("void_ticket", _("Can void tickets")),
            ("refresh_ticket", _("Can refresh tickets from RemyPass")),
            ("reconcile_ticket", _("Can reconcile tickets with RemyPass")),
            ("export_ticket", _("Can export tickets")),
        ]

    def __str__(self):
        if self.serial_number:
            return self.serial_number
        return _("Ticket for %(booking)s") % {"booking": self.booking.booking_id}

    def get_absolute_url(self):
        return reverse("tickets:detail", args=[self.pk])

    @property
    def can_retry(self):
        return self.status in self.RETRYABLE_STATUSES

    @property
    def can_void(self):
        return bool(self.remypass_id) and self.status in self.VOIDABLE_STATUSES

    @property
    def can_reconcile(self):
        return self.status in (self.Status.SENDING, self.Status.UNKNOWN)

    @property
    def can_refresh(self):
        return bool(self.remypass_id)

    @property
    def needs_attention(self):
        return self.status in self.ATTENTION_STATUSES

    @property
    def is_issued(self):
        return self.status in self.REMOTE_STATUSES


class TicketEvent(models.Model):
    """One entry in a ticket's history; written once, never edited."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        SENT = "sent", _("Sent to RemyPass")
        ISSUED = "issued", _("Issued")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        RETRIED = "retried", _("Retried")
        RECONCILED = "reconciled", _("Reconciled")
        VOID_REQUESTED = "void_requested", _("Void requested")
        VOIDED = "voided", _("Voided")
        VOID_FAILED = "void_failed", _("Void failed")
        STATUS_CHANGED = "status_changed", _("Status changed in RemyPass")
        REFRESHED = "refreshed", _("Refreshed from RemyPass")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"),
                               on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("what happened"), max_length=20,
                              choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                              null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    status = models.CharField(_("status after"), max_length=20, blank=True,
                              choices=Ticket.Status.choices)
    message = models.TextField(_("details"), blank=True)
    remypass_answer = models.CharField(_("RemyPass answered"), max_length=500,
                                       blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now,
                                      db_index=True)

    class Meta:
        verbose_name = _("ticket history entry")
        verbose_name_plural = _("ticket history")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class Screening(models.Model):
    """A showing in the venue's catalogue, offered as a pick on the issue form."""

    film = models.CharField(
        _("film or event"), max_length=200,
        help_text=_("Spelled exactly as it should appear on every ticket."))
    screen = models.CharField(_("screen"), max_length=50)
    start_time = models.DateTimeField(_("start time"), db_index=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["start_time", "screen"]
        constraints = [
            models.UniqueConstraint(
                fields=["screen", "start_time"], name="one_screening_per_screen_slot",
                violation_error_message=_("This screen already has a screening "
                                          "at that time.")),
        ]

    def __str__(self):
        start = timezone.localtime(self.start_time)
        return f"{self.film}, {self.screen}, {start:%d %b %Y %H:%M}"
