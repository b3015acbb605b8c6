"""
The staff admin: find tickets in a big table, read what RemyPass holds, act.

The list is built for a table of a million tickets: the booking is joined in
the same query, the page count is capped instead of counting every row, and
search and filters only use indexed columns. Every action goes through the
service functions, which check the user's permission again.
"""

import logging
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import exports, services
from .admin_forms import BookingAdminForm
from .forms import VoidForm
from .templatetags.box_office import venue_time
from .models import (
    Booking, Member, PassTemplate, Screening, Ticket, TicketEvent)

logger = logging.getLogger(__name__)

# At most this many tickets per action that calls RemyPass once per ticket.
VOID_BATCH_LIMIT = 200
BATCH_LIMIT = VOID_BATCH_LIMIT
# How many booking ids a message lists before it says "and N more".
NAMES_SHOWN = 20


def _names(labels) -> str:
    shown = ", ".join(labels[:NAMES_SHOWN])
    rest = len(labels) - NAMES_SHOWN
    if rest > 0:
        shown += " " + ngettext("and %(count)d more", "and %(count)d more",
                                rest) % {"count": rest}
    return shown


def _about(label: str, text: str) -> str:
    """Return a message about one ticket, named by its booking id."""
    return gettext("%(booking)s: %(message)s") % {"booking": label, "message": text}


class CappedCountPaginator(Paginator):
    """Count at most ``cap`` + 1 rows; past that the admin says "more than"."""

    cap = 10_000

    @cached_property
    def count(self):
        # The order cannot change how many rows there are; dropped, it leaves
        # the planner free to start from whichever index the filter can use.
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def is_capped(self):
        return self.count > self.cap


class IdsFirstChangeList(ChangeList):
    """
    Pick a page's rows by id first, then read only those rows in full.

    Both steps are one query, the ids being a subquery with the page's limit.
    PostgreSQL can often find the ids from indexes alone; asked for whole rows
    at once, it reads every row it passes on the way to the page, which is
    slow when few rows match filters on both the ticket and its booking.
    """

    def get_results(self, request):
        super().get_results(request)
        if self.list_editable:
            return  # the formset needs the page's own queryset
        page = self.result_list
        if not page.query.is_sliced:
            # The whole list fits on one page, so the count is exact (the cap
            # is far above a page) and says how many rows to read.
            page = page[: self.result_count]
        self.result_list = self.queryset.filter(pk__in=page.values("pk"))


class ScreenFilter(admin.SimpleListFilter):
    title = _("screen")
    parameter_name = "screen"
    # Screens in use lately, told by the newest bookings; a few thousand
    # cover days of sales and are read from the primary key's index.
    recent_bookings = 5000

    def lookups(self, request, model_admin):
        # Screens in use around now. The catalogue of screenings is small;
        # reading months of bookings for their screens would not be.
        now = timezone.now()
        listed = (Screening.objects.filter(start_time__range=(
            now - timedelta(days=60), now + timedelta(days=120)))
            .order_by().values_list("screen", flat=True).distinct())
        sold = (Booking.objects.order_by("-pk")
                .values_list("screen", flat=True)[:self.recent_bookings])
        screens = set(listed) | set(sold)
        return [(screen, screen) for screen in sorted(screens)[:50]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(booking__screen=self.value())
        return queryset


class StartDateFilter(admin.SimpleListFilter):
    """
    Tickets by when their showing starts, listed by start time.

    The list is sorted by start time while this filter is on: soonest first,
    or latest first for past showings. A showing's tickets then sit together,
    and the booking's start-time index gives the page without reading every
    newer ticket first.
    """

    title = _("start date")
    parameter_name = "starts"
    LATEST_FIRST = ("past7", "past")

    @classmethod
    def ordering(cls, value):
        """Return the list's order for this value, or None to keep the usual."""
        if value in cls.LATEST_FIRST:
            return ["-booking__start_time", "-booking_id"]
        if value in ("today", "tomorrow", "next7", "upcoming"):
            return ["booking__start_time", "booking_id"]
        return None

    def lookups(self, request, model_admin):
        return [
            ("today", _("Today")),
            ("tomorrow", _("Tomorrow")),
            ("next7", _("Next 7 days")),
            ("past7", _("Past 7 days")),
            ("upcoming", _("All upcoming")),
            ("past", _("All past")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localtime().replace(hour=0, minute=0, second=0,
                                             microsecond=0)
        day = timedelta(days=1)
        ranges = {
            "today": (today, today + day),
            "tomorrow": (today + day, today + 2 * day),
            "next7": (timezone.now(), today + 8 * day),
            "past7": (today - 7 * day, timezone.now()),
        }
        value = self.value()
        if value in ranges:
            start, end = ranges[value]
            return queryset.filter(booking__start_time__gte=start,
                                   booking__start_time__lt=end)
        if value == "upcoming":
            return queryset.filter(booking__start_time__gte=timezone.now())
        if value == "past":
            return queryset.filter(booking__start_time__lt=timezone.now())
        return queryset


class TicketEventInline(admin.TabularInline):
    """The ticket's history: written by the services, never edited here."""

    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "actor", "status", "message",
              "remypass_answer")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = _("History (newest first)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the ticket may see its history.
        return (request.user.has_perm("tickets.view_ticket")
                or request.user.has_perm("tickets.change_ticket"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SelectionCheckedAdmin(admin.ModelAdmin):
    """An admin whose actions refuse a selection that names no real row."""

    # The largest primary key the databases hold (a 64-bit integer).
    LARGEST_ID = 2**63 - 1

    def response_action(self, request, queryset):
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        if any(not (value.isascii() and value.isdigit()
                    and int(value) <= self.LARGEST_ID) for value in selected):
            # Only a hand-made request can send these; Django would answer
            # with a server error.
            self.message_user(request, gettext(
                "The selection was not understood. Tick the tickets again."),
                messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


@admin.register(Ticket)
class TicketAdmin(SelectionCheckedAdmin):
    list_display = ("booking_ref", "film", "starts", "screen", "seat",
                    "customer", "status", "email_sent", "issued_at")
    list_display_links = ("booking_ref",)
    list_filter = ("status", ScreenFilter, StartDateFilter)
    list_select_related = ("booking",)
    list_per_page = 50
    show_full_result_count = False
    # Counts beside each filter choice would count every ticket once per
    # choice, which on a big table takes minutes; the link is not offered.
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    search_fields = ("booking__booking_id",)
    search_help_text = _("Booking id or serial number (exact), or the start of "
                         "a customer name, email or film.")
    actions = ["retry_selected", "refresh_selected", "void_selected",
               "export_selected"]
    inlines = [TicketEventInline]
    fieldsets = (
        (_("Booking"), {"fields": ("booking_link", "film", "starts", "screen",
                                   "seat", "customer", "booking_admin_link")}),
        (_("RemyPass"), {"fields": ("status", "serial_number", "remypass_id",
                                    "wallet_links", "email_sent", "issued_at",
                                    "expiry_date", "recipient_name",
                                    "recipient_email", "member",
                                    "pass_template", "remypass_message")}),
        (_("Sending"), {"fields": ("attempts", "sent_at", "last_error",
                                   "reconcile_candidates")}),
        (_("Void"), {"fields": ("voided_at", "voided_by", "void_reason")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Everything here is either RemyPass's or the service module's to set.
        return [name for fieldset in self.fieldsets
                for name in fieldset[1]["fields"]]

    def get_changelist(self, request, **kwargs):
        return IdsFirstChangeList

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

    def get_ordering(self, request):
        return (StartDateFilter.ordering(self._start_filter(request))
                or super().get_ordering(request))

    @staticmethod
    def _start_filter(request):
        return request.GET.get(StartDateFilter.parameter_name)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Tickets are never deleted; void them instead.
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request):
        # Tickets are issued from the box-office form, which calls RemyPass.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("tickets.retry_ticket")

    def has_refresh_permission(self, request):
        return request.user.has_perm("tickets.refresh_ticket")

    def has_void_permission(self, request):
        return request.user.has_perm("tickets.void_ticket")

    def has_reconcile_permission(self, request):
        return request.user.has_perm("tickets.reconcile_ticket")

    def has_export_permission(self, request):
        return request.user.has_perm("tickets.export_ticket")

    # -- Extra pages --

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="%s_%s_export" % info),
            path("reconcile/", self.admin_site.admin_view(
                require_POST(self.reconcile_view)), name="%s_%s_reconcile" % info),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_export": self.has_export_permission(request),
            "can_reconcile": self.has_reconcile_permission(request),
            "reconcile_min_age": services.reconcile_min_age(),
            "start_order_note": self._start_order_note(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def _start_order_note(self, request):
        """Say how the list is sorted when a start-date filter sorts it."""
        value = self._start_filter(request)
        if ORDER_VAR in request.GET or not StartDateFilter.ordering(value):
            return ""
        if value in StartDateFilter.LATEST_FIRST:
            return gettext("Sorted by start time, latest first, while a start "
                           "date is chosen.")
        return gettext("Sorted by start time, soonest first, while a start "
                       "date is chosen.")

    def export_view(self, request):
        """Download the tickets the list shows now, with its search and filters."""
        if not (self.has_view_permission(request)
                and self.has_export_permission(request)):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(self._changelist_url() + "?e=1")
        return self._export(request, queryset)

    def reconcile_view(self, request):
        """Settle every ticket left sending or unknown, and say what happened."""
        if not self.has_reconcile_permission(request):
            raise PermissionDenied
        try:
            summary = services.reconcile_tickets(
                min_age_seconds=services.reconcile_min_age(), actor=request.user)
        except services.TicketError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self._report_reconcile(request, summary)
        return HttpResponseRedirect(self._changelist_url())

    def _changelist_url(self):
        return reverse("admin:tickets_ticket_changelist",
                       current_app=self.admin_site.name)

    def _report_reconcile(self, request, summary):
        if summary.search_error:
            self.message_user(request, gettext(
                "RemyPass could not be searched, so nothing was changed: "
                "%(reason)s") % {"reason": summary.search_error}, messages.ERROR)
            return
        total = (summary.settled + len(summary.flagged) + len(summary.failed)
                 + len(summary.refused))
        if not total:
            self.message_user(request, gettext(
                "No ticket needed reconciling: none is left sending or with an "
                "unknown outcome (tickets sent in the last %(seconds)d seconds "
                "are left alone).") % {"seconds": services.reconcile_min_age()},
                messages.INFO)
            return
        if summary.matched:
            self.message_user(request, gettext(
                "Matched to the pass RemyPass holds: %(names)s.") % {
                    "names": _names(summary.matched)}, messages.SUCCESS)
        if summary.retried:
            self.message_user(request, gettext(
                "RemyPass held no pass, so they were sent again and issued: "
                "%(names)s.") % {"names": _names(summary.retried)},
                messages.SUCCESS)
        if summary.flagged:
            self.message_user(request, gettext(
                "Still unknown, a supervisor must decide (open each ticket to "
                "see the possible matches): %(names)s.") % {
                    "names": _names(summary.flagged)}, messages.WARNING)
        if summary.failed:
            self.message_user(request, gettext(
                "Sent again and failed (see each ticket's history): "
                "%(names)s.") % {"names": _names(summary.failed)},
                messages.ERROR)
        if summary.refused:
            self.message_user(request, gettext(
                "Rejected, as RemyPass holds their booking id for another sale; "
                "correct each and send it again: %(names)s.") % {
                    "names": _names(summary.refused)}, messages.ERROR)

    # -- Columns --

    @admin.display(description=_("booking id"), ordering="booking__booking_id")
    def booking_ref(self, ticket):
        # Not named booking_id: the admin would take the ticket's own
        # booking_id column (the booking's key) and sort by that instead.
        return ticket.booking.booking_id

    @admin.display(description=_("film"), ordering="booking__film")
    def film(self, ticket):
        return ticket.booking.film

    @admin.display(description=_("starts"), ordering="booking__start_time")
    def starts(self, ticket):
        return venue_time(ticket.booking.start_time)

    @admin.display(description=_("screen"), ordering="booking__screen")
    def screen(self, ticket):
        return ticket.booking.screen

    @admin.display(description=_("row / seat"))
    def seat(self, ticket):
        if ticket.booking.general_admission:
            return _("General admission")
        return f"{ticket.booking.row} / {ticket.booking.seat}"

    @admin.display(description=_("customer"))
    def customer(self, ticket):
        return format_html("{}<br><small>{}</small>", ticket.booking.customer_name,
                           ticket.booking.customer_email)

    @admin.display(description=_("booking"))
    def booking_link(self, ticket):
        return format_html('<a href="{}">{}</a>', ticket.get_absolute_url(),
                           ticket.booking.booking_id)

    @admin.display(description=_("booking details"))
    def booking_admin_link(self, ticket):
        url = reverse("admin:tickets_booking_change", args=[ticket.booking_id],
                      current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url,
                           gettext("Open the booking (supervisors can correct "
                                   "it there)"))

    @admin.display(description=_("wallet links"))
    def wallet_links(self, ticket):
        links = [(label, url) for label, url in (
            (_("Apple Wallet"), ticket.apple_wallet_url),
            (_("Google Wallet"), ticket.google_wallet_url)) if url]
        if not links:
            return "—"
        return format_html_join(
            " · ", '<a href="{}" target="_blank" rel="noopener">{}</a>',
            ((url, label) for label, url in links))

    # -- Actions --

    def _require(self, request, name):
        """Refuse an action the login may not take, however it was posted."""
        # The admin offers only the actions a login holds; this check also
        # covers a hand-made POST and any other caller of the action.
        if not getattr(self, f"has_{name}_permission")(request):
            raise PermissionDenied

    def _too_many(self, request, count, message):
        """Refuse a batch over the limit before RemyPass is called at all."""
        if count <= BATCH_LIMIT:
            return False
        self.message_user(request, message % {"count": count,
                                              "limit": BATCH_LIMIT},
                          messages.ERROR)
        return True

    @admin.action(description=_("Retry selected tickets"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        self._require(request, "retry")
        if self._too_many(request, queryset.count(), gettext(
                "%(count)s tickets are selected; at most %(limit)s can be retried "
                "at once. Narrow the filter and try again.")):
            return
        issued, skipped = [], []
        for ticket in queryset.select_related("booking"):
            label = ticket.booking.booking_id
            if not ticket.can_retry:
                skipped.append(label)
                continue
            try:
                ticket = services.retry_ticket(ticket, actor=request.user)
            except services.TicketError as exc:
                self.message_user(request, _about(label, exc.message),
                                  messages.WARNING)
                continue
            if ticket.is_issued:
                issued.append(f"{label} ({ticket.serial_number})")
            else:
                self.message_user(request, _about(label, ticket.last_error),
                                  messages.ERROR)
        if issued:
            self.message_user(request, ngettext(
                "%(count)d ticket issued: %(names)s.",
                "%(count)d tickets issued: %(names)s.", len(issued)) % {
                    "count": len(issued), "names": _names(issued)},
                messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%(count)d ticket skipped, as only failed tickets and tickets "
                "with an unknown outcome are sent again: %(names)s.",
                "%(count)d tickets skipped, as only failed tickets and tickets "
                "with an unknown outcome are sent again: %(names)s.",
                len(skipped)) % {"count": len(skipped), "names": _names(skipped)},
                messages.INFO)

    @admin.action(description=_("Refresh selected from RemyPass"),
                  permissions=["refresh"])
    def refresh_selected(self, request, queryset):
        self._require(request, "refresh")
        if self._too_many(request, queryset.count(), gettext(
                "%(count)s tickets are selected; at most %(limit)s can be "
                "refreshed at once. Narrow the filter and try again.")):
            return
        unchanged, skipped = [], []
        for ticket in queryset.select_related("booking"):
            label = ticket.booking.booking_id
            if not ticket.can_refresh:
                skipped.append(label)
                continue
            before = ticket.get_status_display()
            try:
                ticket = services.refresh_ticket(ticket, actor=request.user)
            except services.TicketError as exc:
                self.message_user(request, _about(label, exc.message),
                                  messages.ERROR)
                continue
            after = ticket.get_status_display()
            if after == before:
                unchanged.append(label)
            else:
                self.message_user(request, gettext(
                    "%(booking)s: %(before)s → %(after)s in RemyPass.") % {
                        "booking": label, "before": before, "after": after},
                    messages.SUCCESS)
        if unchanged:
            self.message_user(request, ngettext(
                "%(count)d ticket unchanged, RemyPass agrees: %(names)s.",
                "%(count)d tickets unchanged, RemyPass agrees: %(names)s.",
                len(unchanged)) % {"count": len(unchanged),
                                   "names": _names(unchanged)}, messages.INFO)
        if skipped:
            self.message_user(request, ngettext(
                "%(count)d ticket skipped, as RemyPass has not issued it yet: "
                "%(names)s.",
                "%(count)d tickets skipped, as RemyPass has not issued them yet: "
                "%(names)s.", len(skipped)) % {"count": len(skipped),
                                               "names": _names(skipped)},
                messages.INFO)

    @admin.action(description=_("Void selected tickets"), permissions=["void"])
    def void_selected(self, request, queryset):
        self._require(request, "void")
        count = queryset.count()
        if self._too_many(request, count, gettext(
                "%(count)s tickets are selected; at most %(limit)s can be voided "
                "at once. Narrow the filter and try again.")):
            return None
        form = VoidForm(request.POST if request.POST.get("confirm") else None)
        if form.is_bound and form.is_valid():
            self._void_each(request, queryset, form.cleaned_data["reason"])
            return None
        voidable = queryset.filter(status__in=Ticket.VOIDABLE_STATUSES,
                                   remypass_id__isnull=False).count()
        already_void = queryset.filter(status=Ticket.Status.VOID).count()
        if not voidable:
            # Nothing to confirm: say why instead of offering a void that
            # would do nothing.
            reasons = []
            if already_void:
                reasons.append(ngettext("%(count)d is already void",
                                        "%(count)d are already void",
                                        already_void) % {"count": already_void})
            if count - already_void:
                reasons.append(ngettext(
                    "%(count)d is not issued by RemyPass",
                    "%(count)d are not issued by RemyPass",
                    count - already_void) % {"count": count - already_void})
            self.message_user(request, gettext(
                "None of the selected tickets can be voided: %(reasons)s.") % {
                    "reasons": gettext(", ").join(reasons)}, messages.WARNING)
            return None
        sample = list(queryset.select_related("booking")[:NAMES_SHOWN])
        return TemplateResponse(request, "admin/tickets/ticket/void_confirmation.html", {
            **self.admin_site.each_context(request),
            "title": _("Void tickets"),
            "opts": self.model._meta,
            "form": form,
            "count": count,
            "sample": sample,
            "rest": count - len(sample),
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "voidable": voidable,
            "already_void": already_void,
            "not_issued": count - voidable - already_void,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    def _void_each(self, request, queryset, reason):
        voided = []
        for ticket in queryset.select_related("booking"):
            label = ticket.booking.booking_id
            try:
                outcome = services.void_ticket(ticket, actor=request.user,
                                               reason=reason)
            except services.TicketError as exc:
                self.message_user(request, _about(label, exc.message),
                                  messages.WARNING)
                continue
            if outcome.voided:
                voided.append(label)
            else:
                self.message_user(request, _about(label, outcome.message),
                                  messages.ERROR)
        if voided:
            self.message_user(request, ngettext(
                "%(count)d ticket voided in RemyPass: %(names)s.",
                "%(count)d tickets voided in RemyPass: %(names)s.",
                len(voided)) % {"count": len(voided), "names": _names(voided)},
                messages.SUCCESS)

    @admin.action(description=_("Export selected to CSV"), permissions=["export"])
    def export_selected(self, request, queryset):
        self._require(request, "export")
        return self._export(request, queryset)

    def _export(self, request, queryset):
        logger.info("Ticket export by user %s", request.user.pk)
        return exports.csv_response(queryset)


class BookingSaveRefused(Exception):
    """The database refused a booking change the form had accepted."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


@admin.register(Booking)
class BookingAdmin(SelectionCheckedAdmin):
    """A supervisor's corrections to what the box office typed."""

    form = BookingAdminForm
    list_display = ("booking_id", "film", "starts", "screen", "customer",
                    "ticket_link")
    list_select_related = ("ticket",)
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    search_fields = ("=booking_id", "^customer_email")
    search_help_text = _("Booking id (exact) or the start of the customer's "
                         "email.")
    fieldsets = (
        (None, {"fields": ("booking_id", "ticket_link")}),
        (_("Performance"), {"fields": ("film", "start_time", "start_time_fold",
                                       "screen", "general_admission", "row",
                                       "seat")}),
        (_("Customer"), {"fields": ("customer_name", "customer_email",
                                    "send_email")}),
        (_("Entered"), {"fields": ("entered_by", "entered_at")}),
    )
    # The booking id is what RemyPass knows the ticket by, and the email
    # choice only mattered when it was sent.
    readonly_fields = ("booking_id", "ticket_link", "send_email", "entered_by",
                       "entered_at")
    # Tickets whose outcome is not settled yet: RemyPass may hold them under
    # the details they were sent with, and reconciling compares those.
    UNSETTLED = (Ticket.Status.SENDING, Ticket.Status.UNKNOWN)

    def get_changelist(self, request, **kwargs):
        return IdsFirstChangeList

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request):
        # Bookings are entered with their ticket on the box-office form.
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._ticket_of(obj) is not None and (
                self._ticket_of(obj).status in self.UNSETTLED):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A ticket protects its booking; one without a ticket may go.
        if obj is None or self._ticket_of(obj) is not None:
            return False
        return super().has_delete_permission(request, obj)

    @staticmethod
    def _ticket_of(booking):
        try:
            return booking.ticket
        except Ticket.DoesNotExist:
            return None

    # -- Columns --

    @admin.display(description=_("starts"), ordering="start_time")
    def starts(self, booking):
        return venue_time(booking.start_time)

    @admin.display(description=_("customer"))
    def customer(self, booking):
        return format_html("{}<br><small>{}</small>", booking.customer_name,
                           booking.customer_email)

    @admin.display(description=_("ticket"))
    def ticket_link(self, booking):
        ticket = self._ticket_of(booking)
        if ticket is None:
            return "—"
        url = reverse("admin:tickets_ticket_change", args=[ticket.pk],
                      current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a> ({})', url, str(ticket),
                           ticket.get_status_display())

    # -- Saving --

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.refused = getattr(request, "booking_save_refused", ("", ""))
        return form

    def changeform_view(self, request, object_id=None, form_url="",
                        extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url,
                                           extra_context)
        except BookingSaveRefused as refused:
            # Everything was rolled back; show the form again with the reason.
            request.booking_save_refused = (refused.field, refused.message)
            return super().changeform_view(request, object_id, form_url,
                                           extra_context)

    def save_model(self, request, obj, form, change):
        if not form.has_changed():
            return  # nothing typed differs: leave the row exactly as it was
        ticket = None
        try:
            with transaction.atomic():
                ticket = (Ticket.objects.select_for_update()
                          .filter(booking=obj).first())
                if ticket is not None and ticket.status in self.UNSETTLED:
                    raise BookingSaveRefused("", gettext(
                        "This ticket is being sent to RemyPass right now; try "
                        "again once it is settled."))
                obj.save()
                # The one-live-ticket-per-seat rule is kept on the ticket.
                if ticket is not None and ticket.seat_key != obj.seat_key():
                    ticket.seat_key = obj.seat_key()
                    ticket.save(update_fields=["seat_key", "updated_at"])
        except IntegrityError:
            holder = services.seat_holder(obj, exclude_ticket=ticket)
            raise BookingSaveRefused("seat", services.SeatTaken(holder).message) \
                from None

    def render_change_form(self, request, context, add=False, change=False,
                           form_url="", obj=None):
        context["ticket_notice"] = self._notice(obj)
        return super().render_change_form(request, context, add, change,
                                          form_url, obj)

    def _notice(self, booking):
        ticket = self._ticket_of(booking) if booking is not None else None
        if ticket is None:
            return ""
        if ticket.status in self.UNSETTLED:
            return gettext(
                "This ticket's outcome in RemyPass is not settled yet, so its "
                "booking cannot be edited. Retry or reconcile the ticket first.")
        if ticket.status in Ticket.REMOTE_STATUSES:
            return gettext(
                "This ticket is already issued. Saving here corrects only this "
                "site's record: RemyPass and the customer's wallet pass keep the "
                "details it was issued with. To change the pass itself, void the "
                "ticket and issue a new one.")
        return gettext(
            "This ticket has not been issued. After saving, retry it so that "
            "RemyPass gets the corrected details.")


class ReadOnlyMirrorAdmin(admin.ModelAdmin):
    """RemyPass's data, shown as it was last seen and never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(ReadOnlyMirrorAdmin):
    list_display = ("name", "email", "type", "status", "remypass_id")
    search_fields = ("=remypass_id", "^email")


@admin.register(PassTemplate)
class PassTemplateAdmin(ReadOnlyMirrorAdmin):
    list_display = ("name", "description", "type", "approved", "remypass_id")
    search_fields = ("=remypass_id", "^name")
