"""Match a support ticket to a known incident (open incident or maintenance in progress), or not.

Precision first: a suppressed ticket gets an automatic answer, so a real problem matched by mistake is a
customer left alone. For each open incident the ticket's evidence (evidence.py: what it means next to
what the incident says, the components and symptoms it names, what it asks for, where it stands in the
incident's scope) is weighed by a fitted model (model.py) into a probability. The most likely incident
wins if its probability reaches the threshold, and a higher one (UNCORROBORATED more) when the ticket
describes no symptom of the incident's kind: a ticket that is only about the same component or topic (a
question, a wish, another problem with the same feature) is where a wrong automatic answer comes from.
Incidents close behind the winner are named as alternatives instead of being silently dropped. A ticket written before an incident started (5 min grace) cannot
match it. Every decision lists the evidence that moved it most, with its weight.

Nothing here knows any product: incidents are understood from their own title, updates and components,
in any of English, German and French, and from the tickets already linked to them.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from .evidence import (
    SAYS_IT, Candidate, ComponentInfo, Evidence, Examples, IncidentReading, Page, Reader, read_incident, read_ticket,
    read_words, reports_problem,
)
from .model import Model, load
from .text import LANGUAGES, detect_language, ticket_text

DEFAULT_THRESHOLD = 0.5
UNCORROBORATED = 0.15     # the threshold rises this much for a ticket that describes no symptom of the incident's kind
GRACE = timedelta(minutes=5)
ALTERNATIVE_GAP = 0.2          # incidents this close to the best (and likely in themselves) are named
WEIGHED = 5
REASONS = 16          # every piece of evidence that moved a gate, in practice

LABELS = {
    "meaning": "says what the incident says: {note}",
    "meaning_two": "several sentences fit the incident",
    "meaning_high": "says nearly what the incident says",
    "meaning_component": "is about an affected component",
    "component_rather": "closer to the affected components than to the others",
    "meaning_lead": "closer to this incident than to the other open ones",
    "meaning_excluded": "closest to what the incident rules out",
    "examples": "resembles tickets already linked to it",
    "examples_lead": "resembles its linked tickets more than other incidents' ones",
    "counter_examples": "resembles tickets that were not about it",
    "names_affected": "mentions {note}",
    "names_other_only": "names {note}, which this incident does not affect",
    "names_sibling": "names {note}, not what the incident is about",
    "field_affected": "component field: {note}",
    "field_other": "component field names {note}, which this incident does not affect",
    "symptom_shared": "shares symptoms with the incident: {note}",
    "symptom_later": "reports a side effect the incident's updates name: {note}",
    "symptom_strong": "a symptom the incident itself describes",
    "symptom_distinct": "a symptom of this incident and of no other open one",
    "symptom_family": "reports a problem of the same kind: {note}",
    "symptom_other": "reports another kind of problem: {note}",
    "no_symptom": "reports no symptom",
    "codes_shared": "the incident's error codes: {note}",
    "quote_shared": "quotes what the incident quotes: {note}",
    "reports": "reads as a problem report",
    "requests": "reads as a request or question",
    "asks_question": "asks about {note}, not an ongoing problem",
    "asks_money": "asks for {note}: a person decides",
    "asks_past": "about {note}, not an ongoing problem",
    "asks_planned": "asks about {note}",
    "own_change": "after {note}",
    "non_production": "about {note}: this page reports on production",
    "began_before": "began {note}, before the incident",
    "intent_excused": "asks something else too, but reports the incident's symptom",
    "scope_inside": "within the incident's scope: {note}",
    "scope_outside": "about what the incident rules out: {note}",
    "scope_elsewhere": "names places the incident does not cover",
    "maintenance": "maintenance in progress",
    "context": "{note}",
    "words_shared": "uses the incident's words: {note}",
}


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
    alternatives: tuple[tuple[int, float], ...] = ()    # (incident id, probability) close to the decision
    reports_problem: bool = False                        # reports a symptom and asks nothing else
    mentioned: tuple[str, ...] = ()                      # the components it is about (field first, then named)
    gist: np.ndarray | None = field(default=None, compare=False)   # (1, 512): what it is about, stored with it


@lru_cache(maxsize=8)
def _page(components: tuple[ComponentInfo, ...]) -> Page:
    return Page(components)


@lru_cache(maxsize=256)
def _incident(candidate: Candidate, components: tuple[ComponentInfo, ...]) -> IncidentReading:
    return read_incident(candidate, _page(components))


def _language(ticket: TicketText, text: str) -> str:
    return ticket.language if ticket.language in LANGUAGES else detect_language(text)


def match_ticket(ticket: TicketText, candidates: Sequence[Candidate], components: Sequence[ComponentInfo],
                 *, threshold: float = DEFAULT_THRESHOLD, now: datetime | None = None,
                 model: Model | None = None, examples: dict[int, Examples] | None = None) -> Match:
    """The most likely candidate if its probability reaches the threshold, else incident_id None (accept).
    `examples`: per incident id, the tickets linked to it and those said not to be about it."""
    text = ticket_text(ticket.subject, ticket.body)
    language = _language(ticket, text)
    if not candidates:
        page = _page(_Components(components))
        reading = read_ticket(text, language, page)
        return Match(None, 0.0, ("no open incident or maintenance in progress",), language,
                     reports_problem=reports_problem(reading), mentioned=_mentioned(ticket, page, reading.analysis.concepts),
                     gist=reading.whole)
    model = model or load()
    page, incidents = _ready(candidates, components)
    created = _aware(ticket.created_at or now or datetime.now(timezone.utc))
    reading = read_ticket(text, language, page)
    reader = Reader(reading, page, ticket.component, created, examples)
    weighed = _worth_weighing(reader, incidents)
    results: list[_Weighed] = []
    for inc in incidents:
        if created < _aware(inc.candidate.started_at) - GRACE:
            results.append((0.0, inc, None))
        elif inc.candidate.incident_id in weighed:
            read = reader.evidence(inc, incidents)
            results.append((model.probability(read.values), inc, read))
    for n, (p, inc, read_or_none) in enumerate(results):
        if read_or_none is not None:
            results[n] = (p * _staleness(created, inc.candidate.started_at), inc, read_or_none)
    best, inc, evidence = max(results, key=lambda r: _rank(r, threshold))
    bar = needed(evidence.values if evidence else {}, threshold)
    alternatives = tuple((i.candidate.incident_id, round(p, 3)) for p, i, _ in sorted(results, key=lambda r: -r[0])
                         if i is not inc and p >= threshold * 0.6 and best - p <= ALTERNATIVE_GAP)
    early = tuple(f"created before the incident started: {_named(i)}" for p, i, e in results if e is None)
    reasons = early + (_reasons(model, evidence, inc, created, threshold, bar) if evidence else ())
    return Match(inc.candidate.incident_id if best >= bar else None, round(best, 3), reasons, language,
                 alternatives, reports_problem(reading), _mentioned(ticket, page, reading.analysis.concepts), reading.whole)


# (id of the components, ids of the candidates) -> (the components, the candidates, the page, the incidents read)
_Weighed = tuple[float, IncidentReading, Evidence | None]     # probability, incident, evidence (None: too early)


def _rank(result: _Weighed, threshold: float) -> tuple[bool, bool, float]:
    """The winner's order: passing with a strong shared symptom, passing, probability. A candidate sharing a
    strong symptom ("40 minutes late") beats one sharing only a weak one ("cannot sign in") when both pass: a
    late sign-in code email is the email delay, not the sign-in outage."""
    p, _, evidence = result
    passes = p >= needed(evidence.values if evidence else {}, threshold)
    return (evidence is not None and evidence.strong and passes, passes, p)


_READY: OrderedDict[tuple[int, ...], tuple[Sequence[ComponentInfo], tuple[Candidate, ...], Page, list[IncidentReading]]]
_READY = OrderedDict()
_READY_LOCK = threading.Lock()


def _ready(candidates: Sequence[Candidate], components: Sequence[ComponentInfo]) -> tuple[Page, list[IncidentReading]]:
    """The page and the incidents read, for these very objects: intake asks with the same snapshot for every
    ticket, so they are looked up by identity (the readings' own caches hash a hundred components and twenty
    incidents, which cost a ticket a millisecond). Callers that make their own lists each time miss and read."""
    key = (id(components), *map(id, candidates))
    with _READY_LOCK:
        hit = _READY.get(key)
        if hit is not None:
            _READY.move_to_end(key)
    if hit is not None and hit[0] is components and all(a is b for a, b in zip(hit[1], candidates)):
        return hit[2], hit[3]
    known = {c.slug for c in components}
    comps = _Components(tuple(components) + tuple(ComponentInfo(slug, slug) for slug in dict.fromkeys(
        s for cand in candidates for s in cand.components) if slug not in known))
    page, incidents = _page(comps), [_incident(c, comps) for c in candidates]
    with _READY_LOCK:    # the objects are held with their readings, so their ids name them while kept
        _READY[key] = (components, tuple(candidates), page, incidents)
        while len(_READY) > 8:
            _READY.popitem(last=False)
    return page, incidents


class _Components(tuple[ComponentInfo, ...]):
    """The page's components as a cache key that hashes once (a page has hundreds; every ticket asks)."""

    def __hash__(self) -> int:
        if not hasattr(self, "_hash"):
            self._hash = tuple.__hash__(self)
        return self._hash


def _worth_weighing(reader: Reader, incidents: list[IncidentReading]) -> set[int]:
    """The incidents whose full evidence is read: the WEIGHED closest in meaning, and any the ticket names
    a component of (by text or field). The rest are too far away to win, and with a hundred components
    and twenty open incidents reading them all would cost most of a ticket's time."""
    by_meaning = sorted(incidents, key=lambda i: -reader.meaning(i))[:WEIGHED]
    named = set(reader.named) | {reader.field}
    return ({i.candidate.incident_id for i in by_meaning}
            | {i.candidate.incident_id for i in incidents if named & set(i.candidate.components)})


def corroborated(values: dict[str, float]) -> bool:
    """Whether the ticket describes a symptom of the incident's kind: its own symptom or a side effect its
    updates name, the same kind of problem, one of its error codes or a text it quotes (a status on screen); or one
    of its sentences says what one of the incident's says, closer than to any other open incident (`says_it_alone`)."""
    return bool(_corroboration(values))


def _corroboration(values: dict[str, float]) -> str:
    """How corroborated() holds: "symptom" (symptom evidence), "meaning" (only says_it_alone), or "" (not)."""
    if any(values.get(f, 0.0) for f in _SYMPTOM_EVIDENCE):
        return "symptom"
    return "meaning" if says_it_alone(values) else ""


_SYMPTOM_EVIDENCE = ("symptom_shared", "symptom_later", "symptom_family", "codes_shared", "quote_shared")


def says_it_alone(values: dict[str, float]) -> bool:
    """Whether a sentence of the ticket says what a sentence of the incident says (SAYS_IT), and no other open
    incident comes as close: the customer describes the incident's problem in words the lexicon does not know
    (a side effect a later update names: "the overview still shows the time of noon", "nous voilà en
    surréservation"). Not with no other incident open, where nothing shows it is this one's rather than any."""
    return values.get("meaning", 0.0) >= SAYS_IT and values.get("meaning_lead", 0.0) > 0.0


def needed(values: dict[str, float], threshold: float = DEFAULT_THRESHOLD) -> float:
    """The probability a ticket with this evidence must reach to be suppressed: the threshold, or UNCORROBORATED
    more when it describes no symptom of the incident's kind (it shares only a topic, a component, a word).
    On leave-one-out this bought more precision for less recall than raising the threshold for every ticket."""
    return threshold if corroborated(values) else min(0.95, threshold + UNCORROBORATED)


def _staleness(created: datetime, started_at: datetime) -> float:
    """Tickets written days after an incident began are less likely about it: from a day on, the probability
    shrinks, down to 0.3 at five days (a customer who reports then has mostly a new problem)."""
    hours = (created - _aware(started_at)).total_seconds() / 3600
    return max(0.3, 1 - (hours - 24) / 96) if hours > 24 else 1.0


def _named(inc: IncidentReading) -> str:
    kind = "maintenance" if inc.candidate.kind == "maintenance" else "incident"
    return f"{kind} {inc.candidate.incident_id} '{inc.candidate.title}'"


def _reasons(model: Model, evidence: Evidence, inc: IncidentReading, created: datetime, threshold: float = DEFAULT_THRESHOLD,
             bar: float = DEFAULT_THRESHOLD) -> tuple[str, ...]:
    """The closest incident, how each gate judged it, the bar it had to reach when that was raised, and the
    evidence that moved the gates most."""
    gates = ", ".join(f"{gate} {value:.2f}" for gate, value in model.gate_values(evidence.values).items())
    out = [f"closest: {_named(inc)} ({gates})"]
    if bar > threshold:
        out.append(f"describes no symptom of the incident's kind: needs {bar:.2f}, not {threshold:.2f}")
    elif _corroboration(evidence.values) == "meaning":
        out.append(f"names no symptom the lexicon knows, but says what this incident says and no other does: needs "
                   f"{bar:.2f}")
    factor = _staleness(created, inc.candidate.started_at)
    if factor < 1:
        days = (created - _aware(inc.candidate.started_at)).total_seconds() / 86400
        out.append(f"created {days:.1f} days after the incident started (x{factor:.2f})")
    for gate, feature, part in model.terms(evidence.values):
        label = LABELS[feature]
        if "{note}" in label and feature not in evidence.notes:
            continue
        out.append(f"{label.format(note=evidence.notes.get(feature, ''))} ({gate} {part:+.2f})")
        if len(out) > REASONS:
            break
    return tuple(out)


def prepare(candidates: Sequence[Candidate], components: Sequence[ComponentInfo]) -> None:
    """Read incidents (and the page) ahead of the first ticket that needs them."""
    comps = _Components(components)
    for candidate in candidates:
        _incident(candidate, comps)


def warm() -> None:
    """Load what matching reads (the sentence encoder, the gazetteer, the weights) now: a web worker does this
    before its first request, so no ticket waits for it."""
    from . import places, semantic

    semantic.encoder().encode(["warm up"])
    places.warm()
    load()


def mentioned_components(ticket: TicketText, components: Sequence[ComponentInfo]) -> tuple[str, ...]:
    """The slugs of the components a ticket is about: its component field (when it names one) and those its
    text names, for spotting many tickets about one component when no incident is open. Only the words are
    read (as read_ticket reads them): a ticket from staging needs no sentence vectors."""
    text = ticket_text(ticket.subject, ticket.body)
    language = _language(ticket, text)
    page, _ = _ready((), components)
    _without_guesses, words = read_words(text, language, page)
    return _mentioned(ticket, page, words.concepts)


def _mentioned(ticket: TicketText, page: Page, concepts: frozenset[str]) -> tuple[str, ...]:
    named = [slug for slug, slug_concepts in page.concepts.items() if concepts & slug_concepts]
    field = (ticket.component or "").strip().lower()
    first = [field] if field in page.index else []
    return tuple(dict.fromkeys(first + named))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


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
    """Suppression precision/recall and incident accuracy from (expected, predicted) incident keys.

    None means accepted. Empty denominators count as perfect (nothing suppressed: precision 1.0).
    """
    pairs = list(pairs)
    suppressed = sum(p is not None for _, p in pairs)
    should = sum(e is not None for e, _ in pairs)
    correct = sum(e is not None and p is not None for e, p in pairs)
    right = sum(e is not None and e == p for e, p in pairs)
    return Scores(len(pairs), suppressed, should, correct, right,
                  correct / suppressed if suppressed else 1.0,
                  correct / should if should else 1.0,
                  right / correct if correct else 1.0)


__all__ = ["DEFAULT_THRESHOLD", "UNCORROBORATED", "corroborated", "needed", "Candidate", "ComponentInfo", "Examples",
           "Match", "Scores", "TicketText", "detect_language", "match_ticket", "mentioned_components", "score"]
