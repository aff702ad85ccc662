"""Reads that a higher layer hands to a lower one (README, Architecture).

A lower app that must read rows a higher app keeps (a user's scans for accounts, a publisher's
verifications for intel) declares a `Provided` slot; the owning app fills it with its selector in
its `AppConfig.ready()`. The lower app imports nothing above it, and the query stays in the
selectors of the app that owns the rows.
"""
from __future__ import annotations

from collections.abc import Callable


class NotProvided(RuntimeError):
    """No app filled the slot: the owning app is not installed or its ready() did not run."""


class Provided:
    def __init__(self, what: str):
        self.what = what
        self._reader: Callable | None = None

    def provide(self, reader: Callable) -> None:
        self._reader = reader

    def __call__(self, **kwargs):
        if self._reader is None:
            raise NotProvided(f"Nothing provides {self.what}.")
        return self._reader(**kwargs)
