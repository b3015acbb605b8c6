"""
Forms used only by the admin.

The booking form takes its start time as the wall-clock time at the venue and
decides the UTC instant itself, so that a time the clocks skip is refused with
a clear reason, a time that happens twice is asked about, and a save without
changes never moves a start time.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django import forms
from django.contrib.admin import widgets
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Booking, Screening

FIRST, SECOND = "0", "1"


class WallClockDateTimeField(forms.SplitDateTimeField):
    """A date and a time as typed, left naive: the form picks the offset."""

    def compress(self, data_list):
        if not data_list:
            return None
        date, time = data_list
        if date in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_date"],
                                        code="invalid_date")
        if time in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_time"],
                                        code="invalid_time")
        return datetime.combine(date, time)


def _wall(moment: datetime, zone) -> datetime:
    """Return the naive wall-clock time that ``moment`` shows in ``zone``."""
    # Through UTC: astimezone() to a datetime's own zone changes nothing.
    return moment.astimezone(dt_timezone.utc).astimezone(zone).replace(
        tzinfo=None, fold=0)


def _offset(moment: datetime) -> str:
    minutes = int(moment.utcoffset() / timedelta(minutes=1))
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _when(naive: datetime) -> dict:
    return {"time": formats.time_format(naive, "H:i"),
            "date": formats.date_format(naive, "j F Y")}


def fold_choices(naive: datetime, zone) -> list[tuple[str, str]]:
    """Return the two readings of a wall-clock time that happens twice."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    return [
        (FIRST, gettext("first (%(name)s, %(offset)s)") % {
            "name": first.tzname(), "offset": _offset(first)}),
        (SECOND, gettext("second (%(name)s, %(offset)s)") % {
            "name": second.tzname(), "offset": _offset(second)}),
    ]


def is_ambiguous(naive: datetime, zone) -> bool:
    """Say whether the wall-clock time happens twice in ``zone``."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    return (first.utcoffset() != second.utcoffset()
            and _wall(first, zone) == naive.replace(fold=0))


def gap_error(naive: datetime, zone) -> forms.ValidationError | None:
    """Return the error for a wall-clock time the clocks skip, else None."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    if _wall(first, zone) == naive.replace(fold=0):
        return None  # it happens twice instead; only a gap moves the reading
    before, after = sorted((_wall(first, zone), _wall(second, zone)))
    return forms.ValidationError(
        gettext("%(time)s on %(date)s does not exist in %(zone)s (the clocks go "
                "forward). Enter %(before)s or %(after)s.") % {
            **_when(naive), "zone": str(zone),
            "before": formats.time_format(before, "H:i"),
            "after": formats.time_format(after, "H:i")},
        code="nonexistent")


class BookingAdminForm(forms.ModelForm):
    """A supervisor's correction of a booking's details."""

    start_time = WallClockDateTimeField(
        label=_("Start time"), widget=widgets.AdminSplitDateTime,
        help_text=_("Local time at the venue."))
    start_time_fold = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.HiddenInput,
        help_text=_("This time happens twice the night the clocks go back."))

    class Meta:
        model = Booking
        fields = ["film", "start_time", "screen", "general_admission", "row",
                  "seat", "customer_name", "customer_email"]

    # Set by the admin when a save was refused after validation (another live
    # ticket took the seat meanwhile), to show the reason on the form.
    refused = ("", "")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = timezone.get_current_timezone()
        self.fields["start_time_fold"].choices = [(FIRST, gettext("first")),
                                                  (SECOND, gettext("second"))]
        start = self.instance.start_time if self.instance.pk else None
        if start is not None:
            local = start.astimezone(self.zone)
            naive = local.replace(tzinfo=None, fold=0)
            if is_ambiguous(naive, self.zone):
                self._ask_which(naive)
                self.initial["start_time_fold"] = SECOND if local.fold else FIRST

    def _ask_which(self, naive: datetime) -> None:
        field = self.fields["start_time_fold"]
        field.choices = fold_choices(naive, self.zone)
        field.widget = forms.RadioSelect(choices=field.choices)

    def clean(self):
        cleaned = super().clean()
        for name in ("film", "screen", "row", "seat", "customer_name"):
            if cleaned.get(name):
                cleaned[name] = " ".join(cleaned[name].split())
        naive = cleaned.get("start_time")
        if naive is not None:
            placed = self._place(naive, cleaned.get("start_time_fold"))
            if placed is not None:
                cleaned["start_time"] = placed
            else:
                # Left naive, it must not reach the instance.
                cleaned.pop("start_time", None)
        field, message = self.refused
        if message:
            self.add_error(field or None, message)
        return cleaned

    def _place(self, naive: datetime, fold: str) -> datetime | None:
        """Return the aware start time, or add an error and return None."""
        error = gap_error(naive, self.zone)
        if error is not None:
            self.add_error("start_time", error)
            return None
        if is_ambiguous(naive, self.zone):
            self._ask_which(naive)
            if fold not in (FIRST, SECOND):
                self.add_error("start_time_fold", gettext(
                    "%(time)s on %(date)s happens twice in %(zone)s (the clocks "
                    "go back). Choose which one.") % {
                        **_when(naive), "zone": str(self.zone)})
                return None
            placed = naive.replace(tzinfo=self.zone, fold=int(fold))
        else:
            placed = naive.replace(tzinfo=self.zone)
        return self._unchanged_or(placed)

    def _unchanged_or(self, placed: datetime) -> datetime:
        # The form shows whole seconds; a time shown and sent back unchanged
        # keeps the fraction it had, so saving moves nothing.
        old = self.instance.start_time if self.instance.pk else None
        if old is not None and placed.microsecond == 0:
            if (placed.astimezone(dt_timezone.utc)
                    == old.replace(microsecond=0).astimezone(dt_timezone.utc)):
                return old
        return placed


class ScreeningAdminForm(BookingAdminForm):
    """A showing in the catalogue, its start time placed as for a booking."""

    # The catalogue offers showings; one further ahead than this is a typo.
    LONGEST_AHEAD = timedelta(days=2 * 366)

    class Meta:
        model = Screening
        fields = ["film", "screen", "start_time", "notes"]

    def clean_start_time(self):
        naive = self.cleaned_data["start_time"]
        now = timezone.localtime().replace(tzinfo=None)
        if not now - timedelta(days=366) <= naive <= now + self.LONGEST_AHEAD:
            raise forms.ValidationError(gettext(
                "Enter a start time within a year back and two years ahead. "
                "Check the year."), code="out_of_range")
        return naive
