"""Template helpers for the box-office pages."""

from django import template
from django.utils import formats, timezone

from .. import qr

register = template.Library()


@register.filter
def venue_time(value, day_format="j M Y"):
    """Return a start time as the venue's clocks show it, with their zone.

    The zone tells the two 01:30s of the night the clocks go back apart, and
    the month is spelled out since 11/12 reads differently across the
    Atlantic. Django's own "T" format leaves the zone out on that very night.
    """
    if not value:
        return ""
    local = timezone.localtime(value)
    return "%s, %s %s" % (formats.date_format(local, day_format),
                          formats.time_format(local, "H:i"), local.tzname())


@register.simple_tag
def wallet_qr(url, label):
    """Draw the QR code for a wallet link (nothing for a non-web address)."""
    return qr.qr_svg(url, label)


@register.filter
def is_web_url(url):
    return qr.is_web_url(url)
