"""Times leave the server as ISO 8601 UTC with seconds and Z (docs/design.md)."""
from datetime import datetime, timezone


def isoformat_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    # isoformat, not strftime("%Y"): it zero-pads years before 1000 ("0200-…"), as RFC 3339 requires.
    utc = value.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
    return utc.isoformat(timespec="seconds") + "Z"
