"""JSON as the app reads it from requests: bounded depth, and text that can be stored.

Every request body (the management API, the intake hook, flask-wtf reading a JSON post) is parsed by
Flask through app.json, this provider. Two things a client can send that would otherwise end in a 500:

- nesting: 100,000 `[` made the parser recurse until Python gave up (RecursionError is no ValueError,
  so Flask did not turn it into a 400). Anything nested deeper than MAX_DEPTH is refused as malformed;
- numbers no JSON parser should produce: NaN and Infinity (a Python extension), and 1e400 (infinite as
  a float), which a whole-number field cannot even compare. They are refused as malformed;
- a lone surrogate (`"\\ud800"`): valid JSON, but no UTF-8 text, so storing it failed on both databases.
  It is replaced by U+FFFD, as a UTF-8 decoder replaces a broken byte: what can be stored is stored.
"""
from __future__ import annotations

import math
import re

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32  # the deepest body we take (a desk's ticket payload is 3 levels deep)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins valid pairs, so any left is alone


def without_lone_surrogates(text: str) -> str:
    """The text with each lone surrogate (never valid UTF-8) replaced by U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large for a number")
    return number


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _clean(value, depth: int = 1):
    if isinstance(value, str):
        return without_lone_surrogates(value)
    if isinstance(value, (list, dict)):
        if depth > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            return [_clean(item, depth + 1) for item in value]
        return {without_lone_surrogates(key): _clean(item, depth + 1) for key, item in value.items()}
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's provider, reading with a depth limit and lone surrogates replaced (see the module)."""

    def loads(self, s: str | bytes, **kwargs):
        try:
            data = super().loads(s, **{"parse_float": _finite, "parse_constant": _no_constant, **kwargs})
        except RecursionError:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
        return _clean(data)
