"""Shields-style badges for verifications: an SVG and the shields.io endpoint-badge JSON."""
from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from marketplace.constants import VerificationStatus

LABEL = "sigil"
NOT_FOUND = "not found"
# The state word decides the colour; the verdict is on the page, not the badge ("low" on a
# green badge confused readers).
COLORS = {
    "verified": "#4c1",
    "failed": "#fe7d37",
    "revoked": "#e05d44",
    "expired": "#9f9f9f",
    "pending": "#9f9f9f",
    "error": "#9f9f9f",
    NOT_FOUND: "#9f9f9f",
}
SHIELDS_COLORS = {"verified": "brightgreen", "failed": "orange", "revoked": "red", "expired": "lightgrey",
                  "pending": "lightgrey", "error": "lightgrey", NOT_FOUND: "lightgrey"}


def badge_state(verification) -> tuple[str, object]:
    """(state word, the date it refers to or None): revoked beats expired beats verified/failed."""
    status = verification.status
    if status == VerificationStatus.PENDING:
        return "pending", None
    if status == VerificationStatus.ERROR:
        return "error", None
    if status == VerificationStatus.REVOKED:
        return "revoked", verification.revoked_at
    if verification.is_expired:
        return "expired", verification.expires_at
    return ("verified" if status == VerificationStatus.VERIFIED else "failed"), verification.verified_at


def badge_message(verification) -> str:
    """The state in words with its date, e.g. "verified 2026-02-15", "revoked 2026-03-01"."""
    state, when = badge_state(verification)
    return f"{state} {when:%Y-%m-%d}" if when else state


def _color_key(message: str) -> str:
    return message if message == NOT_FOUND else message.partition(" ")[0]


def _text_width(text: str) -> int:
    # Verdana 11px averages ~7px a character; shields pads each side by 5px.
    return 7 * len(text) + 10


def render_svg(message: str, *, label: str = LABEL, link: str | None = None) -> str:
    color = COLORS.get(_color_key(message), "#9f9f9f")
    lw, mw = _text_width(label), _text_width(message)
    width = lw + mw
    label_x, message_x = lw * 5, (lw + mw / 2) * 10
    label, message_e = escape(label), escape(message)
    title = escape(f"{label}: {message}")
    # The badge links to the public verification page (when the SVG is opened or embedded as an object).
    open_link = f'<a xlink:href="{escape(link, {chr(34): "&quot;"})}" target="_blank">' if link else ""
    close_link = "</a>" if link else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" '
        f'height="20" role="img" aria-label="{title}">'
        f"<title>{title}</title>{open_link}"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{color}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">'
        f'<text x="{label_x:.0f}" y="140" transform="scale(.1)" fill="#fff">{label}</text>'
        f'<text x="{message_x:.0f}" y="140" transform="scale(.1)" fill="#fff">{message_e}</text>'
        f"</g>{close_link}</svg>"
    )


def endpoint_badge(message: str) -> dict:
    """The shields.io endpoint-badge schema (https://shields.io/badges/endpoint-badge)."""
    return {"schemaVersion": 1, "label": LABEL, "message": message,
            "color": SHIELDS_COLORS.get(_color_key(message), "lightgrey"), "cacheSeconds": 300}


def etag_for(content: str | bytes) -> str:
    data = content.encode() if isinstance(content, str) else content
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
