from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets import remypass, services


class Command(BaseCommand):
    help = ("Read every pass from RemyPass (void included, 100 a page) and take "
            "each status that changed there, e.g. voided in RemyPass's "
            "dashboard or made inactive after its scan. Never creates tickets "
            "and never brings a void ticket back. Safe to run from cron.")

    def handle(self, *args, **options):
        summary = services.sync_tickets(client=remypass.client())
        self.stdout.write(str(summary))
        for change in summary.changed:
            self.stdout.write(f"  {change}")
        if summary.error:
            # A non-zero exit, so that cron reports the run.
            raise CommandError(_("RemyPass could not be read to the end."))
