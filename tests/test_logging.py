"""What reaches the logs: no customer's address, and every server error."""

import logging

import pytest

from tickets.logfilters import MaskEmails


def record(message, *args):
    return logging.LogRecord("django.server", logging.INFO, __file__, 1,
                             message, args, None)


def test_search_terms_in_access_lines_are_masked():
    line = record('"%s" %s %s', "GET /tickets/?q=ann.test%40example.org HTTP/1.1",
                  "200", "512")

    MaskEmails().filter(line)

    assert line.getMessage() == ('"GET /tickets/?q=a***@example.org HTTP/1.1" '
                                 "200 512")


def test_lines_without_an_address_are_left_as_they_are():
    line = record("RemyPass %s %s -> %s", "GET", "/passes", 200)

    MaskEmails().filter(line)

    assert (line.msg, line.args) == ("RemyPass %s %s -> %s", ("GET", "/passes", 200))


@pytest.mark.django_db
def test_a_server_error_is_logged_with_its_traceback(admin_client, caplog,
                                                     monkeypatch):
    from tickets import views

    def broken(*args, **kwargs):
        raise RuntimeError("chart broke")

    monkeypatch.setattr(views.charts, "daily_chart", broken)
    admin_client.raise_request_exception = False

    response = admin_client.get("/tickets/")

    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert errors and errors[0].exc_info[0] is RuntimeError


@pytest.mark.parametrize("line", [
    "GET /admin/tickets/booking/1/change/?_changelist_filters=q%3Dann%2540example.org",
    "GET /accounts/login/?next=/tickets/%3Fq%3Dann%2540example.org",
    "GET /tickets/?q=ann%40%5B127.0.0.1%5D",
    'GET /tickets/?q=%22ann%5C+smith%22%40example.org',
])
def test_addresses_quoted_in_urls_are_masked(line):
    entry = record("%s", line)

    MaskEmails().filter(entry)

    assert "ann" not in entry.getMessage()
    assert "a***@" in entry.getMessage()
