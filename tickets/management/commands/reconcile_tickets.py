from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tickets import remypass, services


class Command(BaseCommand):
    help = ("Settle tickets left sending or with an unknown outcome: match each "
            "to the pass RemyPass holds, send it again when RemyPass holds "
            "none, or leave it flagged with the candidates found. Safe to run "
            "from cron.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age", type=int, metavar="SECONDS",
            default=settings.TICKETS_RECONCILE_MIN_AGE,
            help="Only tickets last sent at least this long ago (default "
                 "%(default)s; 0 settles all, including ones being sent now).")

    def handle(self, *args, min_age, **options):
        if min_age < 0:
            raise CommandError("--min-age cannot be negative.")
        summary = services.reconcile_tickets(min_age_seconds=min_age,
                                             client=remypass.client())
        self.stdout.write(str(summary))
        for label in summary.flagged:
            self.stdout.write(f"  flagged: {label}")
        if summary.search_error:
            raise CommandError("RemyPass could not be searched; nothing changed.")
