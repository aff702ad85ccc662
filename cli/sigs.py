"""Signatures: delta sync against GET /v1/signatures, a local cache, the built-in pack offline."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cli.api import Api, ApiError, Offline
from cli.config import SIGNATURES_FILE, home, read_json, write_private_json

if TYPE_CHECKING:
    from scans.engine import Rule

# A server that keeps answering has_more must not keep us looping forever.
MAX_PAGES = 200


@dataclass
class RuleSet:
    rules: list[Rule]
    source: str  # "synced", "cache" or "builtin"
    note: str = ""


def _cache_path():
    return home() / SIGNATURES_FILE


def load_cache(base: str) -> dict:
    data = read_json(_cache_path())
    if not data or data.get("api_url") != base or not isinstance(data.get("signatures"), list):
        return {"api_url": base, "next_sync_token": None, "signatures": []}
    return data


def apply_delta(current: list[dict], incoming: list) -> list[dict]:
    """Merge a page of signatures by id; withdrawn ones (tombstones) are removed."""
    by_id = {str(s["id"]): s for s in current if isinstance(s, dict) and "id" in s}
    for sig in incoming:
        if not isinstance(sig, dict) or "id" not in sig:
            continue
        sid = str(sig["id"])
        if sig.get("status") == "withdrawn":
            by_id.pop(sid, None)
        else:
            by_id[sid] = sig
    return sorted(by_id.values(), key=lambda s: str(s["id"]))


def sync(api: Api) -> dict:
    """Fetch what changed since the stored token and save the merged list; raises on failure."""
    cache = load_cache(api.base)
    token = cache.get("next_sync_token")
    try:
        sigs, token = _pull(api, token, cache["signatures"] if token else [])
    except ApiError as exc:
        if not token or exc.status != 400:
            raise
        # The server no longer knows our token (reset, new feed): start over with a full sync.
        sigs, token = _pull(api, None, [])
    cache = {"api_url": api.base, "next_sync_token": token, "signatures": sigs}
    write_private_json(_cache_path(), cache)
    return cache


def _pull(api: Api, token: str | None, sigs: list[dict]) -> tuple[list[dict], str | None]:
    """Page through the feed from token (None: full sync, which has no tombstones)."""
    for _ in range(MAX_PAGES):
        page = api.signatures(token)
        incoming = page.get("signatures")
        if not isinstance(incoming, list):
            raise ApiError(200, "malformed signatures response")
        sigs = apply_delta(sigs, incoming)
        new_token = page.get("next_sync_token")
        progressed = isinstance(new_token, str) and new_token and new_token != token
        if progressed:
            token = new_token
        if page.get("has_more") is not True or not progressed:
            break
    return sigs, token


def to_rules(dicts: list[dict]) -> tuple[list[Rule], int]:
    """Rules the engine can compile; a malformed or non-RE2 entry is dropped, not fatal."""
    from scans.engine import InvalidPattern, Rule, validate_pattern  # only commands that scan need the engine

    rules, dropped = [], 0
    for d in dicts:
        try:
            rule = Rule.from_dict(d)
            if rule.phase not in range(1, 7):
                raise ValueError("phase")
            validate_pattern(rule.pattern, rule.id)
        except (KeyError, TypeError, ValueError, InvalidPattern):
            dropped += 1
            continue
        rules.append(rule)
    return rules, dropped


def rules_for_scan(api: Api, *, offline: bool = False) -> RuleSet:
    """Synced signatures when logged in and online, else the cache, else the built-in pack."""
    note = ""
    data = None
    if offline:
        note = "offline mode"
    elif not api.token:
        note = "not logged in"
    else:
        try:
            data = sync(api)
            source = "synced"
        except (Offline, ApiError) as exc:
            note = f"sync failed: {exc}"
    if data is None:
        data = load_cache(api.base)
        source = "cache"
    rules, dropped = to_rules(data["signatures"])
    if dropped:
        print(f"warning: ignored {dropped} signature(s) that do not compile", file=sys.stderr)
    if rules:
        return RuleSet(rules, source, note)
    from domain.pack import BUILTIN_PACK_PATH
    from scans.engine import load_rules

    return RuleSet(load_rules(BUILTIN_PACK_PATH), "builtin", note)
