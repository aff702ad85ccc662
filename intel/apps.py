from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntelConfig(AppConfig):
    name = "intel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from intel.analysts import grant_after_migrate

        # Signatures' permissions may be created after our migration ran: grant them then.
        post_migrate.connect(grant_after_migrate, dispatch_uid="intel.analysts.grant_after_migrate")
