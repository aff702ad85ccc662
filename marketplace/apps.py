from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from marketplace import receivers  # noqa: F401  (connects the re-verification listeners)
