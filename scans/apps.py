from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "scans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import selectors as accounts_selectors
        from scans import selectors

        # accounts (below) shows a user's scan count without importing scans (domain/providers.py).
        accounts_selectors.user_scan_summary.provide(selectors.user_scan_summary)
