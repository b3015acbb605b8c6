"""QR codes for wallet links, drawn as inline SVG so a customer can scan them."""

import io
from urllib.parse import urlsplit

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def is_web_url(url: str) -> bool:
    """Return True for an http(s) address, the only kind a page should link to."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def qr_svg(url: str, label: str) -> SafeString:
    """Return an inline ``<svg class="qr">`` encoding ``url``, named ``label``."""
    if not is_web_url(url):
        return SafeString("")
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    # Dark modules on an explicit white ground with the standard quiet zone,
    # so phones read it whatever the page or the screen's colours.
    code.save(buffer, kind="svg", xmldecl=False, svgns=True, svgclass=None,
              lineclass=None, omitsize=True, border=4, dark="#000",
              light="#fff")
    drawing = buffer.getvalue().decode("ascii")
    if not drawing.startswith("<svg "):
        return SafeString("")
    # segno drew every byte of the drawing from the URL's bits; only the
    # label is text, and it is escaped into the opening tag.
    opening = format_html('<svg class="qr" role="img" aria-label="{}" ', label)
    return mark_safe(opening + drawing[len("<svg "):])
