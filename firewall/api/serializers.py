from rest_framework import serializers

from sigil.timefmt import isoformat_z


class InstallTokenInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InstallTokenOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    hint = serializers.CharField()
    created_at = serializers.SerializerMethodField()
    last_used_at = serializers.SerializerMethodField()
    revoked_at = serializers.SerializerMethodField()

    def get_created_at(self, obj) -> str:
        return isoformat_z(obj.created_at)

    def get_last_used_at(self, obj) -> str | None:
        return isoformat_z(obj.last_used_at) if obj.last_used_at else None

    def get_revoked_at(self, obj) -> str | None:
        return isoformat_z(obj.revoked_at) if obj.revoked_at else None


class InstallTokenListSerializer(serializers.Serializer):
    tokens = InstallTokenOutputSerializer(many=True)


class InstallTokenCreatedSerializer(InstallTokenOutputSerializer):
    token = serializers.CharField(help_text="The secret, shown once: it is stored only hashed.")


class FirewallSettingsSerializer(serializers.Serializer):
    min_release_age_hours = serializers.IntegerField(min_value=0, max_value=24 * 365)
