"""
The staff admin: find tickets in a big table, read what RemyPass holds, void.

The list is built for a table of a million tickets: the booking is joined in
the same query, the page count is capped instead of counting every row, and
search and filters only use indexed columns.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .forms import VoidForm
from .models import Booking, Member, PassTemplate, Ticket, TicketEvent

VOID_BATCH_LIMIT = 200


class CappedCountPaginator(Paginator):
    """Count at most ``cap`` + 1 rows; past that the admin says "more than"."""

    cap = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.cap + 1].count()

    @property
    def is_capped(self):
        return self.count > self.cap


class ScreenFilter(admin.SimpleListFilter):
    title = _("screen")
    parameter_name = "screen"

    def lookups(self, request, model_admin):
        # Screens in use around now; reading the whole table would be slow.
        now = timezone.now()
        screens = (Booking.objects.filter(start_time__range=(
            now - timedelta(days=60), now + timedelta(days=120)))
            .order_by().values_list("screen", flat=True).distinct())
        return [(screen, screen) for screen in sorted(set(screens))[:50]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(booking__screen=self.value())
        return queryset


class StartDateFilter(admin.SimpleListFilter):
    title = _("start date")
    parameter_name = "starts"

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
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "actor", "status", "message",
              "remypass_answer")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = _("History (newest first)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("booking_id", "film", "starts", "screen", "seat",
                    "customer", "status", "email_sent", "issued_at")
    list_display_links = ("booking_id",)
    list_filter = ("status", ScreenFilter, StartDateFilter)
    list_select_related = ("booking",)
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    search_fields = ("booking__booking_id",)
    search_help_text = _("Booking id or serial number (exact), or the start of "
                         "a customer name, email or film.")
    actions = ["void_selected"]
    inlines = [TicketEventInline]
    fieldsets = (
        (_("Booking"), {"fields": ("booking_link", "film", "starts", "screen",
                                   "seat", "customer")}),
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

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

    def has_add_permission(self, request):
        # Tickets are issued from the box-office form, which calls RemyPass.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_void_permission(self, request):
        return request.user.has_perm("tickets.void_ticket")

    # -- Columns --

    @admin.display(description=_("booking id"), ordering="booking__booking_id")
    def booking_id(self, ticket):
        return ticket.booking.booking_id

    @admin.display(description=_("film"), ordering="booking__film")
    def film(self, ticket):
        return ticket.booking.film

    @admin.display(description=_("starts"), ordering="booking__start_time")
    def starts(self, ticket):
        return formats.date_format(timezone.localtime(ticket.booking.start_time),
                                   "SHORT_DATETIME_FORMAT")

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

    @admin.action(description=_("Void selected tickets"), permissions=["void"])
    def void_selected(self, request, queryset):
        count = queryset.count()
        if count > VOID_BATCH_LIMIT:
            self.message_user(request, _(
                "%(count)s tickets are selected; at most %(limit)s can be voided "
                "at once. Narrow the filter and try again.") % {
                    "count": count, "limit": VOID_BATCH_LIMIT}, messages.ERROR)
            return None
        form = VoidForm(request.POST if request.POST.get("confirm") else None)
        if form.is_bound and form.is_valid():
            self._void_each(request, queryset, form.cleaned_data["reason"])
            return None
        tickets = queryset.select_related("booking")
        return TemplateResponse(request, "admin/tickets/ticket/void_confirmation.html", {
            **self.admin_site.each_context(request),
            "title": _("Void tickets"),
            "opts": self.model._meta,
            "form": form,
            "count": count,
            "sample": tickets[:20],
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "not_voidable": sum(1 for t in tickets if not t.can_void),
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
                self.message_user(request, f"{label}: {exc.message}",
                                  messages.WARNING)
                continue
            if outcome.voided:
                voided.append(label)
            else:
                self.message_user(request, f"{label}: {outcome.message}",
                                  messages.ERROR)
        if voided:
            names = ", ".join(voided[:20]) + (" …" if len(voided) > 20 else "")
            self.message_user(request, ngettext(
                "%(count)d ticket voided in RemyPass: %(names)s.",
                "%(count)d tickets voided in RemyPass: %(names)s.",
                len(voided)) % {"count": len(voided), "names": names},
                messages.SUCCESS)


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
