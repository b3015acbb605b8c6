"""Logging filters that keep customers' addresses out of the logs."""

import logging

from .remypass import mask_email


class MaskEmails(logging.Filter):
    """Mask every e-mail address in a record's message.

    Access lines carry the quick-find and admin search terms in the query
    string, and staff search by customer email.
    """

    def filter(self, record):
        message = record.getMessage()
        masked = mask_email(message.replace("%40", "@"))
        if masked != message.replace("%40", "@"):
            record.msg, record.args = masked, ()
        return True
