"""Writes to signatures. Every change takes the feed lock and a new change_seq (see README, Signatures)."""
import logging
from typing import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from sigil.audit import audit_reason
from signatures.constants import Origin, Severity, SignatureStatus
from signatures.models import Signature, SignatureFeedCounter, number_from_public_id, public_id_for
from signatures.signals import signature_changed

logger = logging.getLogger(__name__)

COUNTER_PK = 1
# Fields a caller may change with signature_update; status goes through signature_withdraw.
UPDATABLE_FIELDS = frozenset(
    {"phase", "name", "description", "pattern", "severity", "weight", "ecosystem", "file_globs", "tags", "origin",
     "origin_report"}
)
# Fields that must not be validated before the feed lock assigns them.
_ASSIGNED_UNDER_LOCK = ["number", "public_id", "change_seq"]


class SignatureStateError(ValidationError):
    """A state change the signature's current status does not allow."""


def _bump_feed_counter(step: int) -> int:
    """Lock the feed counter row until commit and advance it by step; return the new value.

    The row lock (PostgreSQL) or the write lock (SQLite) is held until the surrounding
    transaction commits, so writers commit one after another in change_seq order. A reader
    that sees change_seq N therefore also sees every change below N.
    """
    for _ in range(3):
        if SignatureFeedCounter.objects.filter(pk=COUNTER_PK).update(value=F("value") + step):
            return SignatureFeedCounter.objects.values_list("value", flat=True).get(pk=COUNTER_PK)
        # First write ever (or a flushed table): start after the highest sequence in use.
        start = Signature.objects.aggregate(m=Max("change_seq"))["m"] or 0
        try:
            with transaction.atomic():
                SignatureFeedCounter.objects.create(pk=COUNTER_PK, value=start)
        except IntegrityError:
            pass  # another writer created it first; the update above now waits for its lock
    raise RuntimeError("signature feed counter could not be created")


def signature_feed_lock() -> None:
    """Take the feed lock without consuming a sequence number (must be inside a transaction)."""
    _bump_feed_counter(0)


def _record_change(signature: Signature, fields: Iterable[str] | None = None) -> Signature:
    """Validate, then under the feed lock assign id, change_seq and updated_at, and save.

    With fields, only those columns are written, so a stale instance cannot undo someone
    else's change to other fields.
    """
    signature.full_clean(exclude=_ASSIGNED_UNDER_LOCK, validate_unique=False)
    action = "created" if signature.pk is None else "withdrawn" if not signature.is_active else "changed"
    with transaction.atomic():
        signature.change_seq = _bump_feed_counter(1)
        now = timezone.now()
        if signature.pk is None:
            if not signature.number:
                highest = Signature.objects.aggregate(m=Max("number"))["m"] or 0
                signature.number = highest + 1
            signature.public_id = public_id_for(signature.number)
            signature.created_at = now
        signature.updated_at = now
        if fields is not None and signature.pk is not None:
            signature.save(update_fields=[*fields, "updated_at", "change_seq"])
        else:
            signature.save()
        public_id, change_seq = signature.public_id, signature.change_seq
        # After commit, so listeners (marketplace re-verification) read the change.
        transaction.on_commit(lambda: signature_changed.send(sender=Signature, public_id=public_id, action=action,
                                                             change_seq=change_seq))
    return signature


def _normalise(fields: dict) -> dict:
    if "severity" in fields:
        try:
            fields["severity"] = Severity.from_name(fields["severity"])
        except (KeyError, ValueError):
            raise ValidationError({"severity": "Severity must be one of: low, medium, high, critical."}) from None
    if "file_globs" in fields and fields["file_globs"] is not None and not isinstance(fields["file_globs"], (list, str)):
        fields["file_globs"] = list(fields["file_globs"])
    if isinstance(fields.get("file_globs"), str):
        fields["file_globs"] = [fields["file_globs"]]
    if isinstance(fields.get("tags"), (tuple, set, frozenset)):
        fields["tags"] = sorted(fields["tags"])
    return fields


def signature_create(
    *,
    phase: int,
    name: str,
    description: str,
    pattern: str,
    severity: str,
    weight: int,
    ecosystem: str,
    file_globs: Iterable[str] = (),
    tags: Iterable[str] = (),
    origin: str = Origin.BUILTIN,
    origin_report: str = "",
    public_id: str = "",
    reason: str = "",
) -> Signature:
    """Create an active signature with the next sig_NNN id (or the given one, for the built-in pack)."""
    fields = _normalise(dict(
        phase=phase, name=name, description=description, pattern=pattern, severity=severity,
        weight=weight, ecosystem=ecosystem, file_globs=list(file_globs or ()), tags=list(tags or ()), origin=origin,
        origin_report=origin_report or "",
    ))
    signature = Signature(**fields)
    if public_id:
        number = number_from_public_id(public_id)
        if number is None:
            raise ValidationError({"id": f"{public_id!r} is not a signature id like sig_001."})
        signature.number = number
    audit_reason(signature, reason or "Created.")
    signature = _record_change(signature)
    logger.info("signature %s created (origin %s %s)", signature.public_id, signature.origin, signature.origin_report)
    return signature


def signature_update(*, signature: Signature, reason: str = "", **fields) -> Signature:
    """Change some fields; a no-op update still counts as a change (callers decide)."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))} with signature_update")
    for name, value in _normalise(fields).items():
        setattr(signature, name, value)
    audit_reason(signature, reason)
    signature = _record_change(signature, fields=list(fields))
    logger.info("signature %s updated (%s)", signature.public_id, ", ".join(sorted(fields)) or "no fields")
    return signature


def signature_withdraw(*, signature: Signature, reason: str = "") -> Signature:
    """Withdraw an active signature; clients receive it as a tombstone on their next delta sync."""
    with transaction.atomic():
        # Feed lock first (the order every writer uses, so no deadlock), then re-read:
        # two analysts cannot both withdraw it.
        signature_feed_lock()
        current = Signature.objects.select_for_update().get(pk=signature.pk)
        if current.status != SignatureStatus.ACTIVE:
            raise SignatureStateError(f"{current.public_id} is already withdrawn.")
        current.status = SignatureStatus.WITHDRAWN
        current.withdrawn_at = timezone.now()
        current.withdrawn_reason = (reason or "")[:2000]
        audit_reason(current, f"Withdrawn: {reason}" if reason else "Withdrawn.")
        _record_change(current, fields=["status", "withdrawn_at", "withdrawn_reason"])
    for name in ("status", "withdrawn_at", "withdrawn_reason", "updated_at", "change_seq"):
        setattr(signature, name, getattr(current, name))
    logger.info("signature %s withdrawn", signature.public_id)
    return signature


PACK_REASON = "Built-in signature pack (load_signature_pack)."
PACK_FIELDS = ("phase", "name", "description", "pattern", "severity", "weight", "ecosystem", "file_globs", "tags")


def _pack_fields(entry: dict) -> dict:
    fields = {name: entry.get(name) for name in PACK_FIELDS}
    fields["file_globs"] = fields["file_globs"] or []
    fields["tags"] = fields["tags"] or []
    fields["ecosystem"] = fields["ecosystem"] or "generic"
    return _normalise(fields)


def signature_pack_validate(entries) -> list[str]:
    """Problems in a pack (list of signature dicts), one message per bad entry; [] when it is fine."""
    if not isinstance(entries, list):
        return ["The pack must be a JSON list of signatures."]
    problems, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not an object")
            continue
        public_id = entry.get("id")
        where = f"{where} ({public_id})"
        if not isinstance(public_id, str) or number_from_public_id(public_id) is None:
            problems.append(f"{where}: id must look like sig_001")
            continue
        if public_id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(public_id)
        missing = [name for name in PACK_FIELDS if name not in entry and name not in ("file_globs", "ecosystem", "tags")]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        try:
            candidate = Signature(origin=Origin.BUILTIN, **_pack_fields(entry))
            candidate.full_clean(exclude=_ASSIGNED_UNDER_LOCK, validate_unique=False)
        except (ValidationError, TypeError, ValueError) as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()) if hasattr(exc, "message_dict") else str(exc)
            problems.append(f"{where}: {detail}")
    return problems


@transaction.atomic
def signature_pack_load(*, entries: list[dict]) -> dict:
    """Create missing and update changed built-in signatures by id; return counts.

    Runs under the feed lock, so two servers starting at once cannot both create sig_001.
    Withdrawn built-ins stay withdrawn (an analyst decided); their fields are still updated.
    """
    problems = signature_pack_validate(entries)
    if problems:
        raise ValidationError(problems)
    signature_feed_lock()
    existing = {s.public_id: s for s in Signature.objects.filter(public_id__in=[e["id"] for e in entries])}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    for entry in entries:
        fields = _pack_fields(entry)
        signature = existing.get(entry["id"])
        if signature is None:
            signature_create(**fields, origin=Origin.BUILTIN, public_id=entry["id"], reason=PACK_REASON)
            counts["created"] += 1
        elif signature.origin != Origin.BUILTIN:
            logger.warning("pack id %s is taken by a %s signature; skipped", entry["id"], signature.origin)
            counts["skipped"] += 1
        elif any(getattr(signature, name) != value for name, value in fields.items()):
            signature_update(signature=signature, reason=PACK_REASON, **fields)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts
