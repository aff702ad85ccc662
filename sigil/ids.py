"""Public identifiers: prefix + 12 lowercase alphanumerics from `secrets` (docs/design.md)."""
import secrets
import string

from django.db import models

ALPHABET = string.ascii_lowercase + string.digits


def new_public_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(12))


class PublicIdField(models.CharField):
    """A unique public id like `usr_a1b2c3d4e5f6`, generated on first save."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", len(prefix) + 12)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        # Written out even when False (audit history copies are not unique), since __init__ defaults it to True.
        kwargs["unique"] = self.unique
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if not value:
            value = new_public_id(self.prefix)
            setattr(model_instance, self.attname, value)
        return value
