"""Create the "Box office" and "Supervisor" groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here on purpose: a migration must do the same thing whenever it runs,
# whatever tickets/roles.py says later.
BOX_OFFICE = (
    "issue_ticket", "retry_ticket", "view_ticket", "view_booking",
    "view_screening",
)
SUPERVISOR = BOX_OFFICE + (
    "void_ticket", "refresh_ticket", "reconcile_ticket", "export_ticket",
    "change_booking", "add_screening", "change_screening", "delete_screening",
    "view_member", "view_passtemplate", "view_ticketevent",
)
ROLES = {"Box office": BOX_OFFICE, "Supervisor": SUPERVISOR}


def create_roles(apps, schema_editor):
    # Permissions are normally made after the last migration has run; the
    # groups need them now, on a fresh database too.
    # create_permissions skips an app without a models module, which is how
    # the migration state's app entries look; the old value is put back so a
    # caller's registry is left as it was.
    app_config = apps.get_app_config("tickets")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="tickets", codename__in=codenames)
        missing = set(codenames) - {p.codename for p in permissions}
        if missing:
            raise RuntimeError(f"Permissions missing for {name}: {sorted(missing)}")
        # Adding keeps any extra permission an administrator gave the group.
        group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0002_screening"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
    ]
