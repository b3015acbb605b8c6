import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tickets import roles

TRIAL_LOGINS = (
    # username, group, is a superuser
    ("admin", None, True),
    ("supervisor", roles.SUPERVISOR, False),
    ("boxoffice", roles.BOX_OFFICE, False),
)


class Command(BaseCommand):
    help = ("Create (or reset) the trial logins admin, supervisor and boxoffice "
            "with fresh random passwords, and print them. For trying the app; "
            "on a real installation create named logins in the admin instead.")

    def handle(self, *args, **options):
        User = get_user_model()
        # The groups come from a migration; make them again if someone removed
        # them, so the trial logins never end up without a role.
        groups = roles.ensure_roles()
        self.stdout.write(_("Logins for this run (new passwords every run):"))
        for username, group_name, is_superuser in TRIAL_LOGINS:
            user, _created = User.objects.get_or_create(username=username)
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = True
            user.is_superuser = is_superuser
            user.save()
            if group_name:
                user.groups.add(groups[group_name])
            self.stdout.write(f"  {username:<11} {password}")
