"""
Fixtures for the browser tests: one headless Chromium for the whole run, a
fresh browser context (cookies, storage) per test, logins, and screenshots.

Chromium is the system's own (Debian's package ``chromium``), never a browser
that Playwright downloads. Without it, or without the playwright package, the
tests skip, or fail when REQUIRE_BROWSER=1 (as CI sets it).
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CHROMIUM_MISSING = ("Chromium not found: install the Debian package chromium or "
                    "set CHROMIUM_PATH")
PLAYWRIGHT_MISSING = ("The Python package playwright is not installed: install "
                      "requirements-dev.txt (bin/test does)")
CHROMIUM_ARGS = [
    # As root Chromium refuses to start with its sandbox on.
    "--no-sandbox",
    "--disable-gpu",
    # The rest keep Chromium from reaching out to hosts of its own accord.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
TIMEOUT_MS = 10_000

_screenshots_taken = []


def _unavailable(reason):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def find_chromium():
    """Return the Chromium to drive, or None when there is none."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def playwright_api():
    """The playwright.sync_api module."""
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable(PLAYWRIGHT_MISSING)
    return sync_api


@pytest.fixture(scope="session")
def expect(playwright_api):
    """Playwright's expect(), with a short wait so a failure shows up fast."""
    playwright_api.expect.set_options(timeout=5_000)
    return playwright_api.expect


@pytest.fixture(scope="session")
def browser(playwright_api):
    executable = find_chromium()
    if executable is None:
        _unavailable(CHROMIUM_MISSING)
    # Playwright's sync API keeps an asyncio loop running on this thread from
    # here on, so Django's async-safety check would refuse every ORM call the
    # tests (and the test database teardown) make. The calls are synchronous
    # and on one thread, so they are safe; the variable stays set to the end
    # of the run because the loop does.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = playwright_api.sync_playwright().start()
    try:
        # A plain launch gets a fresh temporary profile that Playwright removes.
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


def _is_loopback(url):
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https") or parts.hostname in LOOPBACK_HOSTS


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh context, at the live server, that may not leave loopback."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    blocked, errors = [], []

    def refuse(route):
        blocked.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(lambda url: not _is_loopback(url), refuse)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not blocked, f"The pages tried to reach outside hosts: {blocked}"
    assert not errors, f"JavaScript errors on the pages: {errors}"


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _screenshots_taken.append(path)
        return path

    return shoot


def pytest_terminal_summary(terminalreporter):
    if _screenshots_taken:
        terminalreporter.write_line(
            f"Browser screenshots ({len(_screenshots_taken)}): {SCREENSHOTS}")


# -- Logins --


@pytest.fixture
def log_in(page, client, live_server):
    """Log the browser in as a user without the login form (faster)."""

    def log_in(user):
        client.force_login(user)
        page.context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }])

    return log_in


@pytest.fixture
def role(_migrated_roles, transactional_db):
    """Return the group of a staff role, as made by the migrations."""

    def role(name):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            return group
        if name not in _migrated_roles:
            pytest.fail(f'The migrations made no "{name}" group: the data '
                        "migration with the staff roles is missing.", pytrace=False)
        group = Group.objects.create(name=name)
        wanted = Q()
        for app_label, codename in _migrated_roles[name]:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(wanted)) if wanted else []
        assert len(permissions) == len(_migrated_roles[name]), (
            f'Permissions of "{name}" missing after the tables were emptied.')
        group.permissions.set(permissions)
        return group

    return role


def _staff(django_user_model, username, group):
    user = django_user_model.objects.create_user(
        username, password="pw", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def supervisor(django_user_model, role):
    return _staff(django_user_model, "sup", role("Supervisor"))


@pytest.fixture
def box_office(django_user_model, role):
    return _staff(django_user_model, "boxoffice", role("Box office"))
