"""Encoded payloads: base64/hex blobs (nested, compressed) and short encoded strings, decoded and matched."""

from __future__ import annotations

import base64
import binascii
import bz2
import re
import zlib

import re2

from . import scoring as W
from .files import FileInfo
from .hits import RawHit
from .match import match_rules
from .rules import CompiledRules

MAX_DECODE_DEPTH = 3
MAX_BLOBS_PER_FILE = 30
MAX_DECODED_BYTES = 4 * 1024 * 1024
MAX_SHORT_STRINGS = 200

_B64_BLOB = re2.compile(r"""[A-Za-z0-9+/_-]{60,}={0,2}""")
_SHORT_B64_CALL = re2.compile(
    r"""(?:Buffer\.from|atob|b64decode|decodebytes|b64decode)\s*\(\s*b?['"`]([A-Za-z0-9+/]{4,99}={0,2})['"`]"""
)
# A base64 literal that decodes to "http://" or "https://": a hidden endpoint.
_B64_URL = re2.compile(r"""['"`](aHR0c(?:HM6Ly|DovL)[A-Za-z0-9+/]{4,300}={0,2})['"`]""")
_HEX_BLOB = re2.compile(r"""(?:\\x[0-9a-fA-F]{2}){40,}|[0-9a-fA-F]{160,}""")


def binary_kind(data: bytes) -> str | None:
    """"ELF", "PE" or "Mach-O" when data starts like an executable."""
    if data[:4] == b"\x7fELF":
        return "ELF"
    if data[:2] == b"MZ":
        return "PE"
    if data[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "Mach-O"
    return None


def _maybe_decompress(raw: bytes) -> bytes:
    if raw[:1] == b"\x78" and raw[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        try:
            return zlib.decompressobj().decompress(raw, MAX_DECODED_BYTES)
        except zlib.error:
            return raw
    if raw[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(31).decompress(raw, MAX_DECODED_BYTES)
        except zlib.error:
            return raw
    if raw[:3] == b"BZh":
        try:
            return bz2.BZ2Decompressor().decompress(raw, MAX_DECODED_BYTES)
        except (OSError, ValueError):
            return raw
    return raw


def _printable(raw: bytes) -> bool:
    sample = raw[:4096]
    if not sample:
        return False
    good = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return good / len(sample) > 0.9


def _decode_blob(text: bytes) -> bytes | None:
    if text.startswith(b"\\x"):
        try:
            return bytes.fromhex(text.replace(b"\\x", b"").decode())
        except ValueError:
            return None
    if re.fullmatch(rb"[0-9a-fA-F]+", text) and len(text) % 2 == 0:
        try:
            return bytes.fromhex(text.decode())
        except ValueError:
            return None
    try:
        s = text.rstrip(b"=")
        s = s + b"=" * (-len(s) % 4)
        if b"-" in s or b"_" in s:
            return base64.urlsafe_b64decode(s)
        return base64.b64decode(s)
    except (binascii.Error, ValueError):
        return None


def _is_serious(hits: list[RawHit]) -> bool:
    return any(h.severity in ("medium", "high", "critical") and h.phase != 6 for h in hits)


def _short_strings(compiled: CompiledRules, info: FileInfo, data: bytes, mult: float) -> list[RawHit]:
    """Decode the short literals passed to base64 decoders and scan them together.

    Loaders hide single words ("country_name", "russia", a URL) in many small base64 strings; each
    is harmless alone, so they are joined and scanned as one text.
    """
    pieces: list[bytes] = []
    first_line = 0
    urls = 0
    for regex in (_SHORT_B64_CALL, _B64_URL):
        for m in regex.finditer(data):
            raw = _decode_blob(m.group(1))
            if raw and _printable(raw):
                pieces.append(raw)
                urls += regex is _B64_URL
                if not first_line:
                    first_line = data.count(b"\n", 0, m.start()) + 1
            if len(pieces) >= MAX_SHORT_STRINGS:
                break
    if len(pieces) < 2 and not urls:
        return []
    text = b" ".join(pieces)
    label = f"{info.path} (decoded strings)"
    inner = match_rules(compiled, info, text, mult=mult * W.DECODED_MULT, label=label, line_offset=first_line)
    if _is_serious(inner):
        inner.append(RawHit("eng_encoded_payload", 5, "high", info, first_line, text[:80].decode("utf-8", "replace"),
                            W.ENCODED_PAYLOAD * mult, "encoded strings that decode to suspicious code"))
    return inner


def scan_blobs(compiled: CompiledRules, info: FileInfo, data: bytes, mult: float, depth: int = 1,
               budget: list[int] | None = None) -> list[RawHit]:
    """Hits inside the encoded blobs of data, decoded up to MAX_DECODE_DEPTH levels deep."""
    if budget is None:
        budget = [MAX_DECODED_BYTES]
    if depth > MAX_DECODE_DEPTH:
        return []
    found: list[RawHit] = []
    if depth == 1:
        found.extend(_short_strings(compiled, info, data, mult))
    count = 0
    for regex in (_B64_BLOB, _HEX_BLOB):
        for m in regex.finditer(data):
            if count >= MAX_BLOBS_PER_FILE or budget[0] <= 0:
                return found
            count += 1
            blob = m.group(0)
            # Long identifiers and paths are not payloads: real base64 mixes cases and digits.
            head = blob[:400]
            if regex is _B64_BLOB and not (re.search(rb"[0-9]", head) and re.search(rb"[a-z]", head) and re.search(rb"[A-Z]", head)):
                continue
            raw = _decode_blob(blob)
            if not raw or len(raw) < 40:
                continue
            raw = _maybe_decompress(raw)[:MAX_DECODED_BYTES]
            budget[0] -= len(raw)
            line = data.count(b"\n", 0, m.start()) + 1
            shown = blob[:60].decode("ascii", "replace") + "..."
            kind = binary_kind(raw[:8])
            if kind:
                found.append(RawHit("eng_embedded_executable", 5, "high", info, line, shown,
                                    W.EMBEDDED_EXECUTABLE * mult, f"encoded {kind} executable embedded in source"))
                continue
            if not _printable(raw):
                continue
            label = f"{info.path} (decoded blob at line {line})"
            inner = match_rules(compiled, info, raw, mult=mult * W.DECODED_MULT, label=label, line_offset=line)
            inner += scan_blobs(compiled, info, raw, mult, depth + 1, budget)
            if _is_serious(inner):
                found.append(RawHit("eng_encoded_payload", 5, "high", info, line, shown,
                                    W.ENCODED_PAYLOAD * mult, "encoded payload that decodes to suspicious code"))
            found.extend(inner)
    return found
