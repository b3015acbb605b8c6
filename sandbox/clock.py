"""Date-time helpers. Every time the sandbox stores or sends is UTC with a Z."""

import re
from datetime import datetime, timezone

# fromisoformat() also takes a bare date and the compact "basic" forms. The API
# asks for a date-time, so insist on an extended date, a separator and hh:mm.
_DATE_TIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def utc_now():
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def to_iso(moment):
    """Return moment as ISO 8601 UTC text with milliseconds and a trailing Z."""
    text = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def now_iso():
    """Return the current time as ISO 8601 UTC text."""
    return to_iso(utc_now())


def parse_date_time(text):
    """Return the UTC datetime written in text, or None if text is not one."""
    if not _DATE_TIME_START.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            # The API documents no rule for offset-less times. A server that
            # runs on UTC reads them as UTC, so the sandbox does the same.
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
