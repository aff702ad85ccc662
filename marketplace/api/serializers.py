from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from packageurl import PackageURL
from rest_framework import serializers
from rest_framework.fields import SkipField

from domain.identifiers import normalize_hash, pep503_name
from intel.constants import MatchBasis
from intel.matching import PackageQuery
from intel.models import threat_public_url
from marketplace import guarded_http
from marketplace.constants import VerificationStatus, VerifySourceType
from marketplace.registries import GIT_REF, NPM_NAME, PYPI_NAME, VERSION
from sigil.api.errors import BadRequest
from sigil.api.fields import StrictCharField, StrictChoiceField, TimestampField
from sigil.timefmt import isoformat_z


def _guarded(url: str, field: str) -> None:
    """Refuse at request time what the guarded client would refuse later (400)."""
    try:
        guarded_http.check_url(url)
    except guarded_http.OutboundRefused as exc:
        raise serializers.ValidationError({field: [str(exc)]}) from None


class VerifyInputSerializer(serializers.Serializer):
    source_type = StrictChoiceField(choices=VerifySourceType.choices)
    source_ref = StrictCharField(max_length=2048)
    source_version = StrictCharField(required=False, allow_blank=True, max_length=200)
    source_hash = StrictCharField(required=False, allow_blank=True, max_length=100)
    callback_url = StrictCharField(required=False, allow_blank=True, max_length=2048)

    def validate_source_hash(self, value):
        if not value:
            return ""
        try:
            return normalize_hash(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        kind, ref = attrs["source_type"], attrs["source_ref"].strip()
        version = (attrs.get("source_version") or "").strip()
        if version:
            pattern = GIT_REF if kind == VerifySourceType.GIT else VERSION
            if not pattern.match(version) or ".." in version:
                raise serializers.ValidationError({"source_version": ["Not a valid version or ref."]})
        if kind == VerifySourceType.PIP:
            if not PYPI_NAME.match(ref):
                raise serializers.ValidationError({"source_ref": ["Must be a PyPI project name, e.g. requests."]})
            ref = pep503_name(ref)
        elif kind == VerifySourceType.NPM:
            if not NPM_NAME.match(ref):
                raise serializers.ValidationError({"source_ref": ["Must be an npm package name, e.g. esbuild."]})
        else:
            parts = urlsplit(ref)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise serializers.ValidationError({"source_ref": ["Must be an https URL."]})
            _guarded(ref, "source_ref")
        callback = (attrs.get("callback_url") or "").strip()
        if callback:
            if urlsplit(callback).scheme not in ("https", "http"):
                raise serializers.ValidationError({"callback_url": ["Must be an https URL."]})
            _guarded(callback, "callback_url")
        return {"source_type": kind, "source_ref": ref, "source_version": version,
                "source_hash": attrs.get("source_hash") or "", "callback_url": callback}


class PhaseFlaggedSerializer(serializers.Serializer):
    phase = serializers.IntegerField()
    score = serializers.IntegerField()
    note = serializers.CharField()


class DetailsSerializer(serializers.Serializer):
    phases_clean = serializers.ListField(child=serializers.IntegerField())
    phases_flagged = PhaseFlaggedSerializer(many=True)
    publisher_reputation = serializers.IntegerField(allow_null=True)
    known_threats = serializers.IntegerField()


class RevocationSerializer(serializers.Serializer):
    revoked_at = serializers.CharField()
    reason = serializers.CharField()
    feed_version = serializers.IntegerField()
    threat = serializers.CharField(allow_null=True)
    threat_url = serializers.CharField(allow_null=True)
    signature = serializers.CharField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)
    verdict = serializers.CharField(allow_null=True)


def revocation_body(verification) -> dict | None:
    """Why and when a verified result was revoked (beyond the original reference in docs/api.md;
    README, Badges and re-verification)."""
    if verification.status != VerificationStatus.REVOKED:
        return None
    revocation = verification.revocation or {}
    threat = revocation.get("threat")
    return {
        "revoked_at": isoformat_z(verification.revoked_at),
        "reason": revocation.get("reason", ""),
        "feed_version": revocation.get("feed_version", 0),
        "threat": threat,
        "threat_url": threat_public_url(threat) if threat else None,
        "signature": revocation.get("signature"),
        "score": revocation.get("score"),
        "verdict": revocation.get("verdict"),
    }


def badge_url(verification) -> str | None:
    return f"{settings.SIGIL_PUBLIC_URL}/badge/{verification.public_id}.svg" if verification.has_badge else None


def page_url(verification) -> str:
    return f"{settings.SIGIL_PUBLIC_URL}/verifications/{verification.public_id}"


class ErrorField(serializers.CharField):
    """`error`: present only on a verification in status "error"."""

    def get_attribute(self, verification):
        if verification.status != VerificationStatus.ERROR:
            raise SkipField()
        return verification.error


class VerificationOutputSerializer(serializers.Serializer):
    """The POST/GET /v1/verify body (docs/api.md, Marketplace), also the webhook's `data`.

    Results (score, verdict, dates, details) show once a run has finished, never while pending or
    after an error.
    """

    verification_id = serializers.CharField(source="public_id")
    status = serializers.ChoiceField(choices=VerificationStatus.choices)
    source_type = serializers.CharField()
    source_ref = serializers.CharField()
    source_version = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    badge_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    artifact_hash = serializers.SerializerMethodField()
    publisher = serializers.SerializerMethodField()
    verified_at = serializers.SerializerMethodField()
    expires_at = serializers.SerializerMethodField()
    details = serializers.SerializerMethodField()
    rechecked_at = TimestampField(allow_null=True)
    rechecked_feed_version = serializers.SerializerMethodField()
    revocation = serializers.SerializerMethodField()
    error = ErrorField(allow_null=True, required=False)

    def get_source_version(self, verification) -> str | None:
        return verification.source_version or verification.requested_version or None

    def get_score(self, verification) -> int | None:
        return verification.score if verification.is_done else None

    def get_verdict(self, verification) -> str | None:
        return verification.verdict if verification.is_done else None

    def get_badge_url(self, verification) -> str | None:
        return badge_url(verification)

    def get_page_url(self, verification) -> str:
        return page_url(verification)

    def get_artifact_hash(self, verification) -> str | None:
        return verification.artifact_hash or None

    def get_publisher(self, verification) -> str | None:
        return verification.publisher.shown_name if verification.publisher else None

    def get_verified_at(self, verification) -> str | None:
        return isoformat_z(verification.verified_at) if verification.is_done else None

    def get_expires_at(self, verification) -> str | None:
        return isoformat_z(verification.expires_at) if verification.is_done else None

    @extend_schema_field(DetailsSerializer(allow_null=True))
    def get_details(self, verification):
        return verification.details if verification.is_done else None

    def get_rechecked_feed_version(self, verification) -> int | None:
        return verification.rechecked_version or None

    @extend_schema_field(RevocationSerializer(allow_null=True))
    def get_revocation(self, verification):
        return revocation_body(verification)


class WebhookSecretOutputSerializer(serializers.Serializer):
    secret = serializers.CharField()
    created_at = TimestampField()
    rotated_at = TimestampField(allow_null=True)


class DeliverySerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    message_id = serializers.CharField()
    event_type = serializers.CharField()
    url = serializers.CharField()
    outcome = serializers.CharField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()
    attempted_at = TimestampField()


class DeliveryListSerializer(serializers.Serializer):
    """GET /v1/verify/{id}/deliveries, from {"verification", "deliveries"}."""

    verification_id = serializers.CharField(source="verification.public_id")
    deliveries = DeliverySerializer(many=True)


# POST /v1/lookup ------------------------------------------------------------------------------

LOOKUP_MAX_ITEMS = 1000
LOOKUP_MAX_HASHES = 64
LOOKUP_ECOSYSTEMS = {"pypi": "pypi", "npm": "npm"}  # accepted spellings (any case) -> intel ecosystem
LOOKUP_STATUSES = ["malicious", "failed_verification", "verified", "unknown"]  # selectors.lookup_status
_ITEM_SHAPES = ('{"purl": "pkg:pypi/requests@2.32.3"}, {"ecosystem": "npm", "name": "left-pad", "version": "1.3.0"} '
                'or {"hash": "sha256:..."}')


def _purl_query(value) -> PackageQuery:
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise ValueError("purl must be a string of at most 2048 characters.")
    try:
        purl = PackageURL.from_string(value)
    except ValueError as exc:
        raise ValueError(f"Not a valid purl: {exc}") from None
    ecosystem = LOOKUP_ECOSYSTEMS.get(purl.type)
    if ecosystem is None:
        raise ValueError(f"purl type {purl.type!r} is not supported; use pkg:pypi/… or pkg:npm/….")
    name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
    if ecosystem == "npm" and purl.namespace and not purl.namespace.startswith("@"):
        name = f"@{name}"
    checksums = (purl.qualifiers or {}).get("checksum", "")
    hashes = [c for c in checksums.split(",") if c.startswith("sha256:")] if isinstance(checksums, str) else []
    return PackageQuery.build(ecosystem=ecosystem, name=name, version=purl.version, hashes=hashes[:LOOKUP_MAX_HASHES])


def parse_lookup_item(item) -> PackageQuery:
    """One lookup item as a normalised PackageQuery; ValueError says what is wrong with it."""
    if not isinstance(item, dict):
        raise ValueError(f"Each item is an object: {_ITEM_SHAPES}.")
    keys = set(item)
    if "purl" in keys:
        if keys != {"purl"}:
            raise ValueError("A purl item has only the purl key.")
        return _purl_query(item["purl"])
    if "hash" in keys:
        if keys != {"hash"}:
            raise ValueError("A hash item has only the hash key.")
        if not isinstance(item["hash"], str):
            raise ValueError("hash must be a string.")
        return PackageQuery.build(hashes=[item["hash"]])
    if {"ecosystem", "name"} <= keys and keys <= {"ecosystem", "name", "version", "hashes"}:
        ecosystem, name, version = item["ecosystem"], item["name"], item.get("version")
        hashes = item.get("hashes") or []
        if not isinstance(ecosystem, str) or ecosystem.lower() not in LOOKUP_ECOSYSTEMS:
            raise ValueError("ecosystem must be pypi or npm.")
        if not isinstance(name, str):
            raise ValueError("name must be a string.")
        if version is not None and not isinstance(version, str):
            raise ValueError("version must be a string.")
        if not isinstance(hashes, list) or len(hashes) > LOOKUP_MAX_HASHES or not all(isinstance(h, str) for h in hashes):
            raise ValueError(f"hashes must be a list of at most {LOOKUP_MAX_HASHES} strings.")
        return PackageQuery.build(ecosystem=LOOKUP_ECOSYSTEMS[ecosystem.lower()], name=name, version=version,
                                  hashes=hashes)
    raise ValueError(f"Unknown item shape; use {_ITEM_SHAPES}.")


def lookup_body(data) -> list:
    """The request's items, or BadRequest for a body that is not {"packages": [1..1000 items]}."""
    if not isinstance(data, dict) or set(data) != {"packages"} or not isinstance(data["packages"], list):
        raise BadRequest('Send {"packages": [...]} with 1 to 1000 items.')
    items = data["packages"]
    if not 1 <= len(items) <= LOOKUP_MAX_ITEMS:
        raise BadRequest(f"packages must hold 1 to {LOOKUP_MAX_ITEMS} items (got {len(items)}).")
    return items


class LookupThreatSerializer(serializers.Serializer):
    # From an intel.matching.ThreatMatch.
    reference = serializers.CharField()
    severity = serializers.CharField()
    category = serializers.CharField()
    withdrawn = serializers.BooleanField()
    match = serializers.ChoiceField(choices=MatchBasis.choices, source="basis")
    url = serializers.SerializerMethodField()

    def get_url(self, threat) -> str:
        return threat_public_url(threat.reference)


class LookupPackageSerializer(serializers.Serializer):
    # From a PackageQuery that names a package.
    ecosystem = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    purl = serializers.SerializerMethodField()

    def get_purl(self, query) -> str:
        namespace, _, name = query.name.rpartition("/")
        return PackageURL(type=query.ecosystem, namespace=namespace or None, name=name, version=query.version).to_string()


class LookupVerificationSerializer(serializers.Serializer):
    # From the latest Verification of the package version (any owner's).
    verification_id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    verdict = serializers.SerializerMethodField()
    verified_at = TimestampField(allow_null=True)
    expires_at = TimestampField(allow_null=True)
    expired = serializers.BooleanField(source="is_expired")
    badge_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    def get_verdict(self, verification) -> str | None:
        return verification.verdict or None

    def get_badge_url(self, verification) -> str | None:
        return badge_url(verification)

    def get_page_url(self, verification) -> str:
        return page_url(verification)


class LookupItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class LookupResultSerializer(serializers.Serializer):
    """One result per item, in request order; either an answer or an `error`."""

    # From {"index", "error"} for an item that could not be parsed, else {"index"} and an answer of
    # selectors.package_lookup ({"query", "status", "match", "threats", "verification"}).
    index = serializers.IntegerField()
    package = LookupPackageSerializer(allow_null=True, required=False)
    hashes = serializers.ListField(child=serializers.CharField(), source="query.hashes", required=False)
    status = serializers.ChoiceField(choices=LOOKUP_STATUSES, required=False)
    match = serializers.ChoiceField(choices=MatchBasis.choices, allow_null=True, required=False)
    threats = LookupThreatSerializer(many=True, required=False)
    verification = LookupVerificationSerializer(allow_null=True, required=False)
    error = LookupItemErrorSerializer(required=False)

    def to_representation(self, result):
        if "error" in result:
            return {"index": result["index"], "error": LookupItemErrorSerializer(result["error"]).data}
        return super().to_representation({**result, "package": result["query"] if result["query"].name else None})


class LookupInputSerializer(serializers.Serializer):
    """For the schema: items are parsed one by one (parse_lookup_item) so one bad item fails alone."""

    packages = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=LOOKUP_MAX_ITEMS)


class LookupOutputSerializer(serializers.Serializer):
    # From {"results"}: the summary counts the results by status.
    results = LookupResultSerializer(many=True)
    summary = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_summary(self, body) -> dict:
        summary = dict.fromkeys([*LOOKUP_STATUSES, "error"], 0)
        for result in body["results"]:
            summary["error" if "error" in result else result["status"]] += 1
        return summary
