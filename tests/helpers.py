"""Shared builders for the tests: a booking as the form would post it."""

from datetime import timedelta

from django.utils import timezone


def week_ahead_local(hour=19, minute=30):
    start = timezone.localtime() + timedelta(days=7)
    return start.replace(hour=hour, minute=minute, second=0, microsecond=0)


def booking_form_data(**overrides):
    """The RemyPass docs' own example booking, a week ahead."""
    data = {
        "booking_id": "BOOKING-12345",
        "film": "The Matrix Reloaded",
        "start_time": week_ahead_local().strftime("%Y-%m-%dT%H:%M"),
        "screen": "Screen 1",
        "row": "A",
        "seat": "A12",
        "customer_name": "John Doe",
        "customer_email": "john@example.com",
        "send_email": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def service_data(**overrides):
    """The same booking as cleaned form data, for calling services directly."""
    data = {
        "booking_id": "BOOKING-12345",
        "film": "The Matrix Reloaded",
        "start_time": week_ahead_local(),
        "screen": "Screen 1",
        "row": "A",
        "seat": "A12",
        "general_admission": False,
        "customer_name": "John Doe",
        "customer_email": "john@example.com",
        "send_email": True,
    }
    data.update(overrides)
    return data
