"""Match a support ticket to a known incident (open incident or maintenance in progress), or not.

Precision first: a suppressed ticket gets an automatic answer, so a real problem matched by
mistake is a customer left alone. A ticket is suppressed only when independent signals agree:

* what it is about: the component field (a hint, sometimes wrong), and the affected components
  named in the text by name, slug, alias, or a concept of their name/description ("Anmeldung"
  -> sign-in -> the Login component); or, weaker, something the incident text itself names.
  Naming only components the incident does not affect costs score;
* what is wrong: symptoms shared with the incident's title and updates (502, "bad gateway",
  "delayed"), or at least of the same family (a hang during an outage). A ticket that reports no
  symptom, or only symptoms of another family, is capped below the threshold: naming the broken
  component is not a problem report;
* weak context: "since ...", "whole team", "how long?", and same-language words shared with the
  incident text (vocabulary the lexicon lacks).

Intents subtract: a password or account matter, billing, a contract, a setting, a how-to or
feature question, planned maintenance, a past incident or its report, a non-production system.
The first five are excused when the ticket also reports one of the incident's own strong
symptoms: a late password-reset email during an email delay is the delay (the reset is the
topic, the lateness the problem), and the same ticket scores low against a sign-in outage,
whose components and symptoms it does not share. Only the strongest unexcused intent counts.
Tickets created days after the incident started weaken; tickets from before it (5 min grace)
cannot match. The best candidate wins, ties going to the one whose components and symptoms
were named; every contribution is written down as a reason.

Concept finding (stems in three languages, compounds, typos, negation) lives in text.py, the
cross-language word lists in lexicon.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from .lexicon import CONCEPTS, CONTEXT, FAMILIES, IMPLIES, INTENT, OBJECT, SYMPTOM, WEAK_SYMPTOMS
from .text import LANGUAGES, Analysis, Hit, analyze, detect_language, kind

DEFAULT_THRESHOLD = 0.5
GRACE = timedelta(minutes=5)
W_FIELD, W_FIELD_OTHER = 0.2, -0.05                          # component field: affected / another component
W_OBJECT, W_OBJECT_MORE, W_OBJECT_TEXT, W_OTHER = 0.3, 0.1, 0.15, -0.15
W_SYMPTOM, W_SYMPTOM_MORE, W_SYMPTOM_CAP, W_FAMILY, W_NEGATION = 0.3, 0.1, 0.4, 0.2, 0.1
W_CONTEXT, W_WORD = 0.05, 0.05                               # each, at most two of each
CAP_NO_SYMPTOM = 0.35
PENALTY = {"account": 0.5, "billing": 0.5, "contract": 0.5, "settings": 0.4, "howto": 0.4, "feature": 0.4,
           "report_request": 0.35, "past": 0.6, "non_production": 0.8, "maintenance_question": 0.6}
EXCUSABLE = {"account", "billing", "settings", "howto", "feature"}   # by a strong shared symptom


@dataclass(frozen=True)
class ComponentInfo:
    slug: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    incident_id: int
    kind: str                     # "incident" or "maintenance"
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
    alternatives: tuple[tuple[int, float], ...] = ()


def _close(concepts: Iterable[str]) -> frozenset[str]:
    """Add what customers experience when a text says the key: "delayed" mail is "not received" yet."""
    out = set(concepts)
    for c in list(out):
        out |= IMPLIES.get(c, frozenset())
    return frozenset(out)


@lru_cache(maxsize=256)
def _candidate_features(kind_: str, title: str, texts: tuple[str, ...]) -> tuple[Analysis, frozenset[str], frozenset[str]]:
    """The incident text's analysis, its symptoms (with implications) and their families."""
    text = "\n".join((title, *texts))
    analysis = analyze(text, detect_language(text))
    own = {c for c in analysis.concepts if kind(c) == SYMPTOM}
    if kind_ == "maintenance":      # a maintenance makes its components unavailable, read-only or slow
        own |= IMPLIES["maintenance"] | {"maintenance"}
    return analysis, _close(own), frozenset(f for c in own for f in FAMILIES.get(c, ()))


def _component_forms(components: tuple[ComponentInfo, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((f"c:{c.slug}", tuple(f for f in (c.name, c.slug.replace("-", " "), *c.aliases) if f.strip()))
                 for c in components)


@lru_cache(maxsize=256)
def _component_concepts(components: tuple[ComponentInfo, ...]) -> dict[str, frozenset[str]]:
    """Per slug: 'c:<slug>', the object concepts of its name and aliases, and those of its description
    that no component has in its name ("app" in "browser and app meetings" is the Web app's word)."""
    def objects(text: str) -> set[str]:
        return {c for c in analyze(text, "en").concepts if kind(c) == OBJECT}
    named = {c.slug: objects("\n".join((c.name, *c.aliases))) for c in components}
    claimed = set().union(*named.values()) if named else set()
    return {c.slug: frozenset(named[c.slug] | (objects(c.description) - claimed) | {f"c:{c.slug}"}) for c in components}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _label(concept: str, names: dict[str, str]) -> str:
    return f"the {names.get(concept[2:], concept[2:])} component" if concept.startswith("c:") else CONCEPTS[concept].label


class _Scorer:
    """Scores one analysed ticket against candidates; each signal appends its reason."""

    def __init__(self, ticket: TicketText, analysis: Analysis, components: tuple[ComponentInfo, ...], created: datetime):
        self.ticket, self.t, self.created = ticket, analysis, created
        self.components = _component_concepts(components)
        self.names = {c.slug: c.name for c in components}
        self.reasons: list[str] = []
        self.symptoms: dict[str, Hit] = {}
        for h in analysis.hits:
            if kind(h.concept) == SYMPTOM:
                self.symptoms.setdefault(h.concept, h)     # hits come longest first: quote "Bad Gateway", not "Gateway"

    def score(self, cand: Candidate) -> tuple[float, tuple[str, ...], float, float, bool]:
        """Score, reasons, the object and symptom credit (tie-breakers), whether a strong symptom is shared."""
        if self.created < _aware(cand.started_at) - GRACE:
            return 0.0, ("created before the incident started",), 0.0, 0.0, False
        text, symptoms, families = _candidate_features(cand.kind, cand.title, cand.texts)
        self.reasons = []
        total = self._field(cand)
        objects = self._objects(cand, text)
        sym, strong = self._symptoms(text, symptoms, families)
        total += objects + sym
        if sym > 0 or objects > 0:
            total += self._context(text)
        if sym <= 0 and total > CAP_NO_SYMPTOM:
            total = CAP_NO_SYMPTOM
            why = "its symptoms do not fit this incident" if self.symptoms else "reports no symptom"
            self.reasons.append(f"{why}: capped at {CAP_NO_SYMPTOM:.2f}")
        total = max(0.0, min(1.0, total - self._intent(cand, strong, sym > 0)))
        hours = (self.created - _aware(cand.started_at)).total_seconds() / 3600
        if hours > 24 and total > 0:
            factor = max(0.3, 1 - (hours - 24) / 96)
            total *= factor
            self.reasons.append(f"created {hours / 24:.1f} days after the incident started (x{factor:.2f})")
        return round(total, 3), tuple(self.reasons), objects, sym, strong

    def _add(self, weight: float, reason: str) -> float:
        self.reasons.append(f"{reason} ({weight:+.2f})")
        return weight

    def _field(self, cand: Candidate) -> float:
        field = (self.ticket.component or "").strip().lower()
        if field in cand.components:
            return self._add(W_FIELD, f"component field: {field}")
        if field in self.components:
            return self._add(W_FIELD_OTHER, f"component field names {field}, which this incident does not affect")
        return 0.0

    def _objects(self, cand: Candidate, text: Analysis) -> float:
        affected = {slug: self.components.get(slug, frozenset({f"c:{slug}"})) for slug in cand.components}
        credit, named = 0.0, 0
        for slug, concepts in affected.items():
            hit = next((h for h in self.t.hits if h.concept in concepts), None)
            if hit:
                named += 1
                credit += self._add(W_OBJECT if named == 1 else W_OBJECT_MORE,
                                    f"mentions '{hit.surface}' ({_label(hit.concept, self.names)}, affected: {slug})")
        if named:
            return credit
        in_text = {c for c in text.concepts if kind(c) == OBJECT}
        hit = next((h for h in self.t.hits if h.concept in in_text), None)
        if hit:
            return self._add(W_OBJECT_TEXT, f"mentions '{hit.surface}' ({_label(hit.concept, self.names)}) like the incident text")
        covered = frozenset().union(*affected.values()) if affected else frozenset()
        others = [slug for slug, cs in self.components.items() if slug not in affected and (self.t.concepts & cs) - covered]
        return self._add(W_OTHER, f"names {', '.join(others)}, which this incident does not affect") if others else 0.0

    def _symptoms(self, text: Analysis, symptoms: frozenset[str], families: frozenset[str]) -> tuple[float, bool]:
        """Credit for shared symptoms (or the same family), and whether a strong one is shared."""
        shared = [h for c, h in self.symptoms.items() if _close([c]) & symptoms]
        codes = sorted(self.t.codes & text.codes)
        if shared or codes:
            quoted = [f"'{h.surface}'" for h in shared] + [c for c in codes if all(c not in h.surface for h in shared)]
            credit = min(W_SYMPTOM_CAP, W_SYMPTOM + W_SYMPTOM_MORE * (len(quoted) - 1))
            strong = bool(codes) or any(h.concept not in WEAK_SYMPTOMS for h in shared)
            return self._add(credit, f"shares symptoms with the incident: {', '.join(quoted)}"), strong
        if any(families & FAMILIES.get(c, frozenset()) for c in self.symptoms):
            quoted = ", ".join(f"'{h.surface}'" for h in self.symptoms.values())
            return self._add(W_FAMILY, f"reports a problem of the same kind: {quoted}"), False
        if "negation" in self.t.concepts and not self.symptoms:
            return self._add(W_NEGATION, "says something does not work"), False
        return 0.0, False

    def _context(self, text: Analysis) -> float:
        total = 0.0
        kinds = list(dict.fromkeys(h.concept for h in self.t.hits if kind(h.concept) == CONTEXT))[:2]
        if kinds:
            total += self._add(W_CONTEXT * len(kinds), ", ".join(CONCEPTS[k].label for k in kinds))
        if self.t.language == text.language:
            overlap = sorted(self.t.words[w] for w in self.t.words.keys() & text.words.keys())[:2]
            if overlap:
                total += self._add(W_WORD * len(overlap), f"uses the incident's words: {', '.join(overlap)}")
        return total

    def _intent(self, cand: Candidate, strong: bool, fits: bool) -> float:
        """The strongest penalty for asking something else, unless excused by the incident's symptom."""
        intents = {h.concept: h for h in reversed(self.t.hits) if kind(h.concept) == INTENT}
        concepts = self.t.concepts
        if "maintenance" in concepts and concepts & {"future", "planned"}:
            # "the announced maintenance" during a maintenance in progress is that one; "next week" never is
            if not (cand.kind == "maintenance" and "future" not in concepts and fits):
                intents["maintenance_question"] = next(h for h in self.t.hits if h.concept == "maintenance")
        open_ = [(PENALTY[c], c, h) for c, h in intents.items() if not (strong and c in EXCUSABLE)]
        if not open_:
            return 0.0
        penalty, concept, hit = max(open_)
        what = "planned maintenance" if concept == "maintenance_question" else CONCEPTS[concept].label
        return -self._add(-penalty, f"asks about {what} ('{hit.surface}'), not an ongoing problem")


def match_ticket(ticket: TicketText, candidates: Sequence[Candidate], components: Sequence[ComponentInfo],
                 *, threshold: float = DEFAULT_THRESHOLD, now: datetime | None = None) -> Match:
    """The best candidate if its score reaches the threshold, else incident_id None (accept)."""
    text = f"{ticket.subject or ''}\n{ticket.body or ''}"
    language = ticket.language if ticket.language in LANGUAGES else detect_language(text)
    if not candidates:
        return Match(None, 0.0, ("no open incident or maintenance in progress",), language)
    known = {c.slug for c in components}
    comps = tuple(components) + tuple(ComponentInfo(slug, slug) for slug in dict.fromkeys(
        s for cand in candidates for s in cand.components) if slug not in known)
    created = ticket.created_at or now or datetime.now(timezone.utc)
    scorer = _Scorer(ticket, analyze(text, language, _component_forms(comps)), comps, _aware(created))
    results = [(scorer.score(cand), cand) for cand in candidates]
    # above the threshold, a candidate sharing a strong symptom ("40 minutes late") beats one sharing only a weak
    # one ("cannot sign in"): a late sign-in code email is the email delay, not the sign-in outage
    (best, reasons, _, _, _), cand = max(results, key=lambda r: (r[0][0] >= threshold and r[0][4], r[0][0], r[0][2], r[0][3]))
    return Match(cand.incident_id if best >= threshold else None, best, reasons, language)


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


__all__ = ["DEFAULT_THRESHOLD", "Candidate", "ComponentInfo", "Match", "Scores", "TicketText", "detect_language",
           "match_ticket", "score"]


def mentioned_components(ticket: TicketText, components: Sequence[ComponentInfo]) -> tuple[str, ...]:
    """The slugs of the components a ticket is about: its component field (when it names one) and those its
    text names, for spotting many tickets about one component when no incident is open."""
    text = f"{ticket.subject or ''}\n{ticket.body or ''}"
    language = ticket.language if ticket.language in LANGUAGES else detect_language(text)
    comps = tuple(components)
    analysis = analyze(text, language, _component_forms(comps))
    named = [slug for slug, concepts in _component_concepts(comps).items() if analysis.concepts & concepts]
    field = (ticket.component or "").strip().lower()
    first = [field] if field in {c.slug for c in comps} else []
    return tuple(dict.fromkeys(first + named))
