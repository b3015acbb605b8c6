from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Booking, Ticket


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class IssueTicketForm(forms.ModelForm):
    """The box office's booking form; times are in the venue's zone."""

    start_time = forms.DateTimeField(
        label=_("Start time"), widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("Local time at the venue."),
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-12-11 19:30.")},
    )

    class Meta:
        model = Booking
        fields = ["booking_id", "film", "start_time", "screen", "row", "seat",
                  "general_admission", "customer_name", "customer_email",
                  "send_email"]
        error_messages = {
            "booking_id": {"unique": _("This booking id already has a ticket.")},
            "customer_email": {"invalid": _("Enter a valid email address, like "
                                            "name@example.com.")},
        }

    def __init__(self, *args, ticket: Ticket | None = None, **kwargs):
        # ``ticket`` is a failed or rejected ticket being corrected.
        self.ticket = ticket
        if ticket is not None:
            kwargs.setdefault("instance", ticket.booking)
        super().__init__(*args, **kwargs)
        for name in ("booking_id", "film", "screen", "row", "seat",
                     "customer_name"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
        self.fields["customer_email"].widget.attrs["autocomplete"] = "off"

    def clean_booking_id(self):
        booking_id = " ".join(self.cleaned_data["booking_id"].split())
        if (self.ticket is not None and self.ticket.status == Ticket.Status.FAILED
                and booking_id != self.ticket.booking.booking_id):
            # The failed attempt may have reached RemyPass under the old id.
            raise forms.ValidationError(_(
                "Keep the booking id when sending a failed ticket again."))
        existing = (Ticket.objects.select_related("booking__entered_by")
                    .filter(booking__booking_id=booking_id))
        if self.ticket is not None:
            existing = existing.exclude(pk=self.ticket.pk)
        ticket = existing.first()
        if ticket is not None:
            raise forms.ValidationError(services.describe_existing(ticket))
        return booking_id

    def clean_start_time(self):
        start_time = self.cleaned_data["start_time"]
        if self.ticket is None and start_time < timezone.now() - timedelta(hours=12):
            raise forms.ValidationError(_("This start time is in the past."))
        return start_time

    def clean(self):
        cleaned = super().clean()
        for name in ("film", "screen", "row", "seat", "customer_name"):
            if cleaned.get(name):
                cleaned[name] = " ".join(cleaned[name].split())
        if all(cleaned.get(f) for f in ("screen", "start_time", "row", "seat")):
            candidate = Booking(**{k: cleaned.get(k) for k in (
                "screen", "start_time", "row", "seat", "general_admission")})
            holder = services.seat_holder(candidate, exclude_ticket=self.ticket)
            if holder is not None:
                self.add_error("seat", _(
                    "Seat taken by booking %(booking)s. Choose another seat, or "
                    "void that ticket first.") % {"booking": holder.booking_id})
        return cleaned

    def validate_unique(self):
        # Booking ids are checked in clean_booking_id with a friendlier text.
        pass


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=200, required=False,
        help_text=_("Kept in the ticket's history."))
