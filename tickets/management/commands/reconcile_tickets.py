from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets import remypass, services


class Command(BaseCommand):
    help = ("Settle tickets left sending or with an unknown outcome: match each "
            "to the pass RemyPass holds, send it again when RemyPass holds "
            "none, or leave it flagged with the candidates found. Changes "
            "nothing if RemyPass cannot be searched. Safe to run from cron, "
            "and twice at once.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age", type=int, metavar="SECONDS",
            default=settings.TICKETS_RECONCILE_MIN_AGE,
            help="Only tickets last sent at least this long ago (default "
                 "%(default)s, from TICKETS_RECONCILE_MIN_AGE). 0 takes every "
                 "unknown ticket; a ticket still sending is only taken once "
                 "its send has certainly ended.")

    def handle(self, *args, min_age, **options):
        if min_age < 0:
            raise CommandError(_("--min-age cannot be negative."))
        summary = services.reconcile_tickets(min_age_seconds=min_age,
                                             client=remypass.client())
        self.stdout.write(str(summary))
        for heading, labels in ((_("matched"), summary.matched),
                                (_("sent again"), summary.retried),
                                (_("flagged"), summary.flagged),
                                (_("not issued"), summary.failed),
                                (_("rejected"), summary.refused),
                                (_("skipped"), summary.skipped)):
            for label in labels:
                self.stdout.write(f"  {heading}: {label}")
        if summary.search_error:
            raise CommandError(_("RemyPass could not be searched; nothing "
                                 "changed."))
