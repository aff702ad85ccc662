"""The sigil command: quarantine, scan locally with the engine, talk to the Sigil API."""

__version__ = "0.1.0"
