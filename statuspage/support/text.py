"""Text normalization for ticket matching: tokens, stems in three languages, concepts, language.

Matching compares words, not strings, so every text goes through the same steps: NFKC, casefold,
contractions expanded ("can't" -> "cannot"), split into word tokens (hyphens and apostrophes
split: "E-Mail" -> "e mail", "d'erreur" -> "d erreur"), accents stripped for comparison. Each
token keeps its span in the text so explanations can quote what the customer wrote, and knows
whether it starts a sentence or clause (some question forms only count there).

Every token is stemmed in all three languages (cached per word) and the lexicon's forms are
stemmed in their own language, so a German word in an English ticket still finds its concept:
mixed tickets need that. What the phrase lists cannot see is handled here too: German
compounds by a known head or modifier ("Kundenportal", "Fehlerseite"), small typos by OSA
distance ("dashbaord"), and symptoms that are negated ("no email is lost").
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

import snowballstemmer
from rapidfuzz.distance import OSA

from .lexicon import CONCEPTS, CONTEXT, OBJECT, STOPWORDS, SYMPTOM, WEAK, WEAK_SYMPTOMS

LANGUAGES = ("en", "de", "fr")
_STEMMERS = {"en": "english", "de": "german", "fr": "french"}
_WORD = re.compile(r"[^\W_]+")
_NON_SPACE = re.compile(r"\S+")
MAX_WORD = 40              # longer runs of letters are hashes, tokens or keyboard mashing, not words
_CONTRACTIONS = ((re.compile(r"\bcan[’']t\b", re.I), "cannot"), (re.compile(r"\bwon[’']t\b", re.I), "will not"),
                 (re.compile(r"n[’']t\b", re.I), " not"))
_CLAUSE_BREAK = set(".?!;:,\n(")
NEGATIONS = frozenset("not no never without nicht kein keine keinen keiner keins keinem nie ohne pas aucun aucune jamais sans".split())


MAX_ANALYSED = 50_000     # an incident's whole text (ours, many updates); a ticket's is MAX_TEXT
MAX_TEXT = 4000            # characters of a ticket's own words that are read: what a person reads to decide
_SCAN_LIMIT = 40_000       # characters looked at to find them (quoted mails and signatures are skipped)
_REPLY_HEADERS = ("wrote:", "schrieb:", "a écrit:", "a ecrit:", "a écrit :", "a ecrit :")
_SEPARATORS = ("-----original message", "----- original message", "-----ursprüngliche nachricht",
               "-----ursprungliche nachricht", "-----message d'origine", "----- message d'origine",
               "---------- forwarded message", "-------- weitergeleitete nachricht", "-------- message transféré",
               "-------- message transfere", "________________________________")
_HEADER_FIELDS = frozenset("from von de sent gesendet envoyé envoye to an à a subject betreff objet date datum cc".split())
_CLOSINGS = frozenset(line.strip() for line in """
best regards, kind regards, regards, best wishes, warm regards, many thanks, thanks in advance, cheers, sincerely
yours sincerely, mit freundlichen grüßen, mit freundlichen grüssen, mit freundlichem gruß, freundliche grüße
viele grüße, beste grüße, liebe grüße, schöne grüße, herzliche grüße, gruß, grüße, mfg, vg, lg, cordialement
bien cordialement, très cordialement, salutations, salutations distinguées, bien à vous, meilleures salutations
sincères salutations, bonne journée, sent from my iphone, sent from my android, gesendet von meinem iphone
von meinem iphone gesendet, envoyé de mon iphone, envoyé depuis mon iphone""".casefold().replace("\n", ",").split(",")
                      if line.strip())     # casefolded as the lines are ("Grüße" -> "grüsse")
_OWN_WORDS_ENOUGH = 6      # fewer words before a quoted mail: the quoted (forwarded) mail is the message


def own_words(body: str, *, look_below: bool = True, forwarded: bool = False) -> str:
    """The part of a mail body its sender wrote: up to a signature, a closing or a quoted earlier mail.

    One pass over the lines with plain string tests (no pattern can backtrack). When the sender wrote
    next to nothing above a quoted or forwarded mail, points to it ("see below", "siehe unten") or
    forwards it (`forwarded`: the subject says "Fwd:", "WG:", "TR:"), the quoted mail is read too."""
    lines = (body or "")[:_SCAN_LIMIT].splitlines()
    own: list[str] = []
    for n, line in enumerate(lines):
        if _ends_own_words(line, lines[n + 1] if n + 1 < len(lines) else ""):
            break
        own.append(line)
    else:
        return "\n".join(own)[:MAX_TEXT]
    text = "\n".join(own).strip()
    if not look_below or (len(_WORD.findall(text[:MAX_TEXT])) >= _OWN_WORDS_ENOUGH and not forwarded
                          and not _points_below(text)):
        return text[:MAX_TEXT]
    start = next((m for m in range(len(own), len(lines)) if _starts_quote(lines[m], lines[m + 1] if m + 1 < len(lines) else "")),
                 None)
    if start is None:          # a closing or a signature, and nothing quoted below it
        return text[:MAX_TEXT]
    quoted = [line.lstrip("> \t") for line in lines[start:]]
    rest = "\n".join(q for q in quoted if not _is_header_line(q) and not q.casefold().startswith(_SEPARATORS))
    return f"{text}\n{own_words(rest, look_below=False)}"[:MAX_TEXT]


def _ends_own_words(line: str, following: str) -> bool:
    stripped = line.strip()
    low = stripped.casefold()
    if stripped.startswith(">") or stripped in ("--", "-- ") or low.startswith(_SEPARATORS):
        return True
    if low.rstrip(" ,.!:-") in _CLOSINGS:
        return True
    closing, comma, name = low.partition(",")
    if comma and closing.strip() in _CLOSINGS and len(name.split()) <= 3:     # "Gruß, Ben"
        return True
    if low.endswith(_REPLY_HEADERS) and low.split(" ", 1)[0] in ("on", "am", "le", "el", "op"):
        return True
    return _is_header_line(stripped) and _is_header_line(following.strip())


def _starts_quote(line: str, following: str) -> bool:
    """Where a quoted or forwarded mail begins: a quoted line, a separator, "On ... wrote:" or its headers."""
    stripped = line.strip()
    low = stripped.casefold()
    return (stripped.startswith(">") or low.startswith(_SEPARATORS)
            or (low.endswith(_REPLY_HEADERS) and low.split(" ", 1)[0] in ("on", "am", "le", "el", "op"))
            or (_is_header_line(stripped) and _is_header_line(following.strip())))


def _is_header_line(line: str) -> bool:
    """ "From: ..." / "Von: ..." / "De : ...": one of a quoted mail's header fields."""
    name, colon, _ = line.partition(":")
    return bool(colon) and name.strip(" *").casefold() in _HEADER_FIELDS


_FORWARD_PREFIXES = ("fw:", "fwd:", "wg:", "tr:", "fw :", "fwd :", "wg :", "tr :")
_BELOW = ("below", "underneath", "forwarding", "forwarded", "unten", "unterhalb", "weitergeleitet", "weiterleiten",
          "anbei die", "anbei eine", "ci-dessous", "ci dessous", "en dessous", "plus bas", "transmets", "transféré", "transfere")


def _points_below(text: str) -> bool:
    low = text.casefold()
    return any(word in low for word in _BELOW)


def ticket_text(subject: str, body: str) -> str:
    """What of a ticket is read: its subject and the start of its own words, at most MAX_TEXT characters."""
    subject = (subject or "")[:500]
    forwarded = subject.casefold().lstrip().startswith(_FORWARD_PREFIXES)
    return f"{subject}\n{own_words(body, forwarded=forwarded)}"[:MAX_TEXT]


class Token(NamedTuple):
    norm: str              # casefolded, accents stripped
    start: int             # span in the prepared text, for quoting
    end: int
    clause_start: bool


class Hit(NamedTuple):
    concept: str
    positions: tuple[int, ...]
    surface: str           # as the customer wrote it


@dataclass(frozen=True)
class Analysis:
    language: str
    hits: tuple[Hit, ...]             # longest first
    concepts: frozenset[str]
    words: dict[str, str]             # stems no concept explains -> as written (for plain word overlap)
    codes: frozenset[str]             # HTTP status codes 4xx/5xx


def kind(concept: str) -> str:
    """Lexicon kind; 'component' for the per-component concepts 'c:<slug>'."""
    return "component" if concept.startswith("c:") else CONCEPTS[concept].kind


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def prepare(text: str) -> str:
    """NFKC, e-mail addresses blanked (a requester's address says nothing), contractions expanded.

    Linear in the text: every pattern here matches a fixed shape or a run of one character class, so
    no input can make it backtrack (a ticket is anyone's text)."""
    text = _NON_SPACE.sub(_blank_address, unicodedata.normalize("NFKC", text or ""))
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _blank_address(m: re.Match[str]) -> str:
    word = m.group()
    at = word.find("@")
    return " " if 0 < at < len(word) - 1 and "." in word[at + 1:] else word


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for m in _WORD.finditer(text):
        if m.end() - m.start() > MAX_WORD:
            continue
        gap = text[tokens[-1].end if tokens else 0:m.start()].rstrip(" \t\"'«»“”‘’*-_")
        starts = gap[-1] in _CLAUSE_BREAK if gap else not tokens
        tokens.append(Token(normalize_word(m.group()), m.start(), m.end(), starts))
    return tokens


@lru_cache(maxsize=32768)
def normalize_word(word: str) -> str:
    return strip_accents(word.casefold())


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """Snowball stem of a casefolded word (with its accents, which the stemmers use), then stripped.

    Words are at most MAX_WORD letters, so the cache holds at most a few megabytes."""
    if word.isdigit() or len(word) < 3:
        return strip_accents(word)
    return strip_accents(_stemmer(language).stemWord(word))


_local = threading.local()


class _Stemmer(Protocol):
    """What is used of a snowballstemmer stemmer (the package has no type hints)."""

    def stemWord(self, word: str) -> str: ...


class _LanguageClassifier(Protocol):
    """What is used of py3langid's LanguageIdentifier (the package has no type hints)."""

    def classify(self, text: str) -> tuple[str, float]: ...

    def set_languages(self, langs: list[str]) -> None: ...


def _stemmer(language: str) -> _Stemmer:
    """This thread's stemmer: Snowball's stemmers keep state between calls and are not thread-safe."""
    stemmers: dict[str, _Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(_STEMMERS[language])
    return stemmers[language]


@lru_cache(maxsize=1)
def _identifier() -> _LanguageClassifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    identifier: _LanguageClassifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    """en/de/fr by py3langid restricted to these three (from the first MAX_TEXT characters); the default
    for text without letters."""
    text = (text or "")[:MAX_TEXT]
    if not any(ch.isalpha() for ch in text):
        return default
    language = _identifier().classify(text)[0]
    return language if language in LANGUAGES else default


# --- concepts ----------------------------------------------------------------------------------

class _Pattern(NamedTuple):
    concept: str
    lang: str                                      # language the form is written in
    head: tuple[tuple[str, str] | None, ...]       # (sequence, value): a stem in `lang` or the "raw" word; None = any word
    tail: tuple[tuple[str, str] | None, ...]       # "a ... b": b, at most four words after a; None = any word
    bound: bool                                    # only in a text of this language
    anchored: bool                                 # only at the start of a clause


def _elements(text: str, lang: str) -> tuple[tuple[str, str] | None, ...]:
    """Stems, except where a stem is too short to be safe ("devis" -> "dev"): then the word as written."""
    out: list[tuple[str, str] | None] = []
    for word in text.split():
        if word == "*":
            out.append(None)
            continue
        exact, prepared = word.startswith("!"), prepare(word.lstrip("!"))
        for t in tokenize(prepared):
            root = stem(prepared[t.start:t.end].casefold(), lang)
            out.append(("raw", t.norm) if exact or (len(root) < 4 and root != t.norm) else (lang, root))
    return tuple(out)


def _compile(concept: str, lang: str, form: str) -> _Pattern:
    head, _, tail = form.lstrip("=^").partition(" ... ")
    return _Pattern(concept, lang, _elements(head, lang), _elements(tail, lang) if tail else (), "=" in form[:2], "^" in form[:2])


def _forms(concept: str) -> Iterable[tuple[str, str]]:
    for lang in LANGUAGES:
        yield from ((lang, f.strip()) for f in getattr(CONCEPTS[concept], lang).split(",") if f.strip())


_Fuzzy = dict[tuple[int, str], dict[str, str]]     # (words, first letter) -> form -> concept
_Index = dict[tuple[str, str], list[_Pattern]]      # a pattern's first element -> the patterns starting with it


@lru_cache(maxsize=1)
def _lexicon() -> tuple[list[_Pattern], dict[str, str], dict[str, str], _Fuzzy]:
    """Compiled forms, German compound heads and modifiers, and the typo vocabulary."""
    patterns: list[_Pattern] = []
    heads: dict[str, str] = {}
    modifiers: dict[str, str] = {}
    fuzzy: _Fuzzy = {}
    for name, concept in CONCEPTS.items():
        for lang, form in _forms(name):
            patterns.append(_compile(name, lang, form))
            if concept.kind in (OBJECT, SYMPTOM):
                _add_fuzzy(fuzzy, form.lstrip("=^!"), name)
            if lang == "de" and concept.kind not in (CONTEXT, WEAK) and " " not in form and form[0] not in "=^!":
                raw, root = normalize_word(form), stem(form.casefold(), "de")
                if len(raw) >= 4:           # "Kundenportal" ends with "portal"
                    heads.setdefault(raw, name)
                if len(root) >= 5:          # "Fehlerseite" starts with "fehler"
                    heads.setdefault(root, name)
                    modifiers.setdefault(root, name)
    return patterns, heads, modifiers, fuzzy


def _add_fuzzy(vocabulary: _Fuzzy, form: str, concept: str) -> None:
    words = [t.norm for t in tokenize(prepare(form))]
    joined = " ".join(words)
    if words and "..." not in form and "*" not in form and len(joined) >= (7 if len(words) == 1 else 9):
        vocabulary.setdefault((len(words), joined[0]), {})[joined] = concept


@lru_cache(maxsize=8)
def _vocabulary(extra: tuple[tuple[str, tuple[str, ...]], ...]
                ) -> tuple[_Index, dict[str, str], dict[str, str], _Fuzzy]:
    """The lexicon plus extra (concept, forms) pairs, e.g. component names as 'c:<slug>' in any language."""
    patterns, heads, modifiers, fuzzy = _lexicon()
    fuzzy = {key: dict(forms) for key, forms in fuzzy.items()}
    patterns = patterns + [_compile(concept, lang, form) for concept, forms in extra for form in forms for lang in LANGUAGES]
    for concept, forms in extra:
        for form in forms:
            _add_fuzzy(fuzzy, form, concept)
    index: _Index = {}
    for p in patterns:
        if p.head and p.head[0] is not None:     # one starting with "*" is never looked up
            index.setdefault(p.head[0], []).append(p)
    return index, heads, modifiers, fuzzy


def analyze(text: str, language: str, extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Analysis:
    """The concepts a text mentions (with where), plus its leftover content words and status codes."""
    index, heads, modifiers, fuzzy = _vocabulary(extra)
    prepared = prepare(text[:MAX_ANALYSED])
    tokens = tokenize(prepared)
    words = [prepared[t.start:t.end].casefold() for t in tokens]
    seqs = {lang: [stem(w, lang) for w in words] for lang in LANGUAGES} | {"raw": [t.norm for t in tokens]}
    found = sorted((h for i in range(len(tokens)) for h in _match_at(i, tokens, seqs, language, index, prepared)),
                   key=lambda h: -len(h.positions))
    hits: list[Hit] = []
    seen: set[tuple[str, tuple[int, ...]]] = set()
    longest: dict[int, dict[str, int]] = {}    # position -> concept -> length of the longest kept hit there
    for h in found:   # a longer phrase hides a shorter one of another concept inside it ("error message")
        n = len(h.positions)
        if (h.concept, h.positions) in seen or any(
                c != h.concept and length > n for p in h.positions for c, length in longest.get(p, {}).items()):
            continue
        seen.add((h.concept, h.positions))
        hits.append(h)
        for p in h.positions:
            at = longest.setdefault(p, {})
            at[h.concept] = max(at.get(h.concept, 0), n)
    covered = {i for h in hits for i in h.positions}
    hits += _compounds_and_typos(tokens, seqs["de"], covered, heads, modifiers, fuzzy, prepared)
    hits = [h for h in hits if not _negated(h, tokens)]
    covered = {i for h in hits for i in h.positions}
    leftover: dict[str, str] = {}
    for i, t in enumerate(tokens):
        if i not in covered and len(t.norm) >= 3 and t.norm not in STOPWORDS and not t.norm.isdigit():
            leftover.setdefault(seqs[language][i], prepared[t.start:t.end])
    codes = frozenset(t.norm for t in tokens if len(t.norm) == 3 and t.norm[0] in "45" and t.norm.isdigit())
    return Analysis(language, tuple(hits), frozenset(h.concept for h in hits), leftover, codes)


def _match_at(i: int, tokens: list[Token], seqs: dict[str, list[str]], language: str, index: _Index,
              text: str) -> Iterator[Hit]:
    n_tokens = len(tokens)
    for name in (*LANGUAGES, "raw"):
        for p in index.get((name, seqs[name][i]), ()):
            if (p.bound and p.lang != language) or (p.anchored and not tokens[i].clause_start):
                continue
            end = i + len(p.head)
            if end > n_tokens or any(e is not None and seqs[e[0]][i + k] != e[1] for k, e in enumerate(p.head)):
                continue
            positions = [i + k for k, e in enumerate(p.head) if e is not None]
            if p.tail:
                n = len(p.tail)
                at = next((j for j in range(end, min(end + 5, n_tokens - n + 1))
                           if all(e is None or seqs[e[0]][j + k] == e[1] for k, e in enumerate(p.tail))), None)
                if at is None:
                    continue
                positions += [at + k for k, e in enumerate(p.tail) if e is not None]
            yield Hit(p.concept, tuple(positions), text[tokens[i].start:tokens[positions[-1]].end])


def _compounds_and_typos(tokens: list[Token], de_stems: list[str], covered: set[int], heads: dict[str, str],
                         modifiers: dict[str, str], fuzzy: _Fuzzy, text: str) -> list[Hit]:
    from .places import is_place_name     # places reads names with this module's tokenizer
    out: list[Hit] = []
    for i, t in enumerate(tokens):
        if i in covered or t.norm in STOPWORDS or t.norm.isdigit():
            continue
        if text[t.start:t.start + 1].isupper() and is_place_name(t.norm):
            continue     # a place's name is no compound nor a typo ("Montevideo" is no video)
        word, root = t.norm, de_stems[i]
        found: set[str] = set()
        span: tuple[int, ...] = (i,)
        if len(word) >= 7:
            head = next((w[-k:] for w in (word, root) for k in range(len(w) - 3, 3, -1) if w[-k:] in heads), None)
            modifier = next((word[:k] for k in range(len(word) - 3, 4, -1) if word[:k] in modifiers), None)
            found = {heads[x] for x in (head,) if x} | {modifiers[x] for x in (modifier,) if x}
        for n in () if found else (3, 2, 1):
            window = tokens[i:i + n]
            joined = " ".join(w.norm for w in window)
            if len(window) < n or covered.intersection(range(i, i + n)) or len(joined) < 7:
                continue
            limit = 2 if len(joined) >= 11 else 1
            distance, concept = min(((OSA.distance(joined, form, score_cutoff=limit), c)
                                     for form, c in fuzzy.get((n, joined[0]), {}).items()), default=(limit + 1, None))
            if distance <= limit:
                assert concept is not None       # the default is over the limit
                found, span = {concept}, tuple(range(i, i + n))
                break
        out += [Hit(c, span, text[t.start:tokens[span[-1]].end]) for c in sorted(found)]
        covered.update(span if found else ())
    return out


def _negated(hit: Hit, tokens: list[Token]) -> bool:
    """A symptom just after a negation in the same clause ("no email is lost", "n'est pas lent")."""
    if kind(hit.concept) != SYMPTOM or hit.concept in WEAK_SYMPTOMS or any(tokens[i].norm in NEGATIONS for i in hit.positions):
        return False
    first = hit.positions[0]
    if tokens[first].clause_start:
        return False
    for j in range(first - 1, max(first - 4, -1), -1):
        if tokens[j].norm in NEGATIONS:
            return True
        if tokens[j].clause_start:
            return False
    return False
