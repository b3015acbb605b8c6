"""
Every text staff read is marked for translation.

Templates are read with their markup, template tags and translated blocks
taken out; whatever words remain were typed in without ``{% translate %}``.
Python modules are parsed, and every message handed to a user (admin
messages, the messages framework, form errors) must come from gettext.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

TEMPLATES = Path(settings.BASE_DIR) / "templates"
APP = Path(settings.BASE_DIR) / "tickets"
# The product's name is the same in every language.
UNTRANSLATED_WORDS = {"venue_portal"}

# Translated blocks, comments, scripts and styles, and the admin's body
# classes (markup, though written between block tags).
MARKED_BLOCKS = re.compile(
    r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}"
    r"|{%\s*block bodyclass\s*%}.*?{%\s*endblock\s*%}"
    r"|{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|<(style|script)\b.*?</\1>", re.S)
TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}", re.S)
HUMAN_ATTRIBUTES = re.compile(
    r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"')
TAG = re.compile(r"<[^>]*>")
WORD = re.compile(r"[^\W\d_][\w'’-]+")

# Calls whose first argument is shown to a user.
USER_MESSAGE_CALLS = {"message_user": 1, "add_error": 1, "ValidationError": 0,
                      "PermissionMissing": 0, "TicketNotAllowed": 0,
                      "TicketError": 0, "debug": 1, "info": 1, "success": 1,
                      "warning": 1, "error": 1}
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy",
           "pgettext", "_about"}
MESSAGE_MODULES = ("views.py", "forms.py", "admin.py", "admin_forms.py",
                   "services.py")


def unmarked_words(source):
    text = MARKED_BLOCKS.sub(" ", source)
    text = TEMPLATE_SYNTAX.sub(" ", text)
    found = [word for value in HUMAN_ATTRIBUTES.findall(text)
             for word in WORD.findall(value)]
    found += WORD.findall(TAG.sub(" ", text).replace("&rsaquo;", " ")
                          .replace("&lt;", " ").replace("&gt;", " "))
    return [word for word in found if word not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_template_text_is_marked_for_translation(path):
    assert unmarked_words(path.read_text()) == []


def test_the_check_finds_text_typed_in_plainly():
    assert unmarked_words('<p title="Hello there">{% translate "Fine" %}'
                          "Not marked</p>") == ["Hello", "there", "Not", "marked"]


def _plain_text(node):
    """Say whether an argument is a literal or f-string, not from gettext."""
    return (isinstance(node, ast.JoinedStr)
            or (isinstance(node, ast.Constant) and isinstance(node.value, str)))


def _name(func):
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _is_logging(call):
    target = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(target, ast.Name) and target.id == "logger"


def unmarked_messages(source):
    found = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call) or _is_logging(call):
            continue
        position = USER_MESSAGE_CALLS.get(_name(call.func))
        if position is None or len(call.args) <= position:
            continue
        message = call.args[position]
        if isinstance(message, ast.BinOp):  # "text %s" % values
            message = message.left
        if _plain_text(message):
            found.append(f"line {call.lineno}: {ast.unparse(message)[:60]}")
    return found


@pytest.mark.parametrize("name", MESSAGE_MODULES)
def test_messages_to_users_come_from_gettext(name):
    assert unmarked_messages((APP / name).read_text()) == []


def test_the_check_finds_a_plain_message():
    source = ('def view(request, form):\n'
              '    messages.error(request, "Not marked")\n'
              '    form.add_error("seat", f"Seat {form}")\n'
              '    messages.info(request, _("Marked"))\n'
              '    logger.warning("For the log: %s", form)\n')
    assert unmarked_messages(source) == [
        "line 2: 'Not marked'", "line 3: f'Seat {form}'"]


def test_the_error_page_is_translated_and_needs_no_request():
    page = render_to_string("500.html")

    assert '<html lang="en-gb">' in page or '<html lang="en">' in page
    assert "<h1>Something went wrong</h1>" in page
