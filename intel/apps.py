from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntelConfig(AppConfig):
    name = "intel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from intel import selectors
        from intel.analysts import grant_after_migrate
        from signatures import selectors as signatures_selectors

        # signatures (below) links a signature to its origin report without importing intel (domain/providers.py).
        signatures_selectors.report_by_public_id.provide(selectors.report_by_public_id)

        # Signatures' permissions may be created after our migration ran: grant them then.
        post_migrate.connect(grant_after_migrate, dispatch_uid="intel.analysts.grant_after_migrate")
