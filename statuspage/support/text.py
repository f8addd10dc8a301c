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
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer
from rapidfuzz.distance import OSA

from .lexicon import CONCEPTS, CONTEXT, OBJECT, STOPWORDS, SYMPTOM, WEAK, WEAK_SYMPTOMS

LANGUAGES = ("en", "de", "fr")
_STEMMERS = {"en": "english", "de": "german", "fr": "french"}
_WORD = re.compile(r"[^\W_]+")
_EMAIL_ADDRESS = re.compile(r"\S+@\S+\.\w+")
_CONTRACTIONS = ((re.compile(r"\bcan[’']t\b", re.I), "cannot"), (re.compile(r"\bwon[’']t\b", re.I), "will not"),
                 (re.compile(r"n[’']t\b", re.I), " not"))
_CLAUSE_BREAK = set(".?!;:,\n(")
NEGATIONS = frozenset("not no never without nicht kein keine keinen keiner nie ohne pas aucun aucune jamais sans".split())


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
    """NFKC, e-mail addresses blanked (a requester's address says nothing), contractions expanded."""
    text = _EMAIL_ADDRESS.sub(" ", unicodedata.normalize("NFKC", text or ""))
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for m in _WORD.finditer(text):
        gap = text[tokens[-1].end if tokens else 0:m.start()].rstrip(" \t\"'«»“”‘’*-_")
        starts = gap[-1] in _CLAUSE_BREAK if gap else not tokens
        tokens.append(Token(normalize_word(m.group()), m.start(), m.end(), starts))
    return tokens


@lru_cache(maxsize=65536)
def normalize_word(word: str) -> str:
    return strip_accents(word.casefold())


@lru_cache(maxsize=131072)
def stem(word: str, language: str) -> str:
    """Snowball stem of a casefolded word (with its accents, which the stemmers use), then stripped."""
    if word.isdigit() or len(word) < 3:
        return strip_accents(word)
    return strip_accents(_stemmer(language).stemWord(word))


@lru_cache(maxsize=4)
def _stemmer(language: str):
    return snowballstemmer.stemmer(_STEMMERS[language])


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@lru_cache(maxsize=4096)
def detect_language(text: str, default: str = "en") -> str:
    """en/de/fr by py3langid restricted to these three; the default for text without letters."""
    if not any(ch.isalpha() for ch in text or ""):
        return default
    language = _identifier().classify(text)[0]
    return language if language in LANGUAGES else default


# --- concepts ----------------------------------------------------------------------------------

class _Pattern(NamedTuple):
    concept: str
    lang: str                                      # language the form is written in
    head: tuple[tuple[str, str] | None, ...]       # (sequence, value): a stem in `lang` or the "raw" word; None = any word
    tail: tuple[tuple[str, str], ...]              # "a ... b": b, at most four words after a
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


@lru_cache(maxsize=1)
def _lexicon() -> tuple[list[_Pattern], dict, dict, dict]:
    """Compiled forms, German compound heads and modifiers, and the typo vocabulary."""
    patterns, heads, modifiers, fuzzy = [], {}, {}, {}
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


def _add_fuzzy(vocabulary: dict, form: str, concept: str) -> None:
    words = [t.norm for t in tokenize(prepare(form))]
    joined = " ".join(words)
    if words and "..." not in form and "*" not in form and len(joined) >= (7 if len(words) == 1 else 9):
        vocabulary.setdefault((len(words), joined[0]), {})[joined] = concept


@lru_cache(maxsize=64)
def _vocabulary(extra: tuple[tuple[str, tuple[str, ...]], ...]):
    """The lexicon plus extra (concept, forms) pairs, e.g. component names as 'c:<slug>' in any language."""
    patterns, heads, modifiers, fuzzy = _lexicon()
    fuzzy = {key: dict(forms) for key, forms in fuzzy.items()}
    patterns = patterns + [_compile(concept, lang, form) for concept, forms in extra for form in forms for lang in LANGUAGES]
    for concept, forms in extra:
        for form in forms:
            _add_fuzzy(fuzzy, form, concept)
    index: dict[tuple[str, str], list[_Pattern]] = {}
    for p in patterns:
        if p.head:
            index.setdefault(p.head[0], []).append(p)
    return index, heads, modifiers, fuzzy


def analyze(text: str, language: str, extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Analysis:
    """The concepts a text mentions (with where), plus its leftover content words and status codes."""
    index, heads, modifiers, fuzzy = _vocabulary(extra)
    prepared = prepare(text)
    tokens = tokenize(prepared)
    words = [prepared[t.start:t.end].casefold() for t in tokens]
    seqs = {lang: [stem(w, lang) for w in words] for lang in LANGUAGES} | {"raw": [t.norm for t in tokens]}
    found = sorted((h for i in range(len(tokens)) for h in _match_at(i, tokens, seqs, language, index, prepared)),
                   key=lambda h: -len(h.positions))
    hits: list[Hit] = []
    for h in found:   # a longer phrase hides a shorter one of another concept inside it ("error message")
        if not any(k.concept == h.concept and k.positions == h.positions for k in hits) and not any(
                k.concept != h.concept and len(k.positions) > len(h.positions) and set(h.positions) & set(k.positions) for k in hits):
            hits.append(h)
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


def _match_at(i: int, tokens: list[Token], seqs: dict, language: str, index: dict, text: str):
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
                           if all(seqs[e[0]][j + k] == e[1] for k, e in enumerate(p.tail))), None)
                if at is None:
                    continue
                positions += range(at, at + n)
            yield Hit(p.concept, tuple(positions), text[tokens[i].start:tokens[positions[-1]].end])


def _compounds_and_typos(tokens, de_stems, covered, heads, modifiers, fuzzy, text) -> list[Hit]:
    out = []
    for i, t in enumerate(tokens):
        if i in covered or t.norm in STOPWORDS or t.norm.isdigit():
            continue
        word, root, found, span = t.norm, de_stems[i], set(), (i,)
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
