"""The Analysts group: exactly the permissions the report-curation workflow needs."""
from django.db.models import Q

from intel.constants import ANALYSTS_GROUP

# (app_label, codename). Analysts read everything they triage, change reports (review actions
# and correcting the parsed package), edit threat text and what a threat affects, and write
# detection signatures.
ANALYST_PERMISSIONS = (
    ("intel", "view_report"),
    ("intel", "change_report"),
    ("intel", "view_reportreview"),
    ("intel", "view_threat"),
    ("intel", "change_threat"),
    # What a threat affects: OSV ranges and artifact hashes, edited inline on the threat page.
    ("intel", "view_threatrange"),
    ("intel", "add_threatrange"),
    ("intel", "change_threatrange"),
    ("intel", "delete_threatrange"),
    ("intel", "view_threatartifacthash"),
    ("intel", "add_threatartifacthash"),
    ("intel", "change_threatartifacthash"),
    ("intel", "delete_threatartifacthash"),
    ("intel", "view_publisher"),
    ("intel", "view_package"),
    ("intel", "view_packageversion"),
    ("scans", "view_scan"),
    ("signatures", "view_signature"),
    ("signatures", "add_signature"),
    ("signatures", "change_signature"),
)


def ensure_analysts_group(*, group_model, permission_model) -> None:
    """Create the group and grant every listed permission that exists (idempotent).

    Called from a migration and again after every migrate (post_migrate), so permissions of
    apps migrated later (signatures) are granted as soon as they exist.
    """
    group, _ = group_model.objects.get_or_create(name=ANALYSTS_GROUP)
    wanted = Q(pk__in=[])
    for app_label, codename in ANALYST_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*permission_model.objects.filter(wanted))


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate runs once per app; signatures' permissions exist only after its turn."""
    from django.contrib.auth.models import Group, Permission
    from django.db import connections

    if sender.label not in {"intel", "scans", "signatures"}:
        return
    if "auth_group" not in connections[using].introspection.table_names():
        return
    ensure_analysts_group(group_model=Group, permission_model=Permission)


def analyst_make(*, email: str, password: str | None = None) -> tuple[object, bool]:
    """Make EMAIL an analyst: staff, in the Analysts group. A new account needs a password
    (Django's validators apply); an existing one keeps its password. Returns (user, created)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.auth.password_validation import validate_password
    from django.db import transaction

    user_model = get_user_model()
    with transaction.atomic():
        ensure_analysts_group(group_model=Group, permission_model=Permission)
        user = user_model.objects.filter(email__iexact=email).first()
        created = user is None
        if created:
            if not password:
                raise ValueError("a new account needs a password")
            validate_password(password, user=user_model(email=email))
            user = user_model.objects.create_user(email, password)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=ANALYSTS_GROUP))
    return user, created
