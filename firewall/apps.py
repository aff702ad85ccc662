from django.apps import AppConfig


class FirewallConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "firewall"
    verbose_name = "Install-time firewall"
