from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from intel import selectors as intel_selectors
        from marketplace import receivers  # noqa: F401  (connects the re-verification listeners)
        from marketplace import selectors

        # intel (below) weighs a publisher's verifications without importing marketplace (domain/providers.py).
        intel_selectors.publisher_verifications.provide(selectors.publisher_verifications)
