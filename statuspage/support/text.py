"""Text normalization for ticket matching: tokens, stems in three languages, language detection.

Matching compares words, not strings, so every text goes through the same steps: NFKC, casefold,
contractions expanded ("can't" -> "cannot"), split into word tokens (hyphens and apostrophes
split: "E-Mail" -> "e mail", "d'erreur" -> "d erreur"), accents stripped for comparison. Each
token keeps its span in the original text so explanations can quote what the customer wrote,
and knows whether it starts a sentence (some question forms only count there).

Stems are computed in all three languages for every token (cached per word): a German word in an
English ticket still matches the German forms of the lexicon, which is what mixed tickets need.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

LANGUAGES = ("en", "de", "fr")
_STEMMERS = {"en": "english", "de": "german", "fr": "french"}
_WORD = re.compile(r"\w+", re.UNICODE)
_EMAIL_ADDRESS = re.compile(r"\S+@\S+\.\w+")
_CONTRACTIONS = ((re.compile(r"\bcan[’']t\b", re.I), "cannot"), (re.compile(r"\bwon[’']t\b", re.I), "will not"),
                 (re.compile(r"n[’']t\b", re.I), " not"))
_SENTENCE_BREAK = set(".?!;:,\n(")


@dataclass(frozen=True, slots=True)
class Token:
    norm: str          # casefolded, accents stripped
    start: int         # span in the (contraction-expanded) text, for quoting
    end: int
    sentence_start: bool


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def prepare(text: str) -> str:
    """NFKC, e-mail addresses blanked (a requester's address says nothing), contractions expanded."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _EMAIL_ADDRESS.sub(" ", text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def tokenize(text: str) -> list[Token]:
    """Tokens of an already prepared text; '_' counts as a separator like '-'."""
    tokens = []
    for m in _WORD.finditer(text):
        for part in re.finditer(r"[^_]+", m.group()):
            start, end = m.start() + part.start(), m.start() + part.end()
            before = text[:start].rstrip(" \t\"'«»“”‘’*-")
            tokens.append(Token(normalize_word(part.group()), start, end, not before or before[-1] in _SENTENCE_BREAK))
    return tokens


@lru_cache(maxsize=65536)
def normalize_word(word: str) -> str:
    return strip_accents(word.casefold())


@lru_cache(maxsize=4)
def _stemmer(language: str):
    return snowballstemmer.stemmer(_STEMMERS[language])


@lru_cache(maxsize=131072)
def stem(word: str, language: str) -> str:
    """Snowball stem of a casefolded word (with its accents, which the stemmers use), then stripped."""
    if word.isdigit() or len(word) < 3:
        return strip_accents(word)
    return strip_accents(_stemmer(language).stemWord(word))


def stems(tokens_text: str, tokens: list[Token]) -> dict[str, list[str]]:
    """Per language, the stem of every token (computed from the accented casefolded original)."""
    words = [tokens_text[t.start:t.end].casefold() for t in tokens]
    return {lang: [stem(w, lang) for w in words] for lang in LANGUAGES}


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
