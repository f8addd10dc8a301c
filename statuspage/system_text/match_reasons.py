"""A ticket's match reasons (support/matching.py) in the reader's language.

The matcher writes one English line per piece of evidence from its LABELS, and the ticket keeps them so
(the API answers with them unless asked for a language). describe() reads a line back with those same
LABELS, says the label in the reader's language and translates the few words the matcher adds to a note
(what a ticket asks for, "named in the incident", "3 days ago"); what customers and incidents said stays
as they said it, and a line it cannot read is shown as it is. Nothing here changes what the matcher
decides: it only ever reads the lines afterwards.
"""
from __future__ import annotations

import re
from functools import cache

from flask_babel import force_locale, format_decimal, gettext, ngettext

from ..support.evidence import INTENT_GROUPS
from ..support.matching import LABELS
from . import SOURCE_LANGUAGE, N_, reader_language

# matching.LABELS in words to translate, feature by feature ({note} becomes %(note)s).
WORDS = {
    "meaning": N_("says what the incident says: %(note)s"),
    "meaning_two": N_("several sentences fit the incident"),
    "meaning_high": N_("says nearly what the incident says"),
    "meaning_component": N_("is about an affected component"),
    "component_rather": N_("closer to the affected components than to the others"),
    "meaning_lead": N_("closer to this incident than to the other open ones"),
    "meaning_excluded": N_("closest to what the incident rules out"),
    "examples": N_("resembles tickets already linked to it"),
    "examples_lead": N_("resembles its linked tickets more than other incidents' ones"),
    "counter_examples": N_("resembles tickets that were not about it"),
    "names_affected": N_("mentions %(note)s"),
    "names_other_only": N_("names %(note)s, which this incident does not affect"),
    "names_sibling": N_("names %(note)s, not what the incident is about"),
    "field_affected": N_("component field: %(note)s"),
    "field_other": N_("component field names %(note)s, which this incident does not affect"),
    "symptom_shared": N_("shares symptoms with the incident: %(note)s"),
    "symptom_later": N_("reports a side effect the incident's updates name: %(note)s"),
    "symptom_strong": N_("a symptom the incident itself describes"),
    "symptom_distinct": N_("a symptom of this incident and of no other open one"),
    "symptom_family": N_("reports a problem of the same kind: %(note)s"),
    "symptom_other": N_("reports another kind of problem: %(note)s"),
    "no_symptom": N_("reports no symptom"),
    "codes_shared": N_("the incident's error codes: %(note)s"),
    "quote_shared": N_("quotes what the incident quotes: %(note)s"),
    "reports": N_("reads as a problem report"),
    "requests": N_("reads as a request or question"),
    "asks_question": N_("asks about %(note)s, not an ongoing problem"),
    "asks_money": N_("asks for %(note)s: a person decides"),
    "asks_past": N_("about %(note)s, not an ongoing problem"),
    "asks_planned": N_("asks about %(note)s"),
    "own_change": N_("after %(note)s"),
    "non_production": N_("about %(note)s: this page reports on production"),
    "began_before": N_("began %(note)s, before the incident"),
    "intent_excused": N_("asks something else too, but reports the incident's symptom"),
    "scope_inside": N_("within the incident's scope: %(note)s"),
    "scope_outside": N_("about what the incident rules out: %(note)s"),
    "scope_elsewhere": N_("names places the incident does not cover"),
    "maintenance": N_("maintenance in progress"),
    "context": "%(note)s",
    "words_shared": N_("uses the incident's words: %(note)s"),
}
# The lexicon's words for what a ticket asks and in what context (support/lexicon.py, kinds INTENT and
# CONTEXT), as notes name them: "asks for a refund or credit ('Gutschrift')".
CONCEPT_WORDS = frozenset((
    N_("affects many users"), N_("asks about the current state"), N_("started recently"),
    N_("a password or account matter"), N_("billing"), N_("a refund or credit"), N_("a contract or offer"),
    N_("a setting or configuration"), N_("how to do something"), N_("a change on the customer's side"),
    N_("a new feature"), N_("an incident report"), N_("a past incident"), N_("a non-production environment"),
    N_("planned maintenance"),
))
PLACES = frozenset((N_("a place it names"), N_("a place it rules out")))
NAMED_IN_INCIDENT = N_("named in the incident")
NO_INCIDENT = N_("no open incident or maintenance in progress")
EARLY = N_("created before the incident started: %(incident)s")
CLOSEST = N_("closest: %(incident)s (%(gates)s)")
LATE = N_("created %(days)s days after the incident started (x%(factor)s)")
NAMED = {"incident": N_("incident %(id)s '%(title)s'"), "maintenance": N_("maintenance %(id)s '%(title)s'")}
# The matcher's three gates (support/model.py GATES), as reasons name them: "(topic +6.52)". A gate this
# version does not know (an older model's) is left as it is, number and all.
GATES = {"topic": N_("topic"), "problem": N_("problem"), "scope": N_("scope")}

_NAMED = r"(?P<kind>incident|maintenance) (?P<id>\d+) '(?P<title>.*)'"
_EARLY = re.compile(rf"created before the incident started: {_NAMED}")
_CLOSEST = re.compile(rf"closest: {_NAMED} \((?P<gates>[^()]*)\)")
_LATE = re.compile(r"created (?P<days>\d+(?:\.\d+)?) days after the incident started \(x(?P<factor>[\d.]+)\)")
_WEIGHED = re.compile(r"(?P<reason>.+) \((?P<gate>[^\s()]+) (?P<part>[+-]\d+\.\d+)\)")
_GATE_VALUE = re.compile(r"(?P<gate>[^\s(),]+) (?P<value>\d+\.\d+)")
_ASKED = re.compile(r"(?P<what>.+?) \((?P<said>'.*')\)")
_DAYS_AGO = re.compile(r"(?P<num>\d+) days? ago")


@cache
def _labels() -> list[tuple[str, re.Pattern]]:
    """(feature, pattern) for every label, those with the most fixed words first ("{note}" alone last)."""
    patterns = []
    for feature, label in LABELS.items():
        before, _, after = label.partition("{note}")
        pattern = re.escape(before) + ("(?P<note>.+)" if "{note}" in label else "") + re.escape(after)
        patterns.append((len(before) + len(after), feature, re.compile(pattern)))
    return [(feature, pattern) for _, feature, pattern in sorted(patterns, key=lambda p: -p[0])]


def describe(line: str, language: str | None = None) -> str:
    """One reason in `language` (by default the reader's); as it is when it cannot be read."""
    language = language or reader_language()
    if language == SOURCE_LANGUAGE:
        return line
    with force_locale(language):
        return _say(line)


def describe_all(lines, language: str | None = None) -> list[str]:
    return [describe(line, language) for line in lines or ()]


def _say(line: str) -> str:
    if line == "no open incident or maintenance in progress":
        return gettext(NO_INCIDENT)
    if found := _EARLY.fullmatch(line):
        return gettext(EARLY, incident=_named(found))
    if found := _CLOSEST.fullmatch(line):
        return gettext(CLOSEST, incident=_named(found), gates=_gates(found["gates"]))
    if found := _LATE.fullmatch(line):
        return gettext(LATE, days=format_decimal(float(found["days"])), factor=found["factor"])
    weighed = _WEIGHED.fullmatch(line)
    reason = weighed["reason"] if weighed else line
    for feature, pattern in _labels():
        found = pattern.fullmatch(reason)
        if found and feature in WORDS:
            note = found.groupdict().get("note")
            said = gettext(WORDS[feature], note=_note(feature, note)) if note is not None else gettext(WORDS[feature])
            return f"{said} ({_weight(weighed['gate'], weighed['part'])})" if weighed else said
    return line


def _weight(gate: str, part: str) -> str:
    """"topic +6.52" in the reader's words and numbers ("Thema +6,52"); an unknown gate as it is."""
    if gate not in GATES:
        return f"{gate} {part}"
    return f"{gettext(GATES[gate])} {format_decimal(float(part), format='+0.00;-0.00')}"


def _gates(said: str) -> str:
    """"topic 1.00, problem 1.00, scope 0.99" in the reader's words and numbers; as it is unless every
    gate is known."""
    found = [_GATE_VALUE.fullmatch(part) for part in said.split(", ")]
    if not all(found) or any(part["gate"] not in GATES for part in found if part):
        return said
    return ", ".join(f"{gettext(GATES[part['gate']])} {format_decimal(float(part['value']), format='0.00')}"
                     for part in found if part)


def _named(found: re.Match) -> str:
    return gettext(NAMED[found["kind"]], id=found["id"], title=found["title"])


def _note(feature: str, note: str) -> str:
    """The matcher's own words in a note, translated; what the ticket or the incident said, as it is."""
    if feature == "context":
        words = note.split(", ")
        return ", ".join(gettext(word) if word in CONCEPT_WORDS else word for word in words)
    if feature in INTENT_GROUPS.values() and (found := _ASKED.fullmatch(note)) and found["what"] in CONCEPT_WORDS:
        return f"{gettext(found['what'])} ({found['said']})"
    if feature == "began_before" and (found := _DAYS_AGO.fullmatch(note)):
        return ngettext("%(num)s day ago", "%(num)s days ago", int(found["num"]))
    if feature == "names_affected" and note.endswith(f" ({NAMED_IN_INCIDENT})"):
        return f"{note[:-len(NAMED_IN_INCIDENT) - 3]} ({gettext(NAMED_IN_INCIDENT)})"
    if feature in ("scope_inside", "scope_outside"):
        return ", ".join(gettext(part) if part in PLACES else part for part in note.split(", "))
    return note
