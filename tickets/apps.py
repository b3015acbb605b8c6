from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from . import admin_screenings  # noqa: F401  (registers its admin)
