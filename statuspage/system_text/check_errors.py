"""A check's error line (monitoring/probes.py, monitoring/results.py) in the reader's language.

The probes write one English line per failure from the phrasings below; results keep it as it is (the API,
the CLI and the logs show it so). describe() matches the line against each phrasing, turns the values that
are words (lists, dates, decimals) into the reader's, and says it again; anything else is shown unchanged.
Real failures of every kind of probe are held to this list by tests/integration/test_system_text.py.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from babel.lists import format_list
from flask_babel import force_locale, format_date, format_decimal, get_locale, gettext, ngettext

from . import SOURCE_LANGUAGE, N_, reader_language


@dataclass(frozen=True)
class Phrasing:
    message: str                      # the msgid: the probes' English with %(name)s where the values go
    plural: str | None = None         # the plural form, counted by %(num)s ...
    counted: Callable | None = None   # ... and the ngettext call that says it (pybabel needs it spelled out)
    values: tuple[tuple[str, str], ...] = ()   # (name, what it holds): "or", "and", "date", "number", "path"

    def patterns(self) -> list[re.Pattern]:
        """The English line as a regular expression per form, with a named group per value."""
        return [_pattern(form, self.values) for form in (self.message, self.plural) if form is not None]


OR, AND, DATE, NUMBER, PATH = "or", "and", "date", "number", "path"


def _expires_in(num: int, **values) -> str:
    return ngettext("certificate expires in %(num)s day (%(date)s), limit %(limit)s",
                    "certificate expires in %(num)s days (%(date)s), limit %(limit)s", num, **values)


PHRASINGS = (
    # http
    Phrasing(N_("only http:// and https:// URLs can be checked")),
    Phrasing(N_("took %(latency)s ms, limit %(limit)s ms"), values=(("latency", NUMBER), ("limit", NUMBER))),
    Phrasing(N_("response body larger than %(size)s MiB"), values=(("size", NUMBER),)),
    Phrasing(N_("status %(status)s, expected %(expected)s"), values=(("expected", OR),)),
    Phrasing(N_("body does not contain %(text)s")),
    Phrasing(N_("body_regex /%(regex)s/ is not a valid regular expression: %(error)s")),
    Phrasing(N_("body does not match /%(regex)s/")),
    Phrasing(N_("response is not JSON")),
    Phrasing(N_("%(path)s is missing"), values=(("path", PATH),)),
    Phrasing(N_("%(path)s is %(actual)s, expected %(expected)s"), values=(("path", PATH),)),
    Phrasing(N_("JSON path %(path)s is not supported (use $.a.b, $.items[0], $['a key'])")),
    Phrasing(N_("too many redirects (more than %(count)s)"), values=(("count", NUMBER),)),
    Phrasing(N_("redirected to a URL that cannot be checked: %(detail)s")),
    Phrasing(N_("invalid URL %(url)s")),
    Phrasing(N_("invalid response: %(detail)s")),
    Phrasing(N_("server closed the connection without a response")),
    Phrasing(N_("response body cut short")),
    # dns
    Phrasing(N_("resolves to %(resolved)s, expected %(expected)s"), values=(("resolved", AND), ("expected", AND))),
    # tls
    Phrasing(N_("TLS certificate has no expiry date")),
    Phrasing(N_("certificate expired on %(date)s"), values=(("date", DATE),)),
    Phrasing("certificate expires in %(num)s day (%(date)s), limit %(limit)s",
             "certificate expires in %(num)s days (%(date)s), limit %(limit)s", _expires_in, values=(("date", DATE),)),
    Phrasing(N_("TLS certificate not valid: %(reason)s")),
    Phrasing(N_("TLS handshake failed: %(reason)s")),
    # every kind
    Phrasing(N_("timed out after %(seconds)s s"), values=(("seconds", NUMBER),)),
    Phrasing(N_("unknown host %(host)s")),
    Phrasing(N_("cannot resolve %(host)s: %(reason)s")),
    Phrasing(N_("cannot connect: %(reason)s")),
    Phrasing(N_("connection refused")),
    Phrasing(N_("connection reset by peer")),
    Phrasing(N_("connection aborted")),
    Phrasing(N_("network unreachable")),
    Phrasing(N_("host unreachable")),
    Phrasing(N_("address not available")),
    Phrasing(N_("target %(target)s is not %(shapes)s")),
    Phrasing(N_("unknown check kind %(kind)s")),
    # heartbeats
    Phrasing(N_("no ping since the check was created for %(age)s (period %(period)s, grace %(grace)s)")),
    Phrasing(N_("no ping for %(age)s (period %(period)s, grace %(grace)s)")),
)
NO_ANSWER = N_("no answer")  # what an incident says when a failed check left no error line
NOTHING = N_("nothing")      # a dns check's answer when the name resolves to no address

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_VALUE_PATTERNS: dict[str | None, str] = {PATH: r"\$.*?", NUMBER: r"\d+(?:\.\d+)?", DATE: r"\d{4}-\d\d-\d\d"}
_LIST = {OR: re.compile(r", | or "), AND: re.compile(r" and ")}


@cache
def _pattern(message: str, values: tuple) -> re.Pattern:
    kinds = dict(values)
    parts = _PLACEHOLDER.split(message)  # text, name, text, name, ..., text
    return re.compile("".join(
        re.escape(part) if index % 2 == 0
        else f"(?P<{part}>{_VALUE_PATTERNS.get(NUMBER if part == 'num' else kinds.get(part), '.+?')})"
        for index, part in enumerate(parts)))


def _match(line: str) -> tuple[Phrasing, dict[str, str]] | None:
    for phrasing in PHRASINGS:
        for pattern in phrasing.patterns():
            found = pattern.fullmatch(line)
            if found:
                return phrasing, found.groupdict()
    return None


def _value(kind: str | None, text: str) -> str:
    """A value as the reader writes it: lists joined with their "or"/"and", dates and numbers localized."""
    if kind in _LIST:
        items = [item for item in _LIST[kind].split(text) if item]
        if items == ["nothing"]:
            return gettext(NOTHING)
        return format_list(items, style="or" if kind == OR else "standard", locale=get_locale())
    if kind == DATE:
        try:
            return format_date(date.fromisoformat(text), "medium")
        except ValueError:
            return text
    if kind == NUMBER:
        return format_decimal(float(text), format="0.###")  # 0,5 in German; no grouping, as in the line
    return text


def describe(line: str | None, language: str | None = None) -> str:
    """The error line in `language` (by default the reader's); as it is when no phrasing says it."""
    language = language or reader_language()
    if not line or language == SOURCE_LANGUAGE:
        return line or ""
    found = _match(line)
    if found is None:
        return line
    phrasing, values = found
    kinds = dict(phrasing.values)
    with force_locale(language):
        shown = {name: _value(kinds.get(name), text) for name, text in values.items() if name != "num"}
        if phrasing.counted is not None:
            return phrasing.counted(int(values["num"]), **shown)
        return gettext(phrasing.message, **shown)
