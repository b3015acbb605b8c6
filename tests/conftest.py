import pytest
from django.contrib.auth.models import Group, Permission
from hypothesis import settings as hypothesis_settings

from sandbox.testing import SandboxServer

# Property tests draw the same examples on every run, so a failure in CI is
# the one a developer sees again at their desk, with the line that replays it.
# `bin/test --hypothesis-profile=explore` draws new examples each run instead.
hypothesis_settings.register_profile("repeatable", derandomize=True,
                                     deadline=None, print_blob=True)
hypothesis_settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis_settings.load_profile("repeatable")


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked ``postgres`` unless the database is PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=(
        f"needs PostgreSQL (DATABASE_URL=postgres://...); this run is on "
        f"{connection.vendor}"))
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """A live RemyPass sandbox on loopback, shared by the whole run."""
    server = SandboxServer(data_path=tmp_path_factory.mktemp("sandbox") / "s.sqlite3")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def remypass(settings, sandbox):
    """Point the app at the sandbox, emptied, with short timeouts."""
    sandbox.reset(data=True)
    settings.REMYPASS_BASE_URL = sandbox.base_url
    settings.REMYPASS_API_KEY = sandbox.api_key
    settings.REMYPASS_SANDBOX = True
    settings.REMYPASS_TIMEOUT = 2.0
    settings.REMYPASS_CONNECT_TIMEOUT = 1.0
    settings.REMYPASS_RETRY_BACKOFF = 0.01
    return sandbox


def _user(django_user_model, username, *codenames, **flags):
    user = django_user_model.objects.create_user(username, password="pw", **flags)
    if codenames:
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label="tickets", codename__in=codenames))
    return user


@pytest.fixture
def admin_user(django_user_model):
    return _user(django_user_model, "sam", is_staff=True, is_superuser=True)


@pytest.fixture
def clerk(django_user_model):
    """A box-office login: may issue and retry, may not void."""
    return _user(django_user_model, "bo", "issue_ticket", "retry_ticket",
                 "view_ticket", is_staff=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _role_user(django_user_model, username, role):
    from tickets import roles

    # The groups come from a migration, but a transactional test elsewhere in
    # the run may have flushed them; make sure they are there.
    group = roles.ensure_roles()[role]
    user = django_user_model.objects.create_user(username, password="pw",
                                                 is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def box_office_user(django_user_model):
    """A login in the "Box office" group, as the trial logins make it."""
    from tickets import roles

    return _role_user(django_user_model, "boxoffice", roles.BOX_OFFICE)


@pytest.fixture
def supervisor_user(django_user_model):
    """A login in the "Supervisor" group, as the trial logins make it."""
    from tickets import roles

    return _role_user(django_user_model, "supervisor", roles.SUPERVISOR)


@pytest.fixture
def box_office_client(box_office_user):
    from django.test import Client

    client = Client()
    client.force_login(box_office_user)
    return client


@pytest.fixture
def supervisor_client(supervisor_user):
    from django.test import Client

    client = Client()
    client.force_login(supervisor_user)
    return client


@pytest.fixture(scope="session", autouse=True)
def _migrated_roles(django_db_setup, django_db_blocker):
    """The staff role groups as the migrations made them, read before any test.

    Read here, for the whole run, so that it is taken before any test of
    any folder has emptied the tables, whatever order the tests run in.

    Each live-server test ends by emptying every table; Django then re-creates
    permissions but not the groups a data migration made. This copy lets later
    tests put back exactly what the migrations made, and nothing if they made
    nothing.
    """
    with django_db_blocker.unblock():
        return {
            group.name: [(p.content_type.app_label, p.codename)
                         for p in group.permissions.select_related("content_type")]
            for group in Group.objects.all()
        }
