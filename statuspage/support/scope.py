"""Who and what an incident says it affects, and what it says it does not; where a ticket stands.

Updates narrow an incident down ("PostNord parcels in Denmark and Sweden"; "only Moodle sites over LTI
1.3") and rule parts out ("PostNord Norway and Finland are up to date"; "Android is not affected").
A ticket about a part that is ruled out is not about the incident, however alike the words; a ticket
that shows the scope by example (a Swedish city, a +46 number) is, though it never names the country.

The incident's text is cut into clauses (at sentence ends, colons, semicolons and "but"); a clause with
a "not affected" marker (lexicon.py: "unaffected") rules out what it names, every other clause rules
in. What a clause names is read two ways: places (places.py: countries, cities, regions, dialling
codes) and name-like words (acronyms like SEPA, words with inner capitals like iOS, words with digits
like CN23, and capitalized words, in German only in the clauses that rule out, since every German noun
is capitalized).
Words on both sides ("DHL" in "DHL Paket fails" and "DHL Express is not affected") decide nothing, nor
do words the text also writes in lower case ("Change carrier" beside "a change") or the lexicon knows
(general language); the ones only one side names do.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .places import broad_and_narrow_places, city_names, countries_of_cities, place_words, places
from .semantic import sentences
from .lexicon import OBJECT, QUALIFIERS, STOPWORDS, SURFACES, SYMPTOM
from .text import LANGUAGES, analyze, kind, stem, tokenize

Version = tuple[int, int, int, int, str]     # "4.1a" -> (4, 1, 0, 0, "a"): compared as tuples

NOT_WORDS = ("not", "nicht", "pas", "non", "nor", "neither", "weder", "ebenso wenig", "ni", "un", "aucun", "kein")
_AGAIN = frozenset({"again", "wieder", "nouveau", "restored", "recovered"})
_DIGIT_DOT = re.compile(r"(\d)\.(?=\d)")
_WORD_DOT = re.compile(r"([^\W_])\.(?=[a-z])")     # a dot inside a domain ("web.de"), no sentence's end
# titles and abbreviations whose dot ends no sentence ("Sagemcom Dr. Neuhaus", "ca. 3 Uhr", "z.B. Gas")
_ABBREVIATION_DOT = re.compile(r"\b(Dr|Prof|Mr|Mrs|Ms|St|Nr|Mme|Mlle|ca|bzw|vs|inkl|ggf|evtl|usw|z\.B|u\.a|Inc|Ltd|Corp)\.(?=\s)")
# a colon between digits is a time ("before 15:00 today"), not a break
_CLAUSE_BREAK = re.compile(r"(?<!\d):|:(?!\d)|;|,\s+(?:but|aber|mais|whereas|während|tandis que|sauf|except)\s",
                           re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    clauses: tuple[tuple[str, bool], ...]     # (clause, whether it rules something out)
    places_in: frozenset[str]
    places_out: frozenset[str]
    terms_in: frozenset[str]                   # name-like words only clauses that rule in name
    terms_out: frozenset[str]                  # name-like words only clauses that rule out name
    language: str = "en"                       # of the incident's text: its words are compared as its stems
    versions_in: frozenset[Version] = frozenset()     # version numbers ("5.12.0", "4.1a") clauses that rule in name
    versions_out: tuple[tuple[Version, Version], ...] = ()    # (lowest, highest) version ranges clauses that rule out name
    things: frozenset[str] = frozenset()       # terms that are things the lexicon knows (SMS, iOS, e-mail): kinds, no brands
    qualifiers: frozenset[str] = frozenset()   # of terms_out, the qualifiers (lexicon.QUALIFIERS: "@own", "@dedicated")

    @property
    def excluding(self) -> tuple[str, ...]:
        return tuple(c for c, out in self.clauses if out)


@dataclass(frozen=True)
class Fit:
    inside: tuple[str, ...] = ()       # what the ticket names that the incident rules in
    outside: tuple[str, ...] = ()      # what the ticket names that the incident rules out
    elsewhere: bool = False            # the ticket names places, none of them the incident's
    aside: tuple[str, ...] = ()        # of `inside`, what does not answer what `outside` names (see ticket_fit)

    @property
    def against(self) -> bool:
        """About what the incident rules out: naming what it rules in too, the ticket is (also) about the
        incident ("Zelvo and Korrin payments fail" beside "Korrin is not affected"), unless that is of another
        kind (a place beside a name) or only says which kind of thing ("SMS codes" of an operator ruled out)."""
        return bool(self.outside) and set(self.inside) <= set(self.aside)


def clauses(text: str, language: str) -> list[tuple[str, bool]]:
    """The text's clauses, each with whether it says something works ("X is not affected", "Linux jobs ran
    fine"): a "works" word with no symptom and no negation beside it."""
    out = []
    for sentence in sentences(_ABBREVIATION_DOT.sub("\\1\u2024", _inner_dots(text)), limit=80):
        for clause in _CLAUSE_BREAK.split(sentence.replace("\u2024", ".")):
            clause = clause.strip(" ,")
            if len(clause) > 2:
                found = analyze(clause, language).concepts
                fine = (("unaffected" in found or "workaround" in found) and not any(kind(c) == SYMPTOM for c in found)
                        and not _AGAIN.intersection(t.norm for t in tokenize(clause)))   # "works again": recovered
                out.append((clause, fine and ("negation" not in found or _rules_out(clause, language))))
    return out


def _inner_dots(text: str) -> str:
    """Dots that end no sentence ("4.1", "Web.de", "outlook.com") hidden as a one-dot leader."""
    return _WORD_DOT.sub("\\1\u2024", _DIGIT_DOT.sub("\\1\u2024", text))


def _rules_out(clause: str, language: str) -> bool:
    """ "is not affected" carries its own negation: the marker's negated forms count; a bare "nor" does not
    beside another negation ("no receipt is sent, nor is an expert called" reports a failure)."""
    return any(h.concept == "unaffected" and any(t in h.surface.casefold() for t in NOT_WORDS)
               and h.surface.casefold() not in NOT_WORDS for h in analyze(clause, language).hits)


def name_like(text: str, language: str, *, initial: bool = False) -> set[str]:
    """Words that read as names: acronyms, inner capitals, letters with digits, and capitalized words
    (in German, where every noun is capitalized, only when `initial`: the clauses that rule out; and at a
    sentence's start only when `initial`: "Android is not affected"). incident_scope drops those the text
    also writes in lower case ("Labels for other carriers ..."). A German word cut short before "- und"
    ("Volks- und Raiffeisenbanken", "Gas-, Wasser- und Wärmezähler") stands for every compound it starts:
    "volks*", "gas*"."""
    tokens = tokenize(text)
    skip = place_words(text)
    # the lexicon's words are no names, except the things it knows (iOS, Android, SMS can be a scope)
    general = {i for h in analyze(text, language).hits if kind(h.concept) != OBJECT for i in h.positions}
    out = set()
    for i, t in enumerate(tokens):
        word = text[t.start:t.end]
        if t.norm in STOPWORDS or t.norm in skip or len(word) < 2 or i in general:
            continue
        inner = any(ch.isupper() for ch in word[1:])
        digits = any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)
        capital = word[0].isupper() and (initial or (language != "de" and not _sentence_start(text, t.start)))
        if inner or digits or capital:
            cut = text[t.end:t.end + 2] in ("- ", "-,")     # "Gas-, Wasser- und Wärmezähler"
            out.add(f"{t.norm}*" if cut and len(t.norm) >= 3 else _key(t.norm, language))
    return out


def _sentence_start(text: str, at: int) -> bool:
    """At a sentence's start, or at the start of a quotation (« Document illisible », 'Attack mitigated'):
    a message quoted capitalizes its first word, which names nothing."""
    before = text[:at].rstrip(" ")
    if before[-1:] in _OPENING_QUOTES and before[-2:-1] in ("", " ", "\n", "("):
        return True
    return before.rstrip(" \t\"'«»“”(-*")[-1:] in ("", ".", "!", "?", "\n", ":", ";")


_OPENING_QUOTES = frozenset("«“„\"'‚")


def _key(norm: str, language: str) -> str:
    return stem(norm, language) if len(norm) > 3 else norm


def incident_scope(texts: Sequence[str], language: str, surface: Sequence[str] = (),
                   not_places: frozenset[str] = frozenset()) -> Scope:
    """The scope an incident's title and updates state (see the module's docstring). `surface`: the names of
    the affected components, which say where a problem shows, never what is ruled in or out ("REST API calls
    work normally" does not make every ticket that names the API someone else's)."""
    parts = [c for text in texts for c in clauses(text, language)]
    ruled_in = [c for c, out in parts if not out]
    ruled_out = [c for c, out in parts if out]
    # a place ruled out is ruled out, even when a clause that rules in mentions it in passing ("served from
    # Europe, which is too far away" beside "learners in Europe are not affected")
    # but a country or city ruled in by name stays in when only a region around it is ruled out ("Singapore"
    # beside "players within Southeast Asia are fine"; not "Sydney", which several countries have)
    # a nationality adjective rules out what it qualifies, not its country ("German health insurers are fine")
    read_in = [broad_and_narrow_places(c, not_places) for c in ruled_in]
    read_out = [broad_and_narrow_places(c, not_places, adjectives=False) for c in ruled_out]
    named_in = frozenset().union(*(narrow for _, narrow in read_in))       # by a name that stands for one country
    named_out = frozenset().union(*(narrow for _, narrow in read_out))
    # and a country with a city the incident names as affected (and not as fine) is never ruled out whole: a clause
    # naming the country rules out something else there ("e-bikes in Lisbon and Porto fail" beside "classic bikes
    # in Portugal unlock normally"; "flights from Nantes and Lyon" beside "flights to France"), one naming other
    # cities of it rules out those cities, which the names ruled out say ("Munich" beside "Hamburg is not affected")
    cities_in = frozenset().union(*(city_names(c) for c in ruled_in))
    cities_out = frozenset().union(*(city_names(c) for c in ruled_out))
    by_city_in = countries_of_cities(cities_in - cities_out) & named_in
    places_out = frozenset().union(*(wide for wide, _ in read_out)) - (named_in - named_out) - by_city_in
    places_in = frozenset().union(*(wide for wide, _ in read_in)) - places_out
    lowercase = {_key(t.norm, language) for text in texts for t in tokenize(text) if text[t.start:t.end].islower()}
    shown = {_key(t.norm, language) for name in surface for t in tokenize(name)}
    names_in = set().union(*(name_like(c, language) for c in ruled_in)) if ruled_in else set()
    names_in |= name_like(texts[0], language, initial=True) if texts else set()   # a title names its scope
    names_out = set().union(*(name_like(c, language, initial=True) - _where(c, language) for c in ruled_out)) if ruled_out else set()
    words_in = {_key(t.norm, language) for c in ruled_in for t in tokenize(c)}
    # a name ruled in and qualified by a place in a clause that rules out leaves the name in: "Sparkassen in
    # Österreich sind nicht betroffen" beside "Konten bei Sparkassen" rules out Austria, not Sparkassen
    words_out = {_key(t.norm, language) for c in ruled_out for t in tokenize(c)} - _placed(ruled_out, language, not_places)
    versions_in = frozenset(v for c in ruled_in for v in versions(c))
    versions_out = tuple(r for c in ruled_out for r in version_ranges(c))
    plain_out = set().union(*(_plain_words(c, language) - _where(c, language) for c in ruled_out)) if ruled_out else set()
    things = set().union(*(_things(text, language) for text in texts)) if texts else set()
    # a qualifier only clauses that rule out say ("self-hosted runners are not affected") rules out that variant
    qualifiers = (set().union(*(qualifiers_of(c) for c in ruled_out)) - set().union(*(qualifiers_of(c) for c in ruled_in))
                  - (qualifiers_of(texts[0]) if texts else set())) if ruled_out else set()
    return Scope(tuple(parts), places_in, places_out, frozenset(names_in - words_out - lowercase - shown),
                 frozenset((names_out - lowercase | plain_out) - words_in - shown) | qualifiers, language, versions_in,
                 tuple(r for r in versions_out if not any(r[0] <= v <= r[1] for v in versions_in)), frozenset(things),
                 frozenset(qualifiers))


def _qualifier_forms() -> dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]]:
    """Per language and first stem, (qualifier, the stems of one of its forms): a text's words are looked up one
    by one, not every form searched for along the text (ninety forms, every ticket)."""
    out: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]] = {}
    for name, forms in QUALIFIERS.items():
        for language, written in zip(LANGUAGES, forms):
            for form in written.split(","):
                stems = tuple(stem(t.norm, language) for t in tokenize(form))
                if stems:
                    out.setdefault(language, {}).setdefault(stems[0], []).append((name, stems))
    return out


_QUALIFIER_FORMS = _qualifier_forms()


def qualifiers_of(text: str) -> set[str]:
    """The qualifiers (lexicon.QUALIFIERS) a text says, in any of the three languages, as terms ("@own")."""
    tokens = tokenize(text)
    out = set()
    for language, by_first in _QUALIFIER_FORMS.items():
        stems = [stem(t.norm, language) for t in tokens]
        for i, first in enumerate(stems):
            for name, form in by_first.get(first, ()):
                if tuple(stems[i:i + len(form)]) == form:
                    out.add(f"@{name}")
    return out


_AT = frozenset({"in", "im", "on", "via", "through", "uber", "per", "dans", "sur", "par", "depuis"})
_AND = frozenset({"and", "or", "und", "oder", "sowie", "et", "ou"})


def _where(clause: str, language: str) -> set[str]:
    """The surfaces a clause that rules out names only as the place where something else works ("die manuelle
    Eingabe in App und Portal funktioniert", "saisie manuelle dans l'appli"): after "in / via / dans" and
    beside other words that say what works, they rule out that, not the app. "The app is not affected" and
    "Android ist nicht betroffen" rule out the surface itself."""
    tokens = tokenize(clause)
    hits = [h for h in analyze(clause, language).hits if h.concept in SURFACES]
    at: set[int] = set()
    for h in sorted(hits, key=lambda h: min(h.positions)):
        i = min(h.positions) - 1
        while i >= 0 and tokens[i].norm in STOPWORDS - _AT - _AND:     # "in der", "in the", "dans l'"
            i -= 1
        if i >= 0 and (tokens[i].norm in _AT or (tokens[i].norm in _AND and i - 1 in at)):
            at |= set(h.positions)
    if not at:
        return set()
    words = {_key(tokens[i].norm, language) for i in at if i < len(tokens)}
    rest = (name_like(clause, language, initial=True) | _plain_words(clause, language)) - words
    return words if rest else set()


_PLACED = frozenset({"in", "im", "aus", "from", "en", "au", "aux", "a"})


def _placed(clauses: Sequence[str], language: str, not_places: frozenset[str]) -> set[str]:
    """The words just before "in / aus / en + a place" in the clauses ("Sparkassen in Österreich"): the place
    qualifies them."""
    out = set()
    for clause in clauses:
        tokens = tokenize(clause)
        spots = place_words(clause) - not_places
        for i in range(1, len(tokens) - 1):
            if tokens[i].norm in _PLACED and tokens[i + 1].norm in spots and clause[tokens[i + 1].start].isupper():
                out.add(_key(tokens[i - 1].norm, language))
    return out


def _things(text: str, language: str) -> set[str]:
    """The words of a text that name things the lexicon knows (SMS, iOS, e-mail), as terms."""
    tokens = tokenize(text)
    return {_key(tokens[i].norm, language) for h in analyze(text, language).hits if kind(h.concept) == OBJECT
            for i in h.positions if i < len(tokens)}


def _plain_words(clause: str, language: str) -> set[str]:
    """The longer words of a clause that rules out, besides the lexicon's ("dormakaba is not affected", "payslips
    sent by post"): a word the updates use only where they rule something out names what is ruled out, even in
    lower case. The words of the marker and of any concept are left out ("affected", "normally", "login")."""
    tokens = tokenize(clause)
    covered = {i for h in analyze(clause, language).hits for i in h.positions}
    return {_key(t.norm, language) for i, t in enumerate(tokens)
            if i not in covered and len(t.norm) >= 6 and t.norm not in STOPWORDS and not t.norm.isdigit()}


_VERSION = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3})+)([a-z]?)(?![\d])")      # "4.1a", "5.12.0": fixed shape
_RANGE_WORDS = ("to", "bis", "à", "a", "-", "–", "through", "until", "jusqu'à")


def versions(text: str) -> list[Version]:
    """The version numbers a text names, as comparable tuples ("4.1a" -> (4, 1, 0, 'a'))."""
    return [_version(m) for m in _VERSION.finditer(text)]


def version_ranges(text: str) -> list[tuple[Version, Version]]:
    """Each version a text names as a range of itself, and "3.0 to 4.0", "3.0 bis 4.0", "3.0–4.0" as one range."""
    found = list(_VERSION.finditer(text))
    out: list[tuple[Version, Version]] = []
    skip: set[int] = set()
    for a, b in zip(found, found[1:]):
        between = text[a.end():b.start()].strip().casefold()
        if between in _RANGE_WORDS:
            out.append((_version(a), _version(b)))
            skip |= {a.start(), b.start()}
    return out + [(_version(m), _version(m)) for m in found if m.start() not in skip]


def _version(m: re.Match[str]) -> Version:
    numbers = ([int(n) for n in m.group(1).split(".")][:4] + [0, 0, 0])[:4]    # the pattern has at least two
    return (numbers[0], numbers[1], numbers[2], numbers[3], m.group(2))


def outside_words(text: str, language: str) -> str:
    """A ticket's text without the clauses that say something works ("Linux jobs ran fine", "in Hamburg läuft
    alles"): those agree with any scope, so only the rest can put the ticket outside one."""
    for clause, fine in clauses(text, language):
        if fine:
            text = text.replace(clause, " ")
    return text


def ticket_fit(scope: Scope, text: str, named: frozenset[str] | None = None, reported: str | None = None,
               qualifiers: frozenset[str] | None = None) -> Fit:
    """Where a ticket stands against an incident's scope: `text` is outside_words() of the ticket, `named`
    the places of that text when already known, `reported` the clauses of it that report a problem (a name
    ruled out counts only there: "Gmail users have it" beside "Hotmail addresses have not" is no report
    about Gmail), `qualifiers` the qualifiers_of() that text when already known (read once per ticket)."""
    if not scope.places_in and not scope.places_out and not scope.terms_in and not scope.terms_out:
        return Fit()
    words = _words(text, scope.language)
    if named is None:
        named = places(text) if (scope.places_in or scope.places_out) else frozenset()
    said_in = {term: said for term in scope.terms_in if (said := _said(term, words, compounds=True))}
    inside = sorted(set(said_in.values()))
    problem = words if reported is None else _words(reported, scope.language)
    said_out = {term: said for term in scope.terms_out - scope.qualifiers if (said := _said(term, problem, compounds=False))}
    # a qualifier is said of the ticket's own thing wherever it stands ("our self-hosted runners, in the office,
    # take no jobs"); it narrows whatever the ticket names, so a name ruled in does not answer it
    if scope.qualifiers:
        said_out |= {q: q[1:] for q in scope.qualifiers & (qualifiers_of(text) if qualifiers is None else qualifiers)}
    outside = sorted(set(said_out.values()))
    # what is ruled in that does not answer a name ruled out: a thing the lexicon knows ("SMS codes" beside an
    # operator ruled out), unless what is ruled out is one too
    aside = [] if scope.things & said_out.keys() else sorted({w for t, w in said_in.items() if t in scope.things})
    if scope.qualifiers & said_out.keys():
        aside = sorted(set(said_in.values()))
    if scope.versions_in or scope.versions_out:
        mine = versions(text)
        if any(v in scope.versions_in for v in mine):
            inside.append("its version")
        elif any(r[0] <= v <= r[1] for v in versions(reported if reported is not None else text)
                 for r in scope.versions_out):     # "DTCO 4.0" against "4.1 only; 3.0 to 4.0 work": another device
            return Fit((), ("a version it rules out",), False)
    if named & scope.places_in:
        inside.append("a place it names")
        if outside:      # a place ruled in does not answer a name ruled out (Minecraft in Frankfurt, Minecraft ruled out)
            aside.append("a place it names")
    if named & scope.places_out and not named & scope.places_in:
        aside = inside.copy()    # nor does a name ruled in answer a place ruled out (a Valheim server in Paris)
        outside.append("a place it rules out")
    elsewhere = bool(named) and bool(scope.places_in) and not named & scope.places_in
    return Fit(tuple(inside), tuple(outside), elsewhere, tuple(aside))


# Devices by the platform they run: general knowledge, no product's ("our iPhones" are inside "iOS only", a Galaxy
# phone is outside "Android is not affected", an Xcode build runs on macOS).
PLATFORMS = {"ios": ("iphone", "iphones", "ipad", "ipads"),
             "android": ("samsung", "galaxy", "pixel", "xiaomi", "redmi", "huawei", "oneplus", "motorola"),
             "macos": ("macbook", "macbooks", "imac", "xcode", "xcodebuild")}


def _words(text: str, language: str) -> dict[str, str]:
    words: dict[str, str] = {}
    tokens = tokenize(text)
    for t in tokens:
        words.setdefault(_key(t.norm, language), text[t.start:t.end])
        words.setdefault(t.norm, text[t.start:t.end])
    for a, b in zip(tokens, tokens[1:]):     # "web shop", "web-shop" for "Webshop", "e mail" for "E-Mail"
        if text[a.end:b.start] in (" ", "-") and not a.norm.isdigit() and not b.norm.isdigit():
            words.setdefault(_key(a.norm + b.norm, language), text[a.start:b.end])
    for platform, devices in PLATFORMS.items():
        device = next((words[d] for d in devices if d in words), None)
        if device is not None:
            words.setdefault(platform, device)
            words.setdefault(_key(platform, language), device)
    return words


_COMMA_CLAUSE = re.compile(r"[^,;.!?\n]+")     # runs between punctuation ("Thing: problem" is one): linear
_BRACKETED = re.compile(r"\([^()\n]*\)")


def reporting_clauses(text: str, language: str) -> str:
    """The clauses (between commas and sentence ends) of a text that report a problem: a symptom or a negation
    in them. The whole text when none does. An aside in brackets belongs to its clause ("our server (Java,
    Frankfurt) drops players")."""
    joined = _BRACKETED.sub(lambda m: m.group().replace(",", " "),
                            _inner_dots(text))
    runs = list(_COMMA_CLAUSE.finditer(joined))
    reports = [any(kind(c) == SYMPTOM or c == "negation" for c in analyze(m.group(), language).concepts) for m in runs]
    # a leading phrase that says where ("On our server in Lyon, players drop", "Sur notre serveur à Lyon, des
    # joueurs…", "Bei unserem Server in Lyon, …") belongs to the clause after it
    found = [m.group().replace("\u2024", ".") for i, m in enumerate(runs)
             if reports[i] or (i + 1 < len(runs) and reports[i + 1] and joined[m.end():runs[i + 1].start()].strip() == ","
                               and m.group().split()[:1] and m.group().split()[0].casefold() in _WHERE)]
    return "\n".join(found) if found else text


_WHERE = frozenset("on in at for with from under bei auf an mit für unter über von sur dans chez pour avec à au aux en sous".split())


def _said(term: str, words: dict[str, str], *, compounds: bool) -> str | None:
    """The ticket's word for a term: the same word, or with `compounds` (for what is ruled in; a compound
    narrows, so it cannot prove a ticket is outside: "Echtzeitüberweisung" is no plain "Überweisung") a
    compound ending with it ("Kreissparkasse" for "Sparkasse"); "volks*" is any word starting so."""
    if term.endswith("*"):
        return next((w for k, w in words.items() if k.startswith(term[:-1])), None)
    if term in words:
        return words[term]
    if compounds and len(term) >= 6:
        return next((w for k, w in words.items() if k.endswith(term)), None)
    return None
