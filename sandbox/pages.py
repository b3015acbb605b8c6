"""HTML pages: the dashboard, the wallet stand-ins and gateway error pages."""

from html import escape
from http import HTTPStatus

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1f2a44; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #c9d1e3; padding: 0.3rem 0.6rem; text-align: left; }}
.note {{ background: #fff4d6; padding: 0.5rem 1rem; display: inline-block; }}
</style>
</head>
<body>
{content}
</body>
</html>
"""

SANDBOX_NOTE = (
    '<p class="note">This is the RemyPass <strong>sandbox</strong>: a local '
    "stand-in for the real API. No wallet pass or email leaves this machine.</p>"
)

DASHBOARD_COLUMNS = (
    "Serial", "Booking", "Film", "Start", "Recipient", "Status", "Issued at"
)


def dashboard(passes, api_url):
    """Return the dashboard page listing passes, newest first."""
    header = "".join(f"<th>{name}</th>" for name in DASHBOARD_COLUMNS)
    rows = "".join(_dashboard_row(row) for row in reversed(passes))
    if not rows:
        rows = f'<tr><td colspan="{len(DASHBOARD_COLUMNS)}">No passes yet.</td></tr>'
    content = (
        "<h1>RemyPass sandbox</h1>"
        f"{SANDBOX_NOTE}"
        f"<p>API base URL: <code>{escape(api_url)}</code></p>"
        f"<h2>Passes ({len(passes)})</h2>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return PAGE.format(title="RemyPass sandbox", content=content)


def wallet_page(wallet, serial, row):
    """Return the page a wallet link opens; row is the pass or None."""
    title = f"RemyPass sandbox — {wallet} pass {serial}"
    if row is None:
        details = "<p>No pass has this serial number.</p>"
    else:
        details = (
            f"<p>{escape(row['event_name'])}, {escape(row['event_time'])}</p>"
            f"<p>Screen {escape(row['seat_section'])}, row {escape(row['seat_row'])},"
            f" seat {escape(row['seat_number'])}</p>"
            f"<p>For {escape(row['recipient_name'])}. Status: "
            f"<strong>{escape(row['status'])}</strong></p>"
        )
    content = f"<h1>{escape(title)}</h1>{SANDBOX_NOTE}{details}"
    return PAGE.format(title=escape(title), content=content)


def gateway_error(status):
    """Return the kind of error page a proxy in front of an API sends."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    heading = f"{status} {reason}"
    return (
        f"<html><head><title>{heading}</title></head><body>"
        f"<h1>{heading}</h1><hr><p>nginx</p></body></html>"
    )


def _dashboard_row(row):
    cells = (
        row["serial_number"],
        row["booking_id"],
        row["event_name"],
        row["event_time"],
        row["recipient_name"],
        row["status"],
        row["issued_at"],
    )
    return "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
