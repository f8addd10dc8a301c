"""An incident's or a ticket's sentences read for the several things one sentence says: the items of a list, the
effects a later update strings together, the texts it quotes.

A sentence's vector (semantic.py) is the average of what it says, so an update that packs several effects into
one sentence ("can't be submitted, approved or cancelled"; "..., so overbookings are possible, and the overview
shows an old time") comes close to no ticket that reports one of them: read_incident (evidence.py) reads each as a
sentence of its own. A text the incident quotes ('Keine Daten', « en attente ») is what the customer sees on
screen, and a ticket in any language quotes it as written. These readings know general language only (lexicon.py,
text.py), nothing of a page; evidence.py reads incidents and tickets with them.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

from . import semantic
from .lexicon import OBJECT, STOPWORDS, SYMPTOM
from .text import analyze, kind, tokenize

_BRACKETS = re.compile(r"\([^()]*\)")


def without_brackets(text: str) -> str:
    """The text with each aside in brackets replaced by a space ("Ticket app (iOS and Android)": the app)."""
    return _BRACKETS.sub(" ", text)


def tells(sentence: str, language: str) -> bool:
    """A sentence that says something of the problem (a thing, a symptom, a name, a number), not one of a
    status update's stock phrases ("We are looking into it.", "A fix is being deployed.")."""
    found = analyze(sentence, language)
    return bool(found.codes or any(kind(c) in (OBJECT, SYMPTOM, "component") for c in found.concepts)
                or len(found.words) >= 3)


# where a later update's long sentence passes from one effect to the next: a comma, or "and" before a clause
# ("and" alone only before a new subject: "Kundinnen und Kunden", "reservations and changes" are one thing)
_EFFECT_BREAK = re.compile(r",\s+(?:(?:and|so|und|sodass|et|donc)\s+)?|\s+(?:and|und|et)\s+(?=(?:the|their|its|some|these|"
                           r"die|der|das|ihre|seine|diese|les|la|le|leurs|leur|ces)\s)", re.IGNORECASE)
EFFECT_WORDS = 4          # a shorter part names a thing or a time, no effect


def later_effects(updates: Sequence[str], language: str) -> list[str]:
    """The effects a later update lists in one long sentence, one by one ("a room you close can still be sold
    for a while, so overbookings are possible, and the overview shows an old time"): a ticket reports one of them,
    and a sentence of three effects is close to none. The parts that say something works ("and reservations are
    imported as usual") are left out, as the sentence's clauses that rule out are."""
    out: list[str] = []
    for update in updates:
        for sentence in semantic.sentences(update, limit=40):
            parts = [p.strip(" ,") for p in _EFFECT_BREAK.split(without_brackets(sentence))]
            if len(parts) < 2:
                continue
            for part in parts:
                if len(part.split()) >= EFFECT_WORDS and tells(part, language) and part not in out:
                    found = analyze(part, language).concepts
                    if "unaffected" not in found and "workaround" not in found:
                        out.append(part)
    return out


# A text in quotation marks of any of the three languages' kinds: „…“ “…” "…" «…» ‹…› ‚…‘ '…' (a single quote only
# where no letter touches it from outside, so "it's" and "l'appli" open nothing). What an update quotes is what the
# customer sees on screen ('Keine Daten', « en attente »), and a ticket in any language quotes it as written.
_QUOTED = re.compile(r"„([^“”\"\n]{1,80})[“”\"]|“([^”\n]{1,80})”|«([^»\n]{1,80})»|‹([^›\n]{1,80})›"
                     r"|‚([^‘’\n]{1,80})[‘’]|(?<!\w)\"([^\"\n]{1,80})\"|(?<!\w)'([^'\n]{1,80})'(?!\w)|(?<!\w)‘([^’\n]{1,80})’")
QUOTE_WORDS = 8          # a longer quotation is a sentence the customer cites, not a text on screen
_WORDS = re.compile(r"\w+")


def _quote_norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def quoted_texts(text: str) -> frozenset[str]:
    """The short texts a text quotes, in lower case with words only ("Keine Daten", « en attente »)."""
    found = (_quote_norm(next(g for g in m.groups() if g)) for m in _QUOTED.finditer(text))
    return frozenset(q for q in found if len(q) >= 3 and len(q.split()) <= QUOTE_WORDS and any(c.isalpha() for c in q))


def quote_words(text: str) -> str:
    """A ticket's text as quoted_texts normalises a quotation, with a space at both ends: what quotes_shared
    searches for a quotation written word for word (read once per ticket, searched once per incident)."""
    return f" {_quote_norm(text)} "


def quotes_shared(ticket_words: str, ticket_quotes: frozenset[str], incident_quotes: frozenset[str]) -> list[str]:
    """What the incident quotes that the ticket quotes too, or writes word for word (two words or more, quoted or
    not: "the status says waiting for a runner"): a message or status on screen, the same in any language.
    `ticket_words`: quote_words() of the ticket's text."""
    return sorted(q for q in incident_quotes if q in ticket_quotes or (len(q.split()) >= 2 and f" {q} " in ticket_words))


# An enumeration ("can't be submitted, approved or cancelled"; "reports, exports and the night audit are
# unavailable") packs one effect per item into a sentence whose vector is the average of all of them: a ticket that
# reports one item alone comes only part of the way. Each item is read as its own sentence, the rest of the sentence
# kept around it. General language only: the words that join items, and the words (STOPWORDS, negations) that end
# an item because they belong to the frame around the list.
_JOINS = frozenset({"and", "or", "und", "oder", "sowie", "et", "ou"})
_ARTICLES = frozenset({"the", "a", "an", "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "le", "la",
                       "les", "l", "un", "une", "du"})
_LINKS = frozenset({"of", "de", "d", "du", "des", "von", "vom", "der"})     # inside an item: "rapports de campagne"
_FRAME = STOPWORDS | {"not", "no", "nicht", "kein", "keine", "pas", "ne", "n", "plus", "t", "cannot", "nor"}
# words that open an adverbial before a list's first comma ("During the window, webhooks and ..."): what follows
# them up to the comma is no item
_OPENS = frozenset({"during", "while", "until", "within", "in", "on", "at", "for", "from", "with", "by", "to", "after",
                    "pendant", "durant", "dans", "sur", "pour", "par", "avec", "en", "apres", "wahrend", "im", "am",
                    "auf", "mit", "fur", "bei", "zu", "nach", "vor", "seit", "bis", "innerhalb"})
_HARD = re.compile(r"[.;:!?()\[\]\n«»\"“”„/]")
ITEM_WORDS = 4           # a longer stretch between commas is a clause, not an item
CROSSED = 12             # at most this many pairings of two or more lists' items
ITEM_SENTENCE = 4        # an item's sentence shorter than this says too little to stand alone ("Clones.")


def enumerated(sentence: str) -> list[str]:
    """The sentence once per item of each enumeration in it, the other items left out: "Subscriptions can't
    be taken out, changed or cancelled" gives "Subscriptions can't be taken out", "Subscriptions can't be
    changed", "Subscriptions can't be cancelled". Nothing for a sentence without one."""
    tokens = tokenize(sentence)
    gaps = [sentence[tokens[i - 1].end if i else 0:t.start] for i, t in enumerate(tokens)]

    def content(i: int) -> bool:
        return tokens[i].norm not in _FRAME

    def broken(i: int) -> bool:        # punctuation between token i-1 and token i
        return bool(_HARD.search(gaps[i]) or "," in gaps[i])

    def left_item(end: int) -> int | None:
        """The first token of the item that ends at token `end`: back over its words to a comma or a frame word."""
        start = end
        while start > 0 and not broken(start) and end - start + 1 < ITEM_WORDS:
            prev = start - 1
            if content(prev) or (prev > 0 and tokens[prev].norm in _LINKS and content(prev - 1)):
                start = prev
            elif tokens[prev].norm in _ARTICLES:
                start = prev
                break
            else:
                break
        return start if any(content(i) for i in range(start, end + 1)) else None

    variants: list[str] = []
    lists: list[tuple[int, int, list[str]]] = []      # (start, end, items) of each enumeration
    used: set[int] = set()
    for k, token in enumerate(tokens):
        if token.norm not in _JOINS or k in used or k == 0 or k + 1 >= len(tokens):
            continue
        # ", and" joins clauses ("…, and leave balances are shown"); "Monats- und Jahresabos" joins word parts
        if _HARD.search(gaps[k]) or "," in gaps[k] or "-" in gaps[k] or _HARD.search(gaps[k + 1]) or "," in gaps[k + 1]:
            continue
        # the item after the joining word: an article, then its words up to a frame word or punctuation
        end = k + 1
        if tokens[end].norm in _ARTICLES:
            end += 1
        if end >= len(tokens) or not content(end) or broken(end):
            continue
        while (end + 1 < len(tokens) and not broken(end + 1) and end + 1 - k < ITEM_WORDS
               and (content(end + 1) or (tokens[end + 1].norm in _LINKS and end + 2 < len(tokens) and content(end + 2)
                                          and not broken(end + 2)))):
            end += 1 + (not content(end + 1))
        items = [(k + 1, end)]
        last = k - 1
        start = left_item(last)
        if start is None:
            continue
        items.insert(0, (start, last))
        # earlier items, each after a comma: a whole short stretch, or the end of a longer one (the first item)
        while "," in gaps[start] and not _HARD.search(gaps[start]) and start > 0:
            last = start - 1
            begin = last
            while begin > 0 and not broken(begin):
                begin -= 1
            if last - begin + 1 < ITEM_WORDS and tokens[begin].norm not in _OPENS and all(content(i) or tokens[i].norm in _LINKS | _ARTICLES
                                                      for i in range(begin, last + 1)) and begin > 0:
                if not any(content(i) for i in range(begin, last + 1)):
                    break
                start = begin
                items.insert(0, (start, last))
                continue
            first = left_item(last)
            if first is not None and (first == 0 or tokens[first - 1].norm not in _OPENS):
                items.insert(0, (first, last))
            break
        used.update(i for i in range(items[0][0], items[-1][1] + 1) if tokens[i].norm in _JOINS)
        lists.append((tokens[items[0][0]].start, tokens[items[-1][1]].end,
                      [sentence[tokens[a].start:tokens[b].end] for a, b in items]))
    lists.sort()
    lists = [entry for i, entry in enumerate(lists) if not i or entry[0] >= lists[i - 1][1]]    # apart
    choices: list[list[tuple[int, int, str]]] = [[(a, b, item)] for a, b, items in lists for item in items]
    if 1 < len(lists) and math.prod(len(items) for _, _, items in lists) <= CROSSED:
        # two lists in one sentence ("leave requests and sick notes can't be submitted or approved"): every pairing
        choices += [list(chosen) for chosen in itertools.product(*([(a, b, item) for item in items]
                                                                    for a, b, items in lists))]
    for chosen in choices:
        text, at = "", 0
        for a, b, item in chosen:
            text, at = text + sentence[at:a] + item, b
        variants.append(re.sub(r"\s{2,}", " ", text + sentence[at:]).strip())
    return variants


__all__ = ["enumerated", "later_effects", "quote_words", "quoted_texts", "quotes_shared", "tells", "without_brackets"]
