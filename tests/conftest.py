import pytest
from django.contrib.auth.models import Permission

from sandbox.testing import SandboxServer


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
