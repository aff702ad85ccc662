from django.contrib.auth.management import create_permissions
from django.db import migrations

from intel.analysts import ensure_analysts_group


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them now
    # for the apps that exist so the group can be granted them in this migration.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    ensure_analysts_group(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Analysts").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0001_initial"),
        ("scans", "0002_scan_package"),
        ("signatures", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
