"""
The two staff roles and the permissions each holds.

Migration 0003 creates the groups with a frozen copy of these lists; this
module is what the running app uses to check or re-create them (the trial
logins command and the tests), so a change here needs a new data migration.
Superusers manage logins; neither role can.
"""

BOX_OFFICE = "Box office"
SUPERVISOR = "Supervisor"

BOX_OFFICE_PERMISSIONS = (
    "issue_ticket", "retry_ticket", "view_ticket", "view_booking",
    "view_screening",
)
SUPERVISOR_PERMISSIONS = BOX_OFFICE_PERMISSIONS + (
    "void_ticket", "refresh_ticket", "reconcile_ticket", "export_ticket",
    "change_booking", "add_screening", "change_screening", "delete_screening",
    "view_member", "view_passtemplate", "view_ticketevent",
)

ROLES = {
    BOX_OFFICE: BOX_OFFICE_PERMISSIONS,
    SUPERVISOR: SUPERVISOR_PERMISSIONS,
}


def ensure_roles():
    """Create the role groups if missing and give each at least its permissions."""
    from django.contrib.auth.models import Group, Permission

    groups = {}
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(
            content_type__app_label="tickets", codename__in=codenames))
        groups[name] = group
    return groups
