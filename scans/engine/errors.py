"""Errors raised by the scan engine."""


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidPattern(EngineError):
    """A signature pattern that RE2 cannot compile."""

    def __init__(self, rule_id: str, message: str):
        super().__init__(f"{rule_id}: {message}" if rule_id else message)
        self.rule_id = rule_id
        self.message = message


class ArchiveError(EngineError):
    """An archive that cannot be read: corrupt, truncated or of an unknown format."""


class ArchiveLimitExceeded(EngineError):
    """An archive over one of the size, count or compression-ratio caps."""
