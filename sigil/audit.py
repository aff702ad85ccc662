"""The audit trail: django-simple-history rows read as who, when, why and old -> new per field.

Models opt in with `history = audit_history()`; every save (admin, API, services, imports) appends
a historical row. The actor comes from the request (simple-history's middleware) or is empty for
jobs and commands; the reason is whatever the writer put in `obj._change_reason` (see `audit_reason`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.template.loader import render_to_string
from simple_history.models import HistoricalRecords

# Bookkeeping columns every change moves; showing them would bury the real changes.
HIDDEN_FIELDS = frozenset({"updated_at", "change_seq"})
MAX_SHOWN_ROWS = 200
MAX_REASON_LENGTH = 2000
KIND = {"+": "created", "~": "changed", "-": "deleted"}


def audit_history(**kwargs) -> HistoricalRecords:
    """The model's append-only history (reason as free text)."""
    return HistoricalRecords(**kwargs)


def audit_reason(obj, reason: str) -> None:
    """Say why the next save of obj happens; kept with its audit row."""
    obj._change_reason = (reason or "").strip()[:MAX_REASON_LENGTH]


@dataclass
class AuditEntry:
    when: datetime
    actor: str
    kind: str
    reason: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _shown(model, name: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a column the live model no longer has
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def audit_entries(obj, *, limit: int = MAX_SHOWN_ROWS) -> list[AuditEntry]:
    """The object's audit rows, newest first, each with its field changes (old -> new)."""
    model = type(obj)
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    fields = [f for f in model._meta.concrete_fields if f.name not in HIDDEN_FIELDS and not f.primary_key]
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        # Every column, including those not editable in forms (status, withdrawn_at): simple-history's
        # diff_against compares editable fields only.
        for model_field in fields:
            new = getattr(record, model_field.attname, None)
            if record.history_type == "+":
                if new not in (None, "", [], {}):
                    changes.append((str(model_field.verbose_name), "", _shown(model, model_field.name, new)))
            elif previous is not None and record.history_type == "~":
                old = getattr(previous, model_field.attname, None)
                if old != new:
                    changes.append((str(model_field.verbose_name), _shown(model, model_field.name, old),
                                    _shown(model, model_field.name, new)))
        user = record.history_user
        entries.append(AuditEntry(
            when=record.history_date,
            actor=user.get_username() if user is not None else ("(deleted user)" if record.history_user_id else "system"),
            kind=KIND.get(record.history_type, record.history_type),
            reason=record.history_change_reason or "",
            changes=changes,
        ))
    return entries


def render_audit_trail(obj) -> str:
    if obj is None or obj.pk is None:
        return "-"
    return render_to_string("admin/audit_trail.html", {"entries": audit_entries(obj), "limit": MAX_SHOWN_ROWS})
