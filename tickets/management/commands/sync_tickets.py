from django.core.management.base import BaseCommand, CommandError

from tickets import remypass, services


class Command(BaseCommand):
    help = ("Read every pass from RemyPass (void included, 100 a page) and take "
            "each status that changed there, e.g. voided in RemyPass's "
            "dashboard or made inactive after its scan. Never creates tickets "
            "and never brings a void ticket back. Safe to run from cron.")

    def handle(self, *args, **options):
        try:
            summary = services.sync_tickets(client=remypass.client())
        except remypass.RemyPassError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(str(summary))
