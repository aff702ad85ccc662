import json
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


# NUL and UTF-16 surrogate code points: no text field means them, PostgreSQL cannot store them
# (and drivers fail on them), so they are refused in the request plumbing rather than in every view
# (sigil.api.middleware for paths and queries, StrictJSONParser for JSON bodies).
_HOSTILE_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")


def has_hostile_characters(text: str) -> bool:
    return _HOSTILE_CHARACTERS.search(text) is not None


class StrictJSONParser(JSONParser):
    """JSON only: no NaN/Infinity, and deeply nested bodies are a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON body: {exc}") from None
        except RecursionError:
            raise ParseError("Malformed JSON body: nested too deeply.") from None
        # Escapes (\u0000, a lone \ud800) get past the decoder; no field means them.
        if "\\u" in text and _has_hostile_string(data):
            raise ParseError("The JSON body contains a NUL character or an unpaired surrogate.")
        return data


def _has_hostile_string(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_hostile_characters(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")
