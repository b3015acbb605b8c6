from django.conf import settings


def remypass(request):
    """Tell every page whether RemyPass is the sandbox or not configured."""
    return {
        "remypass_sandbox": settings.REMYPASS_SANDBOX,
        "remypass_configured": bool(settings.REMYPASS_API_KEY),
    }
