"""
Figures for the box-office home page, drawn on the server as plain SVG.

The chart needs no library and no script: this module counts and lays out
the bars, and templates/tickets/_daily_chart.html draws them.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Ticket

# Layout in SVG user units; the drawing scales to the page's width.
SLOT = 24
BAR = 16
PLOT_TOP = 18
PLOT_HEIGHT = 120
LABEL_SPACE = 34
LEFT = 4


@dataclass
class Bar:
    day: date
    count: int
    x: float
    y: float
    height: float
    text_x: float
    count_y: float
    day_label: str
    month_label: str
    title: str


@dataclass
class DailyChart:
    bars: list
    total: int
    width: int
    height: int
    baseline: int
    bar_width: int
    day_label_y: int
    month_label_y: int
    title: str
    description: str


def issued_per_day(days: int = 30, *, today: date | None = None) -> list:
    """Return ``(day, count)`` for the last ``days`` days in the venue's zone."""
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min), zone)
    # A ticket counts once RemyPass has made it, even if it was voided since;
    # the day is the day it was entered, which the created_at index serves.
    rows = (Ticket.objects.filter(created_at__gte=since, remypass_id__isnull=False)
            .annotate(day=TruncDate("created_at", tzinfo=zone))
            .values("day").annotate(count=Count("id")).order_by("day"))
    counts = {row["day"]: row["count"] for row in rows}
    return [(first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
            for n in range(days)]


def daily_chart(days: int = 30, *, today: date | None = None) -> DailyChart:
    """Lay out a bar chart of the tickets issued on each of the last days."""
    counts = issued_per_day(days, today=today)
    peak = max((count for _day, count in counts), default=0)
    bars = []
    for n, (day, count) in enumerate(counts):
        height = round(PLOT_HEIGHT * count / peak, 1) if peak else 0
        x = LEFT + n * SLOT + (SLOT - BAR) / 2
        label = formats.date_format(day, "j M")
        y = PLOT_TOP + PLOT_HEIGHT - height
        bars.append(Bar(
            day=day, count=count, x=x, y=y, height=height, text_x=x + BAR / 2,
            count_y=y - 4, day_label=str(day.day),
            # The month is named under the first bar and where a month begins.
            month_label=formats.date_format(day, "M") if n == 0 or day.day == 1
            else "",
            title=ngettext("%(day)s: %(count)s ticket", "%(day)s: %(count)s tickets",
                           count) % {"day": label, "count": count}))
    total = sum(count for _day, count in counts)
    return DailyChart(
        bars=bars, total=total, width=LEFT * 2 + days * SLOT,
        height=PLOT_TOP + PLOT_HEIGHT + LABEL_SPACE,
        baseline=PLOT_TOP + PLOT_HEIGHT, bar_width=BAR,
        day_label_y=PLOT_TOP + PLOT_HEIGHT + 14,
        month_label_y=PLOT_TOP + PLOT_HEIGHT + 28,
        title=ngettext("Tickets issued per day, last %(days)s day",
                       "Tickets issued per day, last %(days)s days", days)
        % {"days": days},
        description=_describe(counts, total, peak))


def _describe(counts, total, peak) -> str:
    if not total:
        return _("No tickets were issued in this period.")
    busiest = [day for day, count in counts if count == peak][-1]
    return ngettext(
        "%(total)s ticket in all. Busiest day: %(day)s with %(peak)s.",
        "%(total)s tickets in all. Busiest day: %(day)s with %(peak)s.", total,
    ) % {"total": total, "day": formats.date_format(busiest, "l j F"),
         "peak": peak}
