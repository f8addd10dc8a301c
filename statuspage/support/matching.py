"""Match a support ticket to a known incident (open incident or maintenance in progress), or not.

Precision first: a suppressed ticket gets an automatic answer, so a real problem wrongly matched is
a customer left alone. A ticket is suppressed only when independent signals agree:

* what it is about: the component field (a hint, sometimes wrong), and the affected components
  named in the text, by their name, slug, aliases, or a concept their name/description has
  ("Anmeldung" -> sign-in -> the Login component); also things the incident text itself names;
* what is wrong: symptoms shared with the incident's title and updates (502, "bad gateway",
  "delayed"), or at least of the same family (a hang during an outage, "not received" during a
  delay). A ticket that reports no symptom, or only symptoms of another kind, is capped below
  any sensible threshold: naming the broken component is not a problem report;
* weak context: "since ...", "whole team", "how long?", plus same-language words shared with the
  incident text (vocabulary the lexicon lacks).

Intents subtract: a password or account matter, billing, a contract, a setting, a how-to or
feature question, planned maintenance, a past incident, a non-production system. Most are
excused when the ticket also reports one of the incident's own strong symptoms: a password-reset
email that is late during an email delay is the delay ("reset" is the topic, "late" the problem).
The strongest unexcused intent counts once. Tickets created long after the incident started
weaken; tickets from before it (5 min grace) cannot match.

Words are compared as stems in all three languages through a cross-language concept lexicon
(lexicon.py), with German compounds split on known heads and small typos forgiven (rapidfuzz).
Every contribution becomes a reason, so a reviewer can see why a ticket was (not) suppressed.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA

from .lexicon import CONCEPTS, CONTEXT, FAMILIES, IMPLIES, INTENT, MARKER, OBJECT, STOPWORDS, SYMPTOM, WEAK, WEAK_SYMPTOMS
from .text import LANGUAGES, Token, detect_language, normalize_word, prepare, stem, stems, tokenize

DEFAULT_THRESHOLD = 0.5
GRACE = timedelta(minutes=5)
W_FIELD, W_FIELD_OTHER, W_OBJECT, W_OBJECT_MORE, W_OBJECT_TEXT, W_OTHER_COMPONENT = 0.2, -0.05, 0.3, 0.1, 0.15, -0.15
W_SYMPTOM, W_SYMPTOM_MORE, W_SYMPTOM_CAP, W_FAMILY, W_WEAK, W_CONTEXT, W_WORD = 0.3, 0.1, 0.4, 0.2, 0.1, 0.05, 0.05
CAP_NO_SYMPTOM = 0.35
NEGATIONS = frozenset("not no never without nicht kein keine keinen keiner nie ohne pas aucun aucune jamais sans".split())
PENALTY = {"account": 0.5, "billing": 0.5, "contract": 0.5, "settings": 0.4, "howto": 0.4, "feature": 0.4,
           "report_request": 0.35, "past": 0.6, "non_production": 0.8, "maintenance_question": 0.6}
EXCUSABLE = {"account", "billing", "settings", "howto", "feature"}


@dataclass(frozen=True)
class ComponentInfo:
    slug: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    incident_id: int
    kind: str
    title: str
    texts: tuple[str, ...]
    components: tuple[str, ...]
    started_at: datetime
    status: str


@dataclass(frozen=True)
class TicketText:
    subject: str
    body: str
    component: str | None = None
    language: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Match:
    incident_id: int | None
    score: float
    reasons: tuple[str, ...]
    language: str


# --- finding concepts in a text ------------------------------------------------------------

class _Pattern(NamedTuple):
    concept: str
    lang: str                                      # language the form is written in
    head: tuple[tuple[str, str] | None, ...]       # (sequence, value): a stem in `lang`, or "raw" word; None = any word
    tail: tuple[tuple[str, str], ...]              # "a ... b": b, at most four words after a
    bound: bool                                    # only in a ticket of this language
    anchored: bool                                 # only at a sentence start


class _Hit(NamedTuple):
    concept: str
    positions: tuple[int, ...]
    surface: str


@dataclass(frozen=True)
class _Analysis:
    language: str
    hits: tuple[_Hit, ...]
    concepts: frozenset[str]
    words: dict[str, str]             # content stems not explained by a concept -> as written
    codes: frozenset[str]             # HTTP status codes (4xx/5xx) mentioned


def _form_elements(text: str, lang: str) -> tuple[tuple[str, str] | None, ...]:
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
    bound, anchored = "=" in form[:2], "^" in form[:2]
    head, _, tail = form.lstrip("=^").partition(" ... ")
    return _Pattern(concept, lang, _form_elements(head, lang), _form_elements(tail, lang) if tail else (), bound, anchored)


def _index(patterns: Iterable[_Pattern]) -> dict[tuple[str, str], list[_Pattern]]:
    index: dict[tuple[str, str], list[_Pattern]] = {}
    for p in patterns:
        if p.head:
            index.setdefault(p.head[0], []).append(p)
    return index


@lru_cache(maxsize=1)
def _lexicon() -> tuple[list[_Pattern], dict, dict, dict]:
    """Compiled forms, plus German compound heads and modifiers, and the typo vocabulary."""
    patterns = [_compile(name, lang, f.strip()) for name, c in CONCEPTS.items()
                for lang in LANGUAGES for f in getattr(c, lang).split(",") if f.strip()]
    heads, modifiers, fuzzy = {}, {}, {}
    for name, c in CONCEPTS.items():
        for lang in LANGUAGES:
            for form in (f.strip() for f in getattr(c, lang).split(",")):
                if c.kind in (OBJECT, SYMPTOM):
                    _add_fuzzy(fuzzy, form.lstrip("=^"), name)
                words = form.split()
                if lang != "de" or c.kind in (CONTEXT, WEAK) or len(words) != 1 or form[0] in "=^":
                    continue
                raw, root = normalize_word(words[0]), stem(words[0].casefold(), "de")
                if len(raw) >= 4:       # "Kundenportal" ends with "portal", "Serverfehlern" with "fehl(er)"
                    heads.setdefault(raw, name)
                if len(root) >= 5:
                    heads.setdefault(root, name)
                    modifiers.setdefault(root, name)    # "Fehlerseite" starts with "fehler"
    return patterns, heads, modifiers, fuzzy


def _add_fuzzy(vocabulary: dict, form: str, concept: str) -> None:
    words = [t.norm for t in tokenize(prepare(form))]
    joined = " ".join(words)
    if words and "..." not in form and "*" not in form and len(joined) >= (7 if len(words) == 1 else 9):
        vocabulary.setdefault((len(words), joined[0]), {})[joined] = concept


@lru_cache(maxsize=64)
def _vocabulary(components: tuple[ComponentInfo, ...]):
    """Lexicon plus each component's name, slug and aliases as concept 'c:<slug>'."""
    patterns, heads, modifiers, fuzzy = _lexicon()
    extra, fuzzy = [], {k: dict(v) for k, v in fuzzy.items()}
    for comp in components:
        for form in (comp.name, comp.slug.replace("-", " ").replace("_", " "), *comp.aliases):
            if form.strip():
                extra += [_compile(f"c:{comp.slug}", lang, form) for lang in LANGUAGES]
                _add_fuzzy(fuzzy, form, f"c:{comp.slug}")
    return _index(patterns + extra), heads, modifiers, fuzzy


def _analyze(text: str, language: str, components: tuple[ComponentInfo, ...] = ()) -> _Analysis:
    index, heads, modifiers, fuzzy = _vocabulary(components)
    prepared = prepare(text)
    tokens = tokenize(prepared)
    by_lang = stems(prepared, tokens)
    by_lang["raw"] = [t.norm for t in tokens]
    found = [h for i in range(len(tokens)) for h in _match_at(i, tokens, by_lang, language, index, prepared)]
    found.sort(key=lambda h: -len(h.positions))
    hits: list[_Hit] = []
    for h in found:   # a longer phrase hides a shorter one of another concept inside it ("error message")
        if not any(set(h.positions) & set(k.positions) and k.concept != h.concept and len(k.positions) > len(h.positions) for k in hits) \
                and not any(k.concept == h.concept and k.positions == h.positions for k in hits):
            hits.append(h)
    covered = {i for h in hits for i in h.positions}
    hits += _compounds_and_typos(tokens, by_lang["de"], covered, heads, modifiers, fuzzy, prepared)
    hits = [h for h in hits if not _negated(h, tokens)]
    covered = {i for h in hits for i in h.positions}
    words: dict[str, str] = {}
    for i, t in enumerate(tokens):
        if i not in covered and len(t.norm) >= 3 and t.norm not in STOPWORDS and not t.norm.isdigit():
            words.setdefault(by_lang[language][i], prepared[t.start:t.end])
    codes = frozenset(t.norm for t in tokens if len(t.norm) == 3 and t.norm[0] in "45" and t.norm.isdigit())
    return _Analysis(language, tuple(hits), frozenset(h.concept for h in hits), words, codes)


def _negated(hit: _Hit, tokens: list[Token]) -> bool:
    """A symptom right after a negation in the same clause ("no email is lost", "n'est pas lent")."""
    if _kind(hit.concept) != SYMPTOM or hit.concept in WEAK_SYMPTOMS or any(tokens[i].norm in NEGATIONS for i in hit.positions):
        return False
    first = hit.positions[0]
    for j in range(first - 1, max(first - 4, -1), -1):
        if tokens[j].norm in NEGATIONS:
            return True
        if tokens[j].sentence_start:
            return False
    return False


def _match_at(i: int, tokens: list[Token], seqs: dict, language: str, index: dict, text: str):
    n_tokens = len(tokens)
    for name in (*LANGUAGES, "raw"):
        for p in index.get((name, seqs[name][i]), ()):
            if (p.bound and p.lang != language) or (p.anchored and not tokens[i].sentence_start):
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
            yield _Hit(p.concept, tuple(positions), text[tokens[i].start:tokens[positions[-1]].end])


def _compounds_and_typos(tokens, de_stems, covered, heads, modifiers, fuzzy, text) -> list[_Hit]:
    """German compounds by a known head or modifier ("Kundenportal", "Fehlerseite"); typos by OSA distance."""
    out = []
    for i, t in enumerate(tokens):
        if i in covered or t.norm in STOPWORDS or t.norm.isdigit():
            continue
        word, root = t.norm, de_stems[i]
        found = set()
        if len(word) >= 7:
            head = next((w[-k:] for w in (word, root) for k in range(len(w) - 3, 3, -1) if w[-k:] in heads), None)
            modifier = next((word[:k] for k in range(len(word) - 3, 4, -1) if word[:k] in modifiers), None)
            found = {heads[head]} if head else set()
            found |= {modifiers[modifier]} if modifier else set()
        span = (i,)
        if not found:
            for n in (3, 2, 1):
                window = tokens[i:i + n]
                if len(window) < n or any(j in covered for j in range(i, i + n)):
                    continue
                joined = " ".join(w.norm for w in window)
                if len(joined) < 7:
                    continue
                limit = 2 if len(joined) >= 11 else 1
                best = min(((OSA.distance(joined, form, score_cutoff=limit), c) for form, c in fuzzy.get((n, joined[0]), {}).items()),
                           default=(limit + 1, None))
                if best[0] <= limit:
                    found, span = {best[1]}, tuple(range(i, i + n))
                    break
        out += [_Hit(c, span, text[t.start:tokens[span[-1]].end]) for c in sorted(found)]
        covered.update(span if found else ())
    return out


# --- features of candidates and components -------------------------------------------------

def _close(concepts: Iterable[str]) -> frozenset[str]:
    out = set(concepts)
    for c in list(out):
        out |= IMPLIES.get(c, frozenset())
    return frozenset(out)


@lru_cache(maxsize=256)
def _candidate_features(kind: str, title: str, texts: tuple[str, ...]) -> tuple[_Analysis, frozenset[str], frozenset[str]]:
    text = "\n".join((title, *texts))
    analysis = _analyze(text, detect_language(text))
    own = {c for c in analysis.concepts if _kind(c) == SYMPTOM}
    if kind == "maintenance":   # a maintenance makes its components unavailable or slow
        own |= IMPLIES["maintenance"] | {"maintenance"}
    symptoms = _close(own)
    families = frozenset(f for c in own for f in FAMILIES.get(c, ()))
    return analysis, symptoms, families


@lru_cache(maxsize=64)
def _component_concepts(components: tuple[ComponentInfo, ...]) -> dict[str, frozenset[str]]:
    """Per slug: 'c:<slug>' plus the object concepts of its name, aliases and description."""
    out = {}
    for comp in components:
        analysis = _analyze("\n".join((comp.name, *comp.aliases, comp.description)), "en", components)
        objects = {c for c in analysis.concepts if _kind(c) == OBJECT}
        out[comp.slug] = frozenset(objects | {f"c:{comp.slug}"})
    return out


# --- scoring ----------------------------------------------------------------------------------

def _kind(concept: str) -> str:
    return "component" if concept.startswith("c:") else CONCEPTS[concept].kind


def _label(concept: str, names: dict[str, str]) -> str:
    return f"the {names.get(concept[2:], concept[2:])} component" if concept.startswith("c:") else CONCEPTS[concept].label


def _score(t: _Analysis, ticket: TicketText, cand: Candidate, comp_concepts: dict, names: dict, created: datetime):
    """Score of one candidate, its reasons, and tie-breakers (object and symptom credit)."""
    if created < cand.started_at - GRACE:
        return 0.0, ("created before the incident started",), 0.0, 0.0
    analysis, symptoms, families = _candidate_features(cand.kind, cand.title, cand.texts)
    reasons, total = [], 0.0
    affected = {slug: comp_concepts.get(slug, frozenset({f"c:{slug}"})) for slug in cand.components}
    field = (ticket.component or "").strip().lower() or None
    if field and field in affected:
        total += W_FIELD
        reasons.append(f"component field: {field} (+{W_FIELD:.2f})")
    elif field and field in comp_concepts:
        total += W_FIELD_OTHER
        reasons.append(f"component field names {field}, which this incident does not affect ({W_FIELD_OTHER:.2f})")
    # objects
    obj_credit, named = 0.0, []
    for slug, concepts in affected.items():
        hit = next((h for h in t.hits if h.concept in concepts), None)
        if hit:
            named.append(slug)
            gain = W_OBJECT if len(named) == 1 else W_OBJECT_MORE
            obj_credit += gain
            reasons.append(f"mentions '{hit.surface}' ({_label(hit.concept, names)}, affected: {slug}) (+{gain:.2f})")
    affected_all = frozenset().union(*affected.values()) if affected else frozenset()
    if not named:
        text_objects = {c for c in analysis.concepts if _kind(c) == OBJECT}
        hit = next((h for h in t.hits if h.concept in text_objects), None)
        if hit:
            obj_credit += W_OBJECT_TEXT
            reasons.append(f"mentions '{hit.surface}' ({_label(hit.concept, names)}) like the incident text (+{W_OBJECT_TEXT:.2f})")
        others = [slug for slug, cs in comp_concepts.items() if slug not in affected and (t.concepts & cs) - affected_all]
        if others and not hit:
            obj_credit += W_OTHER_COMPONENT
            reasons.append(f"names {', '.join(others)}, which this incident does not affect ({W_OTHER_COMPONENT:.2f})")
    total += obj_credit
    # symptoms
    mine: dict[str, _Hit] = {}
    for h in t.hits:
        if _kind(h.concept) == SYMPTOM:
            mine.setdefault(h.concept, h)
    closed = {c: _close([c]) for c in mine}
    shared = [h for c, h in mine.items() if closed[c] & symptoms]
    codes = sorted(t.codes & analysis.codes)
    sym_credit, strong = 0.0, False
    if shared or codes:
        sym_credit = min(W_SYMPTOM_CAP, W_SYMPTOM + W_SYMPTOM_MORE * (len(shared) + len(codes) - 1))
        strong = any(h.concept not in WEAK_SYMPTOMS for h in shared) or bool(codes)
        quoted = [f"'{h.surface}'" for h in shared] + [c for c in codes if all(c not in h.surface for h in shared)]
        reasons.append(f"shares symptoms with the incident: {', '.join(quoted)} (+{sym_credit:.2f})")
    elif any(families & FAMILIES.get(c, frozenset()) for c in mine):
        sym_credit = W_FAMILY
        quoted = ", ".join(f"'{h.surface}'" for h in mine.values())
        reasons.append(f"reports a problem of the same kind: {quoted} (+{sym_credit:.2f})")
    elif "negation" in t.concepts and not mine:
        sym_credit = W_WEAK
        reasons.append(f"says something does not work (+{W_WEAK:.2f})")
    total += sym_credit
    if sym_credit > 0 or obj_credit > 0:
        context = [h for h in t.hits if _kind(h.concept) == CONTEXT]
        kinds = list(dict.fromkeys(h.concept for h in context))[:2]
        overlap = sorted(t.words[w] for w in t.words.keys() & analysis.words.keys())[:2] if t.language == analysis.language else []
        if kinds:
            total += W_CONTEXT * len(kinds)
            reasons.append(f"{', '.join(CONCEPTS[k].label for k in kinds)} (+{W_CONTEXT * len(kinds):.2f})")
        if overlap:
            total += W_WORD * len(overlap)
            reasons.append(f"uses the incident's words: {', '.join(overlap)} (+{W_WORD * len(overlap):.2f})")
    if sym_credit <= 0 and total > CAP_NO_SYMPTOM:
        total = CAP_NO_SYMPTOM
        why = "its symptoms do not fit this incident" if mine else "reports no symptom"
        reasons.append(f"{why}: capped at {CAP_NO_SYMPTOM:.2f}")
    # intents
    penalty, why = _intent_penalty(t, cand, strong, sym_credit > 0)
    if penalty:
        total -= penalty
        reasons.append(f"{why} (-{penalty:.2f})")
    total = max(0.0, min(1.0, total))
    hours = (created - cand.started_at).total_seconds() / 3600
    if hours > 24 and total > 0:
        factor = max(0.3, 1 - (hours - 24) / 96)
        total *= factor
        reasons.append(f"created {hours / 24:.1f} days after the incident started (x{factor:.2f})")
    return round(total, 3), tuple(reasons), obj_credit, sym_credit


def _intent_penalty(t: _Analysis, cand: Candidate, strong: bool, fits: bool) -> tuple[float, str]:
    intents = {h.concept: h for h in t.hits if _kind(h.concept) == INTENT}
    if "maintenance" in t.concepts and ("future" in t.concepts or "planned" in t.concepts):
        excused = cand.kind == "maintenance" and "future" not in t.concepts and fits
        if not excused:
            intents["maintenance_question"] = next(h for h in t.hits if h.concept == "maintenance")
    open_ = [(PENALTY[c], c, h) for c, h in intents.items() if not (strong and c in EXCUSABLE)]
    if not open_:
        return 0.0, ""
    penalty, concept, hit = max(open_)
    what = "planned maintenance" if concept == "maintenance_question" else CONCEPTS[concept].label
    return penalty, f"asks about {what} ('{hit.surface}'), not an ongoing problem"


def match_ticket(ticket: TicketText, candidates: Sequence[Candidate], components: Sequence[ComponentInfo],
                 *, threshold: float = DEFAULT_THRESHOLD, now: datetime | None = None) -> Match:
    """The best candidate if its score reaches the threshold; else incident_id None (accept)."""
    text = f"{ticket.subject or ''}\n{ticket.body or ''}"
    language = ticket.language if ticket.language in LANGUAGES else detect_language(text)
    if not candidates:
        return Match(None, 0.0, ("no open incident or maintenance in progress",), language)
    comps = tuple(components)
    analysis = _analyze(text, language, comps)
    comp_concepts = _component_concepts(comps)
    names = {c.slug: c.name for c in comps}
    created = ticket.created_at or now or datetime.now(timezone.utc)
    scored = [(_score(analysis, ticket, cand, comp_concepts, names, created), cand) for cand in candidates]
    (score_, reasons, _, _), best = max(scored, key=lambda s: (s[0][0], s[0][2], s[0][3]))
    return Match(best.incident_id if score_ >= threshold else None, score_, reasons, language)


# --- evaluation ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scores:
    tickets: int
    suppressed: int
    should_suppress: int
    correctly_suppressed: int
    right_incident: int
    precision: float
    recall: float
    incident_accuracy: float


def score(pairs: Iterable[tuple[str | None, str | None]]) -> Scores:
    """Precision/recall of suppression and incident accuracy from (expected, predicted) keys."""
    pairs = list(pairs)
    suppressed = sum(p is not None for _, p in pairs)
    should = sum(e is not None for e, _ in pairs)
    correct = sum(e is not None and p is not None for e, p in pairs)
    right = sum(e is not None and e == p for e, p in pairs)
    return Scores(len(pairs), suppressed, should, correct, right,
                  correct / suppressed if suppressed else 1.0,
                  correct / should if should else 1.0,
                  right / correct if correct else 1.0)


__all__ = ["DEFAULT_THRESHOLD", "Candidate", "ComponentInfo", "Match", "Scores", "TicketText", "detect_language",
           "match_ticket", "score"]
