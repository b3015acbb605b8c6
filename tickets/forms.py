from datetime import timedelta

from django import forms
from django.forms.fields import BaseTemporalField
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_forms import FIRST, SECOND, fold_choices, gap_error, is_ambiguous
from .models import Booking, Screening, Ticket

# How far ahead the issue form offers screenings to pick.
SCREENING_PICK_DAYS = 60
# A screening that has started stays on offer this long, for late sales.
SCREENING_PICK_GRACE = timedelta(hours=2)
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
# RemyPass requires a row and a seat on every event ticket; an unreserved
# ticket left without them carries this on the wallet pass instead.
UNRESERVED_LABEL = "GA"
# RemyPass has no use for a ticket further ahead than this; a year typed
# wrong is the likelier story.
LONGEST_AHEAD = timedelta(days=2 * 366)


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as typed at the venue, left naive: the form places it.

    Django's own field would refuse a time the clocks skip or repeat with a
    technical message; the form explains both and asks which one is meant.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return BaseTemporalField.to_python(self, str(value).strip())


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=LOCAL_INPUT_FORMAT)


def row_id(value) -> int | None:
    """Return the row id a posted value names, or None if it names none."""
    value = str(value or "").strip()
    # str.isdigit() also takes "²", which int() refuses, and no row id is
    # longer than a 64-bit integer: int() would refuse thousands of digits.
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    return int(value)


def local_input_value(value) -> str:
    """Return an aware datetime as the venue-local text a time input holds."""
    return timezone.localtime(value).strftime(LOCAL_INPUT_FORMAT)


def upcoming_screenings():
    now = timezone.now()
    return Screening.objects.filter(
        start_time__gte=now - SCREENING_PICK_GRACE,
        start_time__lte=now + timedelta(days=SCREENING_PICK_DAYS))


class ScreeningSelect(forms.Select):
    """A select whose options carry their film, screen and start time."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        screening = getattr(value, "instance", None)
        if isinstance(screening, Screening):
            # Read by the page's script to fill the visible fields at once.
            option["attrs"].update({
                "data-film": screening.film,
                "data-screen": screening.screen,
                "data-start-time": local_input_value(screening.start_time),
            })
        return option


class ScreeningChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        start = formats.date_format(timezone.localtime(obj.start_time),
                                    "D j M, H:i")
        return f"{start} · {obj.screen} · {obj.film}"


class IssueTicketForm(forms.ModelForm):
    """The box office's booking form; times are in the venue's zone."""

    screening = ScreeningChoiceField(
        label=_("Screening"), required=False, queryset=Screening.objects.none(),
        widget=ScreeningSelect(), empty_label=_("Type the details below instead"),
        error_messages={"invalid_choice": _(
            "That screening is no longer on offer. Pick another, or type the "
            "details below.")},
        help_text=_("Picking a screening fills in the film, screen and start "
                    "time, and keeps the film name the same on every ticket. "
                    "RemyPass makes one ticket design per film and start time, "
                    "so a typo in the film name makes a stray one."))

    start_time = WallClockDateTimeField(
        label=_("Start time"), widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("Local time at the venue."),
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-12-11 19:30.")},
    )
    start_time_fold = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.HiddenInput,
        help_text=_("This time happens twice the night the clocks go back."))

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
        help_texts = {
            "general_admission": _("Unreserved seating: row and seat may "
                                   "repeat, or stay empty (the wallet pass "
                                   "then shows GA for both)."),
        }

    # The order the page shows them in, which is also the order errors are
    # focused in.
    field_order = ["booking_id", "screening", "film", "start_time",
                   "start_time_fold", "screen",
                   "row", "seat", "general_admission", "customer_name",
                   "customer_email", "send_email"]

    def __init__(self, *args, ticket: Ticket | None = None, **kwargs):
        # ``ticket`` is a failed or rejected ticket being corrected.
        self.ticket = ticket
        # The ticket that already holds the typed booking id, once found.
        self.existing_ticket = None
        if ticket is not None:
            kwargs.setdefault("instance", ticket.booking)
        super().__init__(*args, **kwargs)
        self.zone = timezone.get_current_timezone()
        self.fields["start_time_fold"].choices = [(FIRST, gettext("first")),
                                                  (SECOND, gettext("second"))]
        self.fields["screening"].queryset = upcoming_screenings()
        if not self.fields["screening"].queryset.exists():
            self.fields["screening"].help_text += " " + _(
                "No screenings are in the catalogue for the coming weeks, so "
                "type the details below. A supervisor can add screenings in "
                "the admin (Tickets › Screenings) to pick them here.")
        # Checked in clean(): only a reserved seat needs them typed in.
        for name in ("row", "seat"):
            self.fields[name].required = False
        for name in ("booking_id", "film", "screen", "row", "seat",
                     "customer_name"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
        self.fields["customer_email"].widget.attrs["autocomplete"] = "off"
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = self[name].auto_id + "_help"
        if self.is_bound:
            self.data = self._with_screening(self.data)
        else:
            self.initial = self._with_screening(self.initial)
            self.fields["booking_id"].widget.attrs["autofocus"] = True

    def _with_screening(self, values):
        """Return ``values`` with the picked screening's film, screen and time."""
        screening = self._picked_screening(values.get("screening"))
        if screening is None:
            return values
        # The catalogue's spelling wins over whatever was typed, so every
        # ticket for a showing lands on the same RemyPass template.
        values = values.copy()
        values["screening"] = str(screening.pk)
        values["film"] = screening.film
        values["screen"] = screening.screen
        values["start_time"] = local_input_value(screening.start_time)
        values["start_time_fold"] = (
            SECOND if timezone.localtime(screening.start_time).fold else FIRST)
        return values

    def _picked_screening(self, value):
        pk = row_id(value)
        if pk is None:
            return None
        return self.fields["screening"].queryset.filter(pk=pk).first()

    def add_error(self, field, error):
        # Every error, from validation or added by the view after RemyPass
        # answered, passes through here.
        super().add_error(field, error)
        self._mark_errors()

    def _mark_errors(self):
        """Point assistive technology and the cursor at the fields in error."""
        first = True
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            attrs.pop("autofocus", None)
            if name not in self._errors:
                continue
            attrs["aria-invalid"] = "true"
            described = [self[name].auto_id + "_errors"]
            if field.help_text:
                described.append(self[name].auto_id + "_help")
            attrs["aria-describedby"] = " ".join(described)
            if first:
                attrs["autofocus"] = True
                first = False

    def clean_booking_id(self):
        booking_id = " ".join(self.cleaned_data["booking_id"].split())
        if (self.ticket is not None and self.ticket.status == Ticket.Status.FAILED
                and booking_id != self.ticket.booking.booking_id):
            # The failed attempt may have reached RemyPass under the old id.
            raise forms.ValidationError(_(
                "Keep the booking id when sending a failed ticket again."))
        existing = (Ticket.objects.select_related("booking__entered_by")
                    .filter(booking__booking_id__iexact=booking_id))
        if self.ticket is not None:
            existing = existing.exclude(pk=self.ticket.pk)
        ticket = existing.first()
        if ticket is not None:
            self.existing_ticket = ticket
            raise forms.ValidationError(services.describe_existing(ticket))
        return booking_id

    @property
    def asks_which_time(self):
        """Say whether the page must offer the two readings of the time."""
        return isinstance(self.fields["start_time_fold"].widget, forms.RadioSelect)

    def clean_start_time(self):
        start_time = self._place(self.cleaned_data["start_time"])
        if start_time < timezone.now() - timedelta(hours=12):
            raise forms.ValidationError(_("This start time is in the past."))
        if start_time > timezone.now() + LONGEST_AHEAD:
            raise forms.ValidationError(_("This start time is more than two "
                                          "years ahead. Check the year."))
        return start_time

    def _place(self, naive):
        """Return the aware start time the venue's clocks showed as ``naive``."""
        error = gap_error(naive, self.zone)
        if error is not None:
            raise error
        if not is_ambiguous(naive, self.zone):
            return naive.replace(tzinfo=self.zone)
        field = self.fields["start_time_fold"]
        field.choices = fold_choices(naive, self.zone)
        field.widget = forms.RadioSelect(choices=field.choices)
        # The choice comes after the time in the form, so it is read as sent.
        fold = self.data.get(self.add_prefix("start_time_fold"))
        if fold not in (FIRST, SECOND):
            raise forms.ValidationError(gettext(
                "%(time)s on %(date)s happens twice in %(zone)s (the clocks go "
                "back). Choose which one below.") % {
                    "time": formats.time_format(naive, "H:i"),
                    "date": formats.date_format(naive, "j F Y"),
                    "zone": str(self.zone)})
        return naive.replace(tzinfo=self.zone, fold=int(fold))

    def clean(self):
        cleaned = super().clean()
        for name in ("film", "screen", "row", "seat", "customer_name"):
            if cleaned.get(name):
                cleaned[name] = " ".join(cleaned[name].split())
        for name in ("row", "seat"):
            if cleaned.get(name):
                continue
            if cleaned.get("general_admission"):
                cleaned[name] = UNRESERVED_LABEL
            elif name not in self._errors:
                self.add_error(name, self.fields[name].error_messages["required"])
        if all(cleaned.get(f) for f in ("screen", "start_time", "row", "seat")):
            self._check_seat(cleaned)
        return cleaned

    def _check_seat(self, cleaned):
        """Refuse a seat that another booking's live ticket holds."""
        candidate = Booking(**{k: cleaned.get(k) for k in (
            "screen", "start_time", "row", "seat", "general_admission")})
        holder = services.seat_holder(candidate, exclude_ticket=self.ticket)
        if holder is None:
            return
        if holder.booking_id == self._typed_booking_id():
            # This very booking holds the seat, so the seat is not the
            # problem: the booking was entered already, by a second click or
            # a colleague, perhaps only after its id was checked above.
            if not self.has_error("booking_id"):
                self.add_error("booking_id",
                               services.describe_existing(holder.ticket))
            return
        self.add_error("seat", _(
            "Seat taken by booking %(booking)s. Choose another seat, or void "
            "that ticket first.") % {"booking": holder.booking_id})

    def _typed_booking_id(self):
        """Return the booking id as typed, spaces tidied, valid or not."""
        return " ".join(str(self["booking_id"].value() or "").split())

    def validate_unique(self):
        # Booking ids are checked in clean_booking_id with a friendlier text.
        pass

    def _get_validation_exclusions(self):
        # The model would check the any-case booking id rule again and, when a
        # colleague saved the id a moment after clean_booking_id looked, say
        # so with no field and no names; the save then meets the database's
        # constraint, and the view names who entered it and when.
        return super()._get_validation_exclusions() | {"booking_id"}


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=200, required=False,
        help_text=_("Kept in the ticket's history."))
