"""Serializer fields that refuse wrong JSON types instead of coercing them (wrong type = 422)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from domain.identifiers import normalize_hash
from sigil.timefmt import isoformat_z


class StrictCharField(serializers.CharField):
    default_error_messages = {"type": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"type": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("type")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    default_error_messages = {"type": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"type": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type")
        return super().to_internal_value(data)


class HashField(StrictCharField):
    """A content hash, normalised to `sha256:` + 64 lower-case hex (bad value = 400)."""

    default_error_messages = {"hash": "Expected sha256: followed by 64 hexadecimal characters."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_hash(value)
        except ValueError:
            self.fail("hash")


@extend_schema_field(OpenApiTypes.STR)
class TimestampField(serializers.Field):
    """A time as it leaves the server: ISO 8601 UTC with seconds and Z (docs/design.md); None stays null.

    For output serializers (not read_only: the schema would then call it required in every answer).
    """

    def to_representation(self, value):
        return isoformat_z(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeOutputField(TimestampField):
    """TimestampField where the schema has always said format date-time (the signature feed)."""
