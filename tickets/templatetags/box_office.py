"""Template helpers for the box-office pages."""

from django import template

from .. import qr

register = template.Library()


@register.simple_tag
def wallet_qr(url, label):
    """Draw the QR code for a wallet link (nothing for a non-web address)."""
    return qr.qr_svg(url, label)


@register.filter
def is_web_url(url):
    return qr.is_web_url(url)
