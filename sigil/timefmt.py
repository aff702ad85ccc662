"""Times leave the server as ISO 8601 UTC with seconds and Z (DESIGN.md)."""
from datetime import datetime, timezone


def isoformat_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
