from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def check_remypass_settings(app_configs, **kwargs):
    """Warn at start-up when RemyPass cannot be used as configured."""
    problems = []
    if not settings.REMYPASS_API_KEY:
        problems.append(checks.Warning(
            "REMYPASS_API_KEY is not set: no ticket can be issued.",
            hint="Set REMYPASS_API_KEY, or REMYPASS_SANDBOX=true to try the "
                 "bundled sandbox.",
            id="tickets.W001"))
    if settings.REMYPASS_SANDBOX and (
            settings.REMYPASS_BASE_URL == settings.REMYPASS_PRODUCTION_URL):
        problems.append(checks.Warning(
            "REMYPASS_SANDBOX is on but REMYPASS_BASE_URL is the production "
            "RemyPass: pages say sandbox while tickets are real.",
            hint="Unset REMYPASS_SANDBOX or point REMYPASS_BASE_URL at the "
                 "sandbox.",
            id="tickets.W002"))
    if settings.REMYPASS_TIMEOUT <= 0:
        problems.append(checks.Error("REMYPASS_TIMEOUT must be above zero.",
                                     id="tickets.E001"))
    return problems
