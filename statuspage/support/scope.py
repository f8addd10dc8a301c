"""Who and what an incident says it affects, and what it says it does not; where a ticket stands.

Updates narrow an incident down ("PostNord parcels in Denmark and Sweden"; "only Moodle sites over LTI
1.3") and rule parts out ("PostNord Norway and Finland are up to date"; "Android is not affected").
A ticket about a part that is ruled out is not about the incident, however alike the words; a ticket
that shows the scope by example (a Swedish city, a +46 number) is, though it never names the country.

The incident's text is cut into clauses (at sentence ends, colons, semicolons and "but"); a clause with
a "not affected" marker (lexicon.py: "unaffected") rules out what it names, every other clause rules
in. What a clause names is read two ways: places (places.py: countries, cities, regions, dialling
codes) and name-like words (acronyms like SEPA, words with inner capitals like iOS, words with digits
like CN23, and, outside German where every noun has one, capitalized words inside a sentence).
Words named on both sides ("DHL" in "DHL Paket fails" and "DHL Express is not affected") decide
nothing; the ones only one side names do.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .places import place_words, places
from .semantic import sentences
from .text import STOPWORDS, analyze, tokenize

_CLAUSE_BREAK = re.compile(r"[:;]|,\s+(?:but|aber|mais|whereas|während|tandis que|sauf|except)\s", re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    clauses: tuple[tuple[str, bool], ...]     # (clause, whether it rules something out)
    places_in: frozenset[str]
    places_out: frozenset[str]
    terms_in: frozenset[str]                   # name-like words only clauses that rule in name
    terms_out: frozenset[str]                  # name-like words only clauses that rule out name

    @property
    def excluding(self) -> tuple[str, ...]:
        return tuple(c for c, out in self.clauses if out)


@dataclass(frozen=True)
class Fit:
    inside: tuple[str, ...] = ()       # what the ticket names that the incident rules in
    outside: tuple[str, ...] = ()      # what the ticket names that the incident rules out
    elsewhere: bool = False            # the ticket names places, none of them the incident's


def clauses(text: str, language: str) -> list[tuple[str, bool]]:
    out = []
    for sentence in sentences(text, limit=80):
        for clause in _CLAUSE_BREAK.split(sentence):
            clause = clause.strip(" ,")
            if len(clause) > 2:
                out.append((clause, "unaffected" in analyze(clause, language).concepts))
    return out


def name_like(text: str, language: str) -> set[str]:
    """Words that read as names: acronyms, inner capitals, letters with digits, and (except in German)
    capitalized words inside a sentence."""
    tokens = tokenize(text)
    skip = place_words(text)
    out = set()
    for t in tokens:
        word = text[t.start:t.end]
        if t.norm in STOPWORDS or t.norm in skip or len(word) < 2:
            continue
        inner = any(ch.isupper() for ch in word[1:])
        digits = any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)
        capital = word[0].isupper() and not t.clause_start and language != "de"
        if inner or digits or capital:
            out.add(_base(t.norm))
    return out


def _base(norm: str) -> str:
    return norm[:-1] if len(norm) > 3 and norm.endswith("s") else norm


def incident_scope(texts: Sequence[str], language: str) -> Scope:
    """The scope an incident's title and updates state (see the module's docstring)."""
    parts = [c for text in texts for c in clauses(text, language)]
    ruled_in = [c for c, out in parts if not out]
    ruled_out = [c for c, out in parts if out]
    places_in = frozenset().union(*(places(c) for c in ruled_in)) if ruled_in else frozenset()
    places_out = (frozenset().union(*(places(c) for c in ruled_out)) if ruled_out else frozenset()) - places_in
    names_in = set().union(*(name_like(c, language) for c in ruled_in)) if ruled_in else set()
    names_out = set().union(*(name_like(c, language) for c in ruled_out)) if ruled_out else set()
    words_out = {_base(t.norm) for c in ruled_out for t in tokenize(c)}
    return Scope(tuple(parts), places_in, places_out, frozenset(names_in - words_out), frozenset(names_out - names_in))


def ticket_fit(scope: Scope, text: str) -> Fit:
    """Where a ticket stands against an incident's scope."""
    if not scope.places_in and not scope.places_out and not scope.terms_in and not scope.terms_out:
        return Fit()
    words = {_base(t.norm): text[t.start:t.end] for t in tokenize(text)}
    named = places(text) if (scope.places_in or scope.places_out) else frozenset()
    inside = [words[w] for w in scope.terms_in if w in words]
    outside = [words[w] for w in scope.terms_out if w in words]
    if named & scope.places_in:
        inside.append("a place it names")
    elif named & scope.places_out:
        outside.append("a place it rules out")
    elsewhere = bool(named) and bool(scope.places_in) and not named & scope.places_in
    return Fit(tuple(sorted(inside)), tuple(sorted(outside)) if not inside else (), elsewhere and not inside)
