"""Logging filters that keep customers' addresses out of the logs."""

import logging
from urllib.parse import unquote

from .remypass import mask_email

# A search term can be quoted twice over (a list's filters carried in a
# "next" or "_changelist_filters" parameter).
UNQUOTE_ROUNDS = 3


class MaskEmails(logging.Filter):
    """Mask every e-mail address in a record's message.

    Access lines carry the quick-find and admin search terms in the query
    string, and staff search by customer email.
    """

    def filter(self, record):
        message = record.getMessage()
        readable = message
        for _round in range(UNQUOTE_ROUNDS):
            if "%" not in readable:
                break
            readable = unquote(readable)
        masked = mask_email(readable)
        if masked != readable:
            record.msg, record.args = masked, ()
        return True
