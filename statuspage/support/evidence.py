"""What speaks for and against "this ticket is about that incident": one number per kind of evidence.

Each incident is read once per snapshot of the open incidents (candidates.py) and each ticket once:
  * meaning: the ticket's sentences against the incident's title and update sentences, its affected
    components' names and descriptions, and the tickets already linked to it, as sentence vectors
    (semantic.py), so German and French tickets meet English incidents. Status boilerplate ("we are
    investigating") is left out of the incident's side, and each item of a list and each effect a later update
    strings together is one more sentence of it (sentences.py);
  * words: the lexicon's concepts (text.py, lexicon.py): the components named (by name, alias or a
    concept of their name), the symptoms reported and whether they are the incident's kind ("slow" is
    not "rejected"), the intents that ask for something else (a password, an invoice, a refund, how to), the
    texts both quote (a status on screen, sentences.py);
  * scope: what the updates rule in and out (scope.py), and where the ticket stands against it;
  * the component field and the time since the incident started.
The matcher (matching.py) weighs these with a model fitted on labelled tickets (model.py), and turns
the strongest into the reasons a decision gives.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from . import semantic
from .lexicon import CONCEPTS, CONTEXT, FAMILIES, IMPLIES, INTENT, OBJECT, STOPWORDS, SURFACES, SYMPTOM, WEAK, WEAK_SYMPTOMS
from .places import city_names, places
from .scope import (
    Fit, Scope, clauses, incident_scope, name_like, outside_words, qualifiers_of, reporting_clauses, ticket_fit,
)
from .sentences import ITEM_SENTENCE, enumerated, later_effects, quote_words, quoted_texts, quotes_shared, tells, without_brackets
from .text import LANGUAGES, Analysis, Hit, Token, analyze, detect_language, kind, stem, tokenize

INTENT_GROUPS = {   # what a ticket asks for instead of reporting an ongoing problem, by kind
    "account": "asks_question", "settings": "asks_question", "howto": "asks_question", "feature": "asks_question",
    "own_change": "own_change",
    "billing": "asks_money", "contract": "asks_money", "compensation": "asks_money",
    "past": "asks_past", "report_request": "asks_past", "non_production": "non_production",
    "maintenance_question": "asks_planned",
}
EXCUSABLE = {"account", "billing", "settings", "howto", "feature"}   # by a strong shared symptom
# Intents that count only where they are asked: a fee, a credit or last week are words of many reports ("members
# who paid their annual fee", "yesterday's newsletter"); a request for money or a question about the past asks.
ASKED_ONLY = {"compensation", "past", "report_request"}
# Money a ticket demands is decided by a person even where the incident's updates speak of refunds ("double
# purchases are refunded automatically" does not settle "I expect you to refund the fine I paid").
DEMANDED = {"compensation"}
SAYS_IT = 0.5          # a sentence this close to one of the incident's reports what the incident says

# General sentences, in the three languages, of the two things a ticket does: report that something is
# broken, or ask for something. A ticket's sentences are compared with them as vectors, so a report is
# recognised in words the lexicon does not list.
REPORTS = (
    "It does not work.", "It has stopped working since this morning.", "We get an error message.",
    "It fails every time we try.", "It is extremely slow.", "Nothing arrives.", "It is stuck and never finishes.",
    "The data is missing.", "The wrong value is shown.", "It keeps disconnecting.",
    "Es funktioniert nicht mehr.", "Wir bekommen eine Fehlermeldung.", "Es ist extrem langsam.", "Es kommt nichts an.",
    "Es hängt und wird nicht fertig.", "Die Daten fehlen.",
    "Ça ne fonctionne plus.", "Nous avons un message d'erreur.", "C'est très lent.", "Rien n'arrive.",
    "C'est bloqué et ne se termine jamais.", "Les données sont manquantes.",
)
REQUESTS = (
    "How do I change this setting?", "How can we do this?", "Can you send me the invoice?", "We would like a refund.",
    "Please add this feature.", "Can you explain what happened last week?", "Will the maintenance affect us?",
    "Please cancel our contract.",
    "Wie kann ich diese Einstellung ändern?", "Bitte schicken Sie uns die Rechnung.", "Wir möchten eine Gutschrift.",
    "Können Sie diese Funktion einbauen?", "Was ist letzte Woche passiert?",
    "Comment modifier ce paramètre ?", "Pouvez-vous m'envoyer la facture ?", "Nous souhaitons un remboursement.",
    "Pourriez-vous ajouter cette fonctionnalité ?", "Que s'est-il passé la semaine dernière ?",
)


@lru_cache(maxsize=1)
def _prototypes() -> tuple[np.ndarray, np.ndarray]:
    encode = semantic.encoder().encode
    return encode(list(REPORTS), keep=True), encode(list(REQUESTS), keep=True)


@dataclass(frozen=True)
class ComponentInfo:
    slug: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def descriptor(self) -> str:
        return f"{self.name}: {self.description}" if self.description else self.name


@dataclass(frozen=True)
class Candidate:
    incident_id: int
    kind: str                     # "incident" or "maintenance"
    title: str
    texts: tuple[str, ...]        # update bodies, oldest first
    components: tuple[str, ...]
    started_at: datetime
    status: str


@dataclass(frozen=True)
class Examples:
    """Tickets already linked to an incident (by a person, or by the matcher when it was sure), and tickets a
    person or the customer said are not about it: one vector each (subject and first sentences)."""

    linked: np.ndarray
    not_linked: np.ndarray


NO_EXAMPLES = Examples(np.zeros((0, semantic.DIMENSIONS), dtype=np.float32),
                       np.zeros((0, semantic.DIMENSIONS), dtype=np.float32))
EXAMPLE_BASE = 0.35     # a linked ticket this alike says nothing either way: no examples count as this


def close(concepts: Iterable[str]) -> frozenset[str]:
    """Add what customers experience when a text says the key: "delayed" mail is "not received" yet."""
    out = set(concepts)
    for c in list(out):
        out |= IMPLIES.get(c, frozenset())
    return frozenset(out)


def component_forms(components: Sequence[ComponentInfo]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((f"c:{c.slug}", tuple(f for f in (c.name, c.slug.replace("-", " "), *c.aliases) if f.strip()))
                 for c in components)


@lru_cache(maxsize=8)
def component_concepts(components: tuple[ComponentInfo, ...]) -> dict[str, frozenset[str]]:
    """Per slug: 'c:<slug>', the object concepts of its name and aliases, and those of its description
    that no component has in its name ("app" in "browser and app meetings" is the Web app's word)."""
    def objects(text: str) -> set[str]:
        return {c for c in analyze(text, "en").concepts if kind(c) == OBJECT}
    named = {c.slug: objects("\n".join((c.name, *c.aliases))) for c in components}
    claimed = set().union(*named.values()) if named else set()
    return {c.slug: frozenset(named[c.slug] | (objects(c.description) - claimed) | {f"c:{c.slug}"}) for c in components}


@lru_cache(maxsize=8)
def name_concepts(components: tuple[ComponentInfo, ...]) -> dict[str, frozenset[str]]:
    """Per slug: 'c:<slug>' and the object concepts of its name and aliases, not of its description: what a
    ticket that names the component (rather than something its description mentions) says."""
    return {c.slug: frozenset({x for x in analyze("\n".join((c.name, *c.aliases)), "en").concepts if kind(x) == OBJECT}
                              | {f"c:{c.slug}"}) for c in components}


@dataclass
class Page:
    """The components of the page, read once per snapshot: their concepts and descriptor vectors."""

    components: tuple[ComponentInfo, ...]
    concepts: dict[str, frozenset[str]] = field(init=False)
    named: dict[str, frozenset[str]] = field(init=False)
    forms: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False)
    vectors: np.ndarray = field(init=False)
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.concepts = component_concepts(self.components)
        self.named = name_concepts(self.components)
        self.forms = component_forms(self.components)
        self.vectors = semantic.encoder().encode([c.descriptor for c in self.components], keep=True)
        self.index = {c.slug: i for i, c in enumerate(self.components)}
        self.names = {c.slug: c.name for c in self.components}
        self.by_slug = {c.slug: c for c in self.components}
        # the names the page gives its things ("DHL, DPD, GLS, UPS" in a description), read in the page's
        # language, one list per description: a ticket that names one of a list the incident names a member of,
        # and none the incident names, is about a sibling of what the incident is about
        self.language = detect_language("\n".join(c.descriptor for c in self.components)) if self.components else "en"
        words = frozenset(stem(t.norm, self.language) for c in self.components for t in tokenize(f"{c.name} {c.description}")
                          if t.norm == f"{c.name} {c.description}"[t.start:t.end])   # written in lower case somewhere: a word
        self.lists = tuple(frozenset(name_like(c.description, self.language)) - words for c in self.components)
        self.things = frozenset().union(*self.lists)
        # cities the page names in its components are its names for things ("Salto locks"), not places
        self.not_places = frozenset().union(*(city_names(f"{c.name}\n{c.description}\n" + "\n".join(c.aliases))
                                              for c in self.components)) if self.components else frozenset()


@dataclass
class IncidentReading:
    """An incident read for matching: built once per snapshot."""

    candidate: Candidate
    language: str
    analysis: Analysis
    symptoms: frozenset[str]
    primary: frozenset[str]                  # the symptoms of its title and first update
    families: frozenset[str]
    names: frozenset[str]                    # name-like words anywhere in its text
    listed: frozenset[str]                   # the things of the page's lists it names (in the page's language)
    stems: frozenset[str]                    # every word of its text and components' names, as stems
    sentences: tuple[str, ...]
    vectors: np.ndarray
    excluding: np.ndarray
    scope: Scope
    quotes: frozenset[str] = frozenset()     # the texts it quotes (a message or status the customer sees), normalised
    siblings: frozenset[str] = frozenset()   # the other things of the page's lists that name what it names


def read_incident(candidate: Candidate, page: Page) -> IncidentReading:
    text = "\n".join((candidate.title, *candidate.texts))
    language = detect_language(text)
    analysis = analyze(text, language, page.forms)
    own = {c for c in analysis.concepts if kind(c) == SYMPTOM}
    if candidate.kind == "maintenance":       # a maintenance makes its components unavailable, read-only or slow
        own |= IMPLIES["maintenance"] | {"maintenance"}
    # a component name's brackets list the variants it covers ("Ticket app (iOS and Android)"), which an
    # incident can rule in or out
    surface = [n for slug in candidate.components if (c := page.by_slug.get(slug))
               for n in (without_brackets(c.name), c.slug.replace("-", " "), *c.aliases)]
    scope = incident_scope((candidate.title, *candidate.texts), language, surface, page.not_places)
    excluded = set(scope.excluding)
    sentences = [s for t in candidate.texts for s in semantic.sentences(t, limit=40)]
    clauses = [c for c, out in scope.clauses if not out and c not in sentences]    # parts of long sentences
    # a sentence that rules a part out is read only through its clauses that rule in: "Exports fail, imports work
    # normally" must not bring a ticket about imports close
    telling = [candidate.title] + [s for s in sentences + clauses if s not in excluded and tells(s, language)
                                   and not any(c in s for c in excluded)]
    # each item of an enumeration on its own ("can't be submitted, approved or cancelled" → "can't be approved"):
    # a ticket that reports one of the listed effects meets it without the others' words. Not the title's ("Dashboard
    # and sign-in unavailable" → "sign-in unavailable"): a few words alone come close to any ticket on the subject
    telling += [v for v in dict.fromkeys(v for s in telling[1:] for v in enumerated(s))
                if v not in telling and len(v.split()) >= ITEM_SENTENCE]
    if candidate.kind == "incident":
        telling += [e for e in later_effects(candidate.texts[1:], language) if e not in telling
                    and not any(e in c or c in e for c in excluded)]
    first = analyze("\n".join((candidate.title, *candidate.texts[:1])), language, page.forms)
    primary = {c for c in first.concepts if kind(c) == SYMPTOM} | (own if candidate.kind == "maintenance" else set())
    names = frozenset().union(*(name_like(t, language) for t in (candidate.title, *candidate.texts)))
    listed = frozenset().union(*(name_like(t, page.language, initial=True) for t in (candidate.title, *candidate.texts))) & page.things
    stems = _stems(" ".join((text, *surface)))
    encode = semantic.encoder().encode
    return IncidentReading(
        candidate, language, analysis, close(own), close(primary), frozenset(f for c in own for f in FAMILIES.get(c, ())),
        names, listed, stems, tuple(telling), encode(telling, keep=True), encode(scope.excluding, keep=True), scope,
        quoted_texts(text), frozenset().union(*(things for things in page.lists if things & listed)) - listed)


@dataclass
class TicketReading:
    """A ticket read for matching: its text (what is read of it), language, concepts per sentence, vectors."""

    text: str
    language: str
    analysis: Analysis
    sentences: tuple[str, ...]
    vectors: np.ndarray
    asking: tuple[bool, ...]                 # per sentence: a question or a request
    sentence_concepts: tuple[frozenset[str], ...]
    symptoms: dict[str, Hit]
    whole: np.ndarray                        # one vector for the subject and first sentences
    tokens: list[Token] = field(default_factory=list)
    places: frozenset[str] = frozenset()          # the countries of the places it names (outside scope_text's clauses)
    scope_text: str = ""                     # its text without the clauses saying something works
    reported: str = ""                       # the clauses of scope_text that report a problem
    stated: frozenset[str] = frozenset()          # the concepts of scope_text ("yesterday's went fine" states nothing)
    telling: tuple[int, ...] = ()            # the sentences that do not only say something works or is not used
    quotes: frozenset[str] = frozenset()          # the texts it quotes, normalised (quoted_texts)
    quote_words: str = ""                    # its text normalised as quotes are (quote_words), for quotes_shared
    qualifiers: frozenset[str] = frozenset()      # the qualifiers scope_text says in any language (qualifiers_of)


_SENTENCE_END = re.compile(r"[^.!?\n]+[.!?]*")     # a run up to its end mark: linear, cannot backtrack
GUESS_WORDS = 12          # a longer question says more than a guess


def without_guesses(text: str, language: str) -> str:
    """The ticket without the questions that guess it is a known problem ("Hat das mit der macOS-Störung zu
    tun?", "Is this the filing issue on your status page?"): what the customer suspects is no evidence of
    what they see, and the words of the incident they name would make any ticket look like it. The rest has
    to say it. Kept when little else is left."""
    guesses = [m.group() for m in _SENTENCE_END.finditer(text)
               if m.group().rstrip().endswith("?") and len(m.group().split()) <= GUESS_WORDS
               and "incident_ref" in analyze(m.group(), language).concepts]
    if not guesses:
        return text
    rest = text
    for guess in guesses:
        rest = rest.replace(guess, " ", 1)
    return rest if len(_LETTER_WORDS.findall(rest)) >= 4 else text


_LETTER_WORDS = re.compile(r"[^\W\d_]{2,}")


def read_words(text: str, language: str, page: Page) -> tuple[str, Analysis]:
    """A ticket's text without its guesses (without_guesses) and that text's concepts: where read_ticket starts,
    and all that matching.mentioned_components needs."""
    text = without_guesses(text, language)
    return text, analyze(text, language, page.forms)


def read_ticket(text: str, language: str, page: Page) -> TicketReading:
    text, analysis = read_words(text, language, page)
    sentences = semantic.sentences(text) or [text[:semantic.MAX_SENTENCE_CHARS] or "-"]
    # not kept: no two tickets say the same; the gist of one that becomes an example is stored with it
    vectors = semantic.encoder().encode(sentences)
    asks = any(kind(c) == INTENT for c in analysis.concepts)     # per sentence only when something is asked
    per_sentence = [analyze(s, language).concepts if asks else frozenset() for s in sentences]
    symptoms: dict[str, Hit] = {}
    for h in analysis.hits:
        if kind(h.concept) == SYMPTOM:
            symptoms.setdefault(h.concept, h)   # hits come longest first: quote "Bad Gateway", not "Gateway"
    asking = _asking(sentences, per_sentence)
    per_sentence = [_asked_part(s, language, c) if a else c for s, a, c in zip(sentences, asking, per_sentence)]
    rest = outside_words(text, language) if "unaffected" in analysis.concepts else text
    stated = analyze(rest, language).concepts if rest != text else analysis.concepts
    telling = tuple(range(len(sentences)))
    if rest != text:     # what the ticket says works is not what it reports ("The Linux jobs went through.")
        telling = tuple(i for i, sentence in enumerate(sentences)
                        if not all(fine for _, fine in clauses(sentence, language))) or telling
    return TicketReading(text, language, analysis, tuple(sentences), vectors, asking, tuple(per_sentence),
                         symptoms, semantic.gist(vectors), tokenize(text), places(rest, page.not_places), rest,
                         reporting_clauses(rest, language), stated, telling, quoted_texts(text), quote_words(text),
                         frozenset(qualifiers_of(rest)))


SHORT_REQUEST = 6     # words: "Bitte veranlassen Sie diese.", "Could you arrange that?", "Merci de le faire."


def _asking(sentences: Sequence[str], concepts: Sequence[frozenset[str]]) -> tuple[bool, ...]:
    """Per sentence: whether it asks (a question or a request). A short request that names nothing of its own
    (no intent, no symptom) asks for what the sentence before it states, when that one states an intent and
    reports nothing: "Laut Vertrag steht uns eine Gutschrift zu. Bitte veranlassen Sie diese." asks for the
    credit; "The export fails. Please check." asks for nothing else."""
    asking = ["?" in s or "request" in c for s, c in zip(sentences, concepts)]
    for i in range(1, len(sentences)):
        here, before = concepts[i], concepts[i - 1]
        if (asking[i] and len(sentences[i].split()) <= SHORT_REQUEST
                and not any(kind(c) in (INTENT, SYMPTOM) for c in here)
                and any(kind(c) == INTENT for c in before) and not any(kind(c) == SYMPTOM for c in before)):
            asking[i - 1] = True
    return tuple(asking)


_ASIDE = re.compile(r"\s[-–—]\s|;")     # "Nicht dass die Abbuchung schiefgeht – muss ich etwas tun?"


def _asked_part(sentence: str, language: str, concepts: frozenset[str]) -> frozenset[str]:
    """The concepts of the part of an asking sentence that asks: a sentence cut by a dash or semicolon into a
    statement and a question asks only in the question ("Nicht dass dann die Abbuchung schiefgeht – muss ich da
    etwas tun?" asks what to do, not about the debit). A sentence without such a cut asks in all of it."""
    parts = [p for p in _ASIDE.split(sentence) if p.strip()]
    if len(parts) < 2:
        return concepts
    read = [(p, analyze(p, language).concepts) for p in parts]
    asking = [c for p, c in read if "?" in p or "request" in c]
    if not asking or len(asking) == len(read):
        return concepts
    return frozenset().union(*asking)


def reports_problem(t: TicketReading) -> bool:
    """Whether a ticket says something is broken and asks for nothing else (no how-to, invoice, wish or
    question about the past), whatever incidents are open: what a suspected incident counts."""
    symptoms = set(t.symptoms) - WEAK_SYMPTOMS
    if not symptoms and not (t.symptoms and _reads_as_report(t)):
        return False
    return not any(kind(h.concept) == INTENT and (a or h.concept in ("compensation", "non_production", "own_change"))
                   for h in t.analysis.hits for c, a in zip(t.sentence_concepts, t.asking) if h.concept in c)


def _reads_as_report(t: TicketReading) -> bool:
    full = [i for i, s in enumerate(t.sentences) if len(s.split()) >= 4]
    sims = semantic.similarity(t.vectors[full], _prototypes()[0])
    return bool(sims.size) and float(sims.max()) >= 0.5


FEATURES = (
    "meaning", "meaning_two", "meaning_high", "meaning_component", "component_rather", "meaning_lead", "meaning_excluded",
    "examples", "examples_lead", "counter_examples",
    "names_affected", "names_other_only", "names_sibling", "field_affected", "field_other",
    "symptom_shared", "symptom_later", "symptom_strong", "symptom_distinct", "symptom_family", "symptom_other", "no_symptom", "codes_shared",
    "quote_shared", "reports", "requests", "asks_question", "asks_money", "asks_past", "asks_planned", "own_change", "non_production",
    "intent_excused", "began_before",
    "scope_inside", "scope_outside", "scope_elsewhere",
    "maintenance", "context", "words_shared",
)


@dataclass
class Evidence:
    values: dict[str, float]
    notes: dict[str, str]          # feature -> what the ticket said, for the reasons
    strong: bool                   # shares a strong symptom (a tie-breaker between incidents)


class Reader:
    """Evidence for one ticket against each incident of a snapshot."""

    def __init__(self, ticket: TicketReading, page: Page, field: str | None, created_at: datetime,
                 examples: dict[int, Examples] | None = None):
        self.t, self.page, self.created = ticket, page, _aware(created_at)
        self.field = (field or "").strip().lower()
        self.examples = examples or {}
        self.began = began_days_ago(ticket.scope_text or ticket.text, ticket.language, self.created)
        # what does not depend on the incident, read once per ticket
        self.components = semantic.similarity(ticket.vectors, page.vectors)
        self.said = {w: ticket.text[t.start:t.end] for t in ticket.tokens
                     for w in (t.norm, _stem_en(t.norm), stem(t.norm, page.language) if len(t.norm) > 3 else t.norm)}
        self.named = [slug for slug, cs in page.concepts.items() if ticket.analysis.concepts & cs]
        # where the ticket shows its problem ("in der App", "via the API"): words read as a surface
        self._surface_at = frozenset(p for h in ticket.analysis.hits if h.concept in SURFACES for p in h.positions)
        self.contexts = list(dict.fromkeys(h.concept for h in ticket.analysis.hits if kind(h.concept) == CONTEXT))[:2]
        full = [i for i, s in enumerate(ticket.sentences) if len(s.split()) >= 4]    # "Bitte um Prüfung" asks nothing
        reports, requests = (semantic.similarity(ticket.vectors[full], p) for p in _prototypes())
        self.reports = float(reports.max()) if reports.size else 0.0
        # reads more like a request than like a report (each alone is vague: "please check" is both)
        self.requests = max(0.0, (float(requests.max()) if requests.size else 0.0) - self.reports)
        self._telling = ticket.telling or tuple(range(len(ticket.vectors)))
        self._sims: dict[int, np.ndarray] = {}
        self._alikes: dict[tuple[int, str], float | None] = {}     # also each incident's meaning

    def _alike(self, incident_id: int, which: str) -> float | None:
        key = (incident_id, which)
        if key not in self._alikes:
            vectors = getattr(self.examples.get(incident_id, NO_EXAMPLES), which)
            self._alikes[key] = float(semantic.similarity(self.t.whole, vectors).max()) if len(vectors) else None
        return self._alikes[key]

    def _similarity(self, inc: IncidentReading) -> np.ndarray:
        """The ticket's sentences against the incident's (kept: every incident is also another's rival)."""
        key = inc.candidate.incident_id
        if key not in self._sims:
            self._sims[key] = semantic.similarity(self.t.vectors[list(self._telling)], inc.vectors)
        return self._sims[key]

    def meaning(self, inc: IncidentReading) -> float:
        """The closest any of the ticket's sentences comes to any of the incident's."""
        key = (inc.candidate.incident_id, "meaning")
        if key not in self._alikes:
            sims = self._similarity(inc)
            self._alikes[key] = float(sims.max()) if sims.size else 0.0
        meaning = self._alikes[key]
        assert meaning is not None     # a number whatever the incident (only examples may be missing)
        return meaning

    def evidence(self, inc: IncidentReading, others: Sequence[IncidentReading]) -> Evidence:
        v: dict[str, float] = dict.fromkeys(FEATURES, 0.0)
        notes: dict[str, str] = {}
        t, cand = self.t, inc.candidate
        sims = self._similarity(inc)
        best_per_sentence = sims.max(axis=1) if sims.size else np.zeros(len(self._telling))
        v["meaning"] = float(best_per_sentence.max()) if best_per_sentence.size else 0.0
        v["meaning_two"] = float(np.sort(best_per_sentence)[-2:].mean()) if best_per_sentence.size else 0.0
        v["meaning_high"] = max(0.0, v["meaning"] - 0.45)
        if best_per_sentence.size and sims.size:
            i, j = np.unravel_index(int(sims.argmax()), sims.shape)
            notes["meaning"] = f"'{_short(t.sentences[self._telling[i]])}' ~ '{_short(inc.sentences[j])}'"
        affected = [self.page.index[s] for s in cand.components if s in self.page.index]
        comp = self.components
        if comp.size and affected:
            mine = comp[:, affected].max()
            rest = np.delete(comp, affected, axis=1)
            v["meaning_component"] = float(mine)
            v["component_rather"] = float(mine - (rest.max() if rest.size else 0.0))
        rivals = [self.meaning(o) for o in others if o is not inc and len(o.vectors)]
        v["meaning_lead"] = v["meaning"] - max(rivals) if rivals else 0.0
        if len(inc.excluding):
            v["meaning_excluded"] = max(0.0, float(semantic.similarity(t.vectors, inc.excluding).max()) - v["meaning"])
        alike = self._alike(cand.incident_id, "linked")
        if alike is not None:       # centred: without examples, or with examples this alike, nothing moves
            v["examples"] = alike - EXAMPLE_BASE
            rivals = [a for o in others if o is not inc and (a := self._alike(o.candidate.incident_id, "linked"))]
            v["examples_lead"] = alike - max(rivals, default=EXAMPLE_BASE)
        unlike = self._alike(cand.incident_id, "not_linked")
        if unlike is not None:
            v["counter_examples"] = max(0.0, unlike - (alike if alike is not None else EXAMPLE_BASE))
        self._components(inc, v, notes)
        strong = self._symptoms(inc, v, notes)
        if v["symptom_shared"] or v["symptom_later"]:     # the ticket's symptom is this incident's and no other's
            own = {c for c in t.symptoms if close([c]) & inc.symptoms}
            other_incidents = [o for o in others if o is not inc]
            if own and other_incidents and not any(close([c]) & o.symptoms for o in other_incidents for c in own):
                v["symptom_distinct"] = 1.0
        self._intent(inc, v, notes, strong)
        shared_quotes = quotes_shared(t.quote_words, t.quotes, inc.quotes)
        if shared_quotes:
            v["quote_shared"], notes["quote_shared"] = 1.0, ", ".join(f"'{q}'" for q in shared_quotes[:3])
        fit: Fit = ticket_fit(inc.scope, t.scope_text, t.places, t.reported, t.qualifiers)
        if fit.against:
            v["scope_outside"], notes["scope_outside"] = 1.0, ", ".join(fit.outside)
        elif fit.inside:
            v["scope_inside"], notes["scope_inside"] = 1.0, ", ".join(fit.inside)
        if fit.elsewhere:
            v["scope_elsewhere"] = 1.0
        v["maintenance"] = 1.0 if cand.kind == "maintenance" else 0.0
        v["context"] = float(len(self.contexts))
        if self.contexts:
            notes["context"] = ", ".join(CONCEPTS[c].label for c in self.contexts)
        if t.language == inc.language:
            overlap = sorted(t.analysis.words[w] for w in t.analysis.words.keys() & inc.analysis.words.keys())[:2]
            v["words_shared"] = float(len(overlap))
            if overlap:
                notes["words_shared"] = ", ".join(overlap)
        hours = (self.created - _aware(cand.started_at)).total_seconds() / 3600
        began = self.began
        if began is not None and began * 24 > hours + 6:     # "for three days", "since Monday": before it
            v["began_before"], notes["began_before"] = 1.0, f"{began} day{'s' if began != 1 else ''} ago"
        return Evidence(v, notes, strong)

    def _components(self, inc: IncidentReading, v: dict[str, float], notes: dict[str, str]) -> None:
        self._siblings(inc, v, notes)
        cand, hits = inc.candidate, self.t.analysis.hits
        if self.field in cand.components:
            v["field_affected"], notes["field_affected"] = 1.0, self.field
        elif self.field in self.page.concepts:
            v["field_other"], notes["field_other"] = 1.0, self.field
        affected = {slug: self.page.concepts.get(slug, frozenset({f"c:{slug}"})) for slug in cand.components}
        for slug, concepts in affected.items():
            hit = next((h for h in hits if h.concept in concepts), None)
            if hit:
                v["names_affected"] = 1.0
                notes["names_affected"] = f"'{hit.surface}' ({self.page.names.get(slug, slug)})"
                return
        in_text = {c for c in inc.analysis.concepts if kind(c) == OBJECT}
        hit = next((h for h in hits if h.concept in in_text), None)
        if hit:
            v["names_affected"], notes["names_affected"] = 0.5, f"'{hit.surface}' (named in the incident)"
            return
        covered = frozenset().union(*affected.values()) if affected else frozenset()
        # a component named only by the surface where a problem shows ("in the app", "via the API") is where the
        # customer saw it, not another topic
        others = [slug for slug in self.named if slug not in affected and self._names_other(slug, covered, inc)]
        if others:
            v["names_other_only"] = 1.0
            notes["names_other_only"] = ", ".join(self.page.names.get(s, s) for s in others[:3])

    def _names_other(self, slug: str, covered: frozenset[str], inc: IncidentReading) -> bool:
        """Whether the ticket names this component, which the incident does not affect, by its name, an alias or
        a concept of them. Not by what only its description mentions (a "message" the product shows is no
        "Filings: messages from the tax office"), not by a word that is also the surface where the problem shows
        (a component called "App" named by "in the app"), nor by one of the incident's own words ("Sparkasse"
        in an incident about Sparkassen, though "Kasse" is a till), nor only where the ticket says something works
        ("the Kotlin and web jobs went through": the web interface is not what it is about)."""
        concepts = (self.page.concepts[slug] & self.page.named[slug] & self.t.stated) - covered - SURFACES
        return any(h.concept in concepts and not self._surface_at.intersection(h.positions)
                   and not _stems(h.surface) & inc.stems for h in self.t.analysis.hits)

    def _siblings(self, inc: IncidentReading, v: dict[str, float], notes: dict[str, str]) -> None:
        said = self.said
        theirs = [said[w] for w in inc.siblings if w in said]
        if theirs and not any(w in said for w in inc.listed):
            v["names_sibling"], notes["names_sibling"] = 1.0, ", ".join(sorted(set(theirs))[:3])

    def _symptoms(self, inc: IncidentReading, v: dict[str, float], notes: dict[str, str]) -> bool:
        t = self.t
        shared = [h for c, h in t.symptoms.items() if close([c]) & inc.symptoms]
        codes = sorted(t.analysis.codes & inc.analysis.codes)
        strong = bool(codes) or any(h.concept not in WEAK_SYMPTOMS for h in shared)
        if codes:
            v["codes_shared"], notes["codes_shared"] = 1.0, ", ".join(codes)
        if shared:
            first = [h for h in shared if close([h.concept]) & inc.primary]
            feature = "symptom_shared" if first else "symptom_later"     # the incident's own, or a side effect
            v[feature] = 1.0
            v["symptom_strong"] = 1.0 if strong else 0.0
            notes[feature] = ", ".join(f"'{h.surface}'" for h in (first or shared)[:3])
        elif any(inc.families & FAMILIES.get(c, frozenset()) for c in t.symptoms):
            v["symptom_family"], notes["symptom_family"] = 1.0, ", ".join(f"'{h.surface}'" for h in t.symptoms.values())
        elif t.symptoms:
            v["symptom_other"], notes["symptom_other"] = 1.0, ", ".join(f"'{h.surface}'" for h in t.symptoms.values())
        elif "negation" not in t.analysis.concepts:
            v["no_symptom"] = 1.0
        return strong

    def _asks_to_get(self, hit: Hit) -> bool:
        """Whether the how-to question asks where or how to get something ("Comment obtenir l'attestation ?",
        "Wo bekomme ich die Bestätigung?", "where do I get the certificate"): the verb in the question's words or
        within three words after them. In a ticket that reports a problem, what it cannot get is the problem."""
        for sentence, asking in zip(self.t.sentences, self.t.asking):
            at = sentence.casefold().find(hit.surface.casefold())
            if asking and at >= 0:
                words = [t.norm for t in tokenize(sentence[at:])][:len(hit.surface.split()) + 3]
                if _OBTAIN.intersection(words) and not _BACK.intersection(words):
                    return True
        return False

    def _demanded(self, concept: str) -> bool:
        """Whether a sentence requests the concept in so many words ("Ich erwarte, dass Sie mir die 60 € erstatten",
        "we ask for a credit"), not only asks about it ("Will I pay twice?")."""
        return any(concept in c and "request" in c for c in self.t.sentence_concepts)

    def _intent(self, inc: IncidentReading, v: dict[str, float], notes: dict[str, str], strong: bool) -> None:
        """What the ticket asks for instead of reporting.

        An intent counts where it is asked (a question or a request), or when nothing else in the ticket
        reports a problem: "the invoice module works, the labels don't" reports, "please send the invoice"
        asks. A strong shared symptom excuses the milder intents (a late reset mail during a mail delay)."""
        t = self.t
        v["reports"], v["requests"] = self.reports, self.requests
        reporting = ((bool(t.symptoms) and not set(t.symptoms) <= WEAK_SYMPTOMS) or v["reports"] >= 0.5
                     or v["meaning"] >= SAYS_IT)
        intents = {}
        for h in reversed(t.analysis.hits):
            if kind(h.concept) != INTENT:
                continue
            if ((h.concept in inc.analysis.concepts or _stems(h.surface) & inc.stems)
                    and not (h.concept in DEMANDED and self._demanded(h.concept))):
                continue    # what the incident itself is about is its topic ("renewals fail"), not another intent
            if h.concept not in t.stated:
                continue    # said of what works ("yesterday's came in fine"), not asked
            asked = any(h.concept in c and a for c, a in zip(t.sentence_concepts, t.asking))
            if h.concept == "howto" and reporting and self._asks_to_get(h):
                continue    # "Wo bekomme ich die Bestätigung?" when it does not arrive: the problem, asked
            if asked or h.concept in ("non_production", "own_change") or (not reporting and h.concept not in ASKED_ONLY):
                intents[h.concept] = h
        concepts = t.analysis.concepts
        if "maintenance" in concepts and concepts & {"future", "planned"}:
            # "the announced maintenance" during a maintenance in progress is that one; "next week" never is
            fits = v["symptom_shared"] or v["symptom_family"]
            if not (inc.candidate.kind == "maintenance" and "future" not in concepts and fits):
                intents["maintenance_question"] = next(h for h in t.analysis.hits if h.concept == "maintenance")
        open_ = {c: h for c, h in intents.items() if not (strong and c in EXCUSABLE)}
        if intents and not open_:
            v["intent_excused"] = 1.0
        for concept, hit in open_.items():
            group = INTENT_GROUPS[concept]
            v[group] = 1.0
            what = "planned maintenance" if concept == "maintenance_question" else CONCEPTS[concept].label
            notes.setdefault(group, f"{what} ('{hit.surface}')")


_OBTAIN = frozenset({"get", "obtain", "receive", "bekomme", "bekommen", "bekommt", "erhalte", "erhalten", "obtenir",
                     "recevoir", "fournir", "recuperer"})
_BACK = frozenset({"back", "zuruck", "wieder", "dahin", "hin"})     # "get back into my account" is no thing to get


_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "several": 2, "few": 2,
            "ein": 1, "einem": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "mehreren": 2,
            "einigen": 2, "paar": 2, "einer": 1, "mehrere": 2, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "plusieurs": 2,
            "quelques": 2}
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "tag": 1, "tagen": 1, "tage": 1, "woche": 7, "wochen": 7,
          "jour": 1, "jours": 1, "semaine": 7, "semaines": 7}
_SINCE = ("for", "since", "seit", "vor", "depuis", "il y a")
_FILLERS = frozenset({"the", "past", "last", "a", "ein", "den", "letzten", "vergangenen", "les", "des", "derniers",
                      "dernieres"})    # between "since" and a count of days: "for the past few days"
_OF = (" of", " von", " vom", " de", " d", " du")      # what is yesterday's: the thing's date, not the problem's
_YESTERDAY = {"en": ("yesterday",), "de": ("gestern", "vorgestern"), "fr": ("hier", "avant hier")}
_WEEKDAYS = {"en": "monday tuesday wednesday thursday friday saturday sunday".split(),
             "de": "montag dienstag mittwoch donnerstag freitag samstag sonntag".split(),
             "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split()}


_TODAY = frozenset({"today", "heute", "heutige", "heutigen", "aujourd",      # "aujourd'hui": "aujourd", "hui"
                    "now", "jetzt", "maintenant"})     # "updated yesterday and now it fails": it fails now
_AGO = ("vor", "il y a")                               # "vor 20 Tagen", "il y a 20 jours", "20 days ago": when


def began_days_ago(text: str, language: str, now: datetime) -> int | None:
    """How many days ago a ticket says its problem began ("for three days", "seit Montag", "depuis hier"),
    or None when it says nothing of it. Rough on purpose: it only has to tell "days ago" from "today".
    Read clause by clause: a date counts only in a clause that reports a problem ("schlägt seit gestern fehl",
    "depuis hier soir, le formulaire affiche une erreur"), not in one that says when something else happened or
    that it worked ("the app was updated yesterday", "je loue un serveur depuis hier", "we had daily backups for
    the last two weeks", "die Schäden, die wir gestern gemeldet haben, haben alle eine Nummer", "worked fine
    yesterday"). Yesterday named before "today" in one sentence is when it still worked ("Yesterday in the inbox,
    today in spam"), and a question dates something it asks about, not the problem ("Die letzte Auslesung war
    doch erst vor 20 Tagen?")."""
    if not _dated(text, language):
        return None
    anywhere = lru_cache(maxsize=1)(lambda: _reports(text, language))      # read only when needed
    found = [days for m in _SENTENCE_END.finditer(text) if _dated(m.group(), language)
             for part in _dated_clauses(m.group(), language, anywhere)
             if (days := _began_in(part, language, now, m.group())) is not None]
    return max(found) if found else None


_COMMA = re.compile(r"[^,;:()\n]+")      # runs between commas: linear
_FRONTED = ("since", "seit", "depuis", "after", "nach", "apres")   # "Since the update yesterday, it crashes"


def _dated_clauses(sentence: str, language: str, anywhere: Callable[[], bool] = lambda: True) -> list[str]:
    """The clauses of a sentence that can date its problem: a clause that reports one (a symptom or a negation,
    and not only that something works), or one that says how long something has lasted ("for three days",
    "depuis plusieurs semaines") in a sentence that reports one, in a ticket where no sentence reports one in
    words the lexicon knows (`anywhere()` false), or of something other than the customer's own doing ("the app
    has been closing at start for three days", not "we had daily backups for the last two weeks", "je loue un
    serveur depuis hier"). A clause that only sets the time ("Depuis hier soir,", "Since the update yesterday,")
    is read with the clause after it."""
    reports = lru_cache(maxsize=1)(lambda: _reports(sentence, language) or not anywhere())
    parts = [p.strip() for p in _COMMA.findall(sentence) if p.strip()]
    out, lead = [], ""
    for k, part in enumerate(parts):
        alone, part = lead, f"{lead}, {part}" if lead else part
        lead = ""
        words = [t.norm for t in tokenize(part)]
        if not _dated(part, language):
            continue
        told = _reports(part, language)
        if k + 1 < len(parts) and not told and (len(words) <= 4 or words[0] in _FRONTED) \
                and not _works(part, language):    # not "Gestern angelegte Domains ok, heutige nicht"
            lead = part
            continue
        if (told or _lasting(words) and (reports() or not _OWN.intersection(words))) \
                and not _works(part, language):
            out.append(part)
        elif alone and _lasting([t.norm for t in tokenize(alone)]) and reports():
            out.append(alone)      # "Since yesterday nothing arrives, and today neither": the lead itself
    return out


def _works(clause: str, language: str) -> bool:
    """Whether a clause only says that something works ("Worked fine yesterday", "gestern war noch alles da")."""
    found = clauses(clause, language)
    return bool(found) and all(fine for _, fine in found)


def _reports(text: str, language: str) -> bool:
    return any(kind(c) in (SYMPTOM, WEAK) for c in analyze(text, language).concepts)


_OWN = frozenset({"i", "we", "ich", "wir", "je", "j", "nous"})    # "we had backups for two weeks": what they did
_LASTING = frozenset({"for", "since", "seit", "depuis", "now", "ago", "vor"})


def _lasting(words: list[str]) -> bool:
    """Whether a clause says how long or how long ago: "for three days", "seit Montag", "il y a deux jours"."""
    return bool(_LASTING.intersection(words)) or "il y a" in " ".join(words)


_DATE_WORDS = {
    "en": r"yesterday|days?|weeks?|monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    "de": r"gestern|vorgestern|tage?n?|wochen?|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag",
    "fr": r"hier|jours?|semaines?|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
}
_DATE_WORD = {language: re.compile(rf"\b(?:{words})\b") for language, words in _DATE_WORDS.items()}


def _dated(text: str, language: str) -> bool:
    """Whether a text names a day, a weekday or a count of days or weeks: what began_days_ago reads."""
    text = _NO_DATE.sub(" ", text.casefold())
    return bool(_DATE_WORD.get(language, _DATE_WORD["en"]).search(text))


_NO_DATE = re.compile(r"\b(?:guten tag|à jour|a jour)\b")     # a greeting, "mis à jour": no day


def _began_in(clause: str, language: str, now: datetime, sentence: str = "") -> int | None:
    sentence = sentence or clause
    words = [t.norm for t in tokenize(clause)]
    after = [t.norm for t in tokenize(sentence[sentence.find(clause) + len(clause):])] if clause in sentence else []
    question = sentence.rstrip().endswith("?")
    found = []
    for i, w in enumerate(words):
        before = " ".join(words[max(0, i - 4):i])
        if w in _UNITS and i > 0:
            n = words[i - 1]
            count = int(n) if n.isdigit() and len(n) <= 2 else _NUMBERS.get(n) if n != "a" or language == "en" else None
            lead = words[max(0, i - 5):i - 1]
            while lead and lead[-1] in _FILLERS:     # "seit ein paar Wochen", "for the past few days"
                lead = lead[:-1]
            ago = " ".join(lead).endswith(_AGO) or words[i + 1:i + 2] == ["ago"]
            if count and (" ".join(lead).endswith(_SINCE) or words[i + 1:i + 2] in (["ago"], ["now"])) \
                    and not (question and ago):
                found.append(count * _UNITS[w])
        # not "yesterday's close", "von gestern"; nor "yesterday fine, today not" (when it still worked), though
        # "since yesterday ... and today" is still since yesterday
        elif (w in _YESTERDAY.get(language, ()) and not (language == "fr" and before.endswith("avant"))
              and not before.endswith(_OF) and words[i + 1:i + 2] != ["s"]
              and (before.endswith(_SINCE) or not _TODAY.intersection(words[i + 1:] + after))):
            found.append(2 if before.endswith("avant") or w == "vorgestern" else 1)
        elif w in _WEEKDAYS.get(language, ()) and before.endswith(("since", "on", "seit", "am", "depuis", "le")):
            found.append((now.weekday() - _WEEKDAYS[language].index(w)) % 7)
    return max(found) if found else None


def _stems(text: str) -> frozenset[str]:
    """Every longer word of a text as its stem in each language (so "renewal" meets "renewals", "Verlängerung"
    meets "verlängern"), for asking whether two texts share a word."""
    return frozenset(stem(t.norm, language) for t in tokenize(text) if len(t.norm) >= 5 and t.norm not in STOPWORDS
                     for language in LANGUAGES)


def _stem_en(norm: str) -> str:
    return stem(norm, "en") if len(norm) > 3 else norm


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


__all__ = ["Candidate", "ComponentInfo", "Evidence", "Examples", "FEATURES", "NO_EXAMPLES", "IncidentReading", "Page", "Reader",
           "TicketReading", "close", "read_incident", "read_ticket", "read_words"]
