from django.conf import settings
from rest_framework import serializers

from sigil.api.fields import StrictCharField, StrictEmailField, TimestampField


class RegisterInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(min_length=8, max_length=settings.PASSWORD_MAX_LENGTH, trim_whitespace=False)
    name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInputSerializer(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=settings.PASSWORD_MAX_LENGTH, trim_whitespace=False)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    email = serializers.EmailField()
    name = serializers.CharField()
    tier = serializers.CharField()


class RegisterOutputSerializer(UserOutputSerializer):
    created_at = TimestampField()


class LoginOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    user = UserOutputSerializer()


class MeOutputSerializer(RegisterOutputSerializer):
    """A user annotated by selectors.user_with_scan_summary."""

    scan_count = serializers.IntegerField()
    last_scan_at = TimestampField(allow_null=True)
