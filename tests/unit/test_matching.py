"""Ticket-to-incident matching: the labelled development set, language detection, and new
scenarios in new words (not the development set's), so the method is tested for what it knows
about language and incidents, not for the phrases it was tuned on."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from statuspage.support.evidence import FEATURES
from statuspage.support.matching import (
    DEFAULT_THRESHOLD, LABELS, UNCORROBORATED, Candidate, ComponentInfo, Match, TicketText, corroborated,
    detect_language, match_ticket, needed, score,
)

DATA = Path(__file__).resolve().parents[1] / "data"  # a copy of the shared development set
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=timezone.utc)


def _load():
    scenario = json.loads((DATA / "scenario.json").read_text(encoding="utf-8"))
    tickets = [json.loads(line) for line in (DATA / "tickets_dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return scenario, tickets


@pytest.fixture(scope="module")
def dev():
    """Components, the open incidents as candidates (started an hour ago), ids -> keys, tickets."""
    scenario, tickets = _load()
    components = [ComponentInfo(c["slug"], c["name"], c.get("description", "")) for c in scenario["components"]]
    candidates, keys = [], {}
    for number, incident in enumerate(scenario["incidents"], start=1):
        updates = incident["updates"]
        if updates[-1]["status"] == "resolved":
            continue          # the caller passes open incidents only
        candidates.append(Candidate(number, "incident", incident["name"], tuple(u["body"] for u in updates),
                                    tuple(incident["components"]), NOW - timedelta(hours=1), updates[-1]["status"]))
        keys[number] = incident["key"]
    return components, candidates, keys, tickets


def _ticket(record) -> TicketText:
    t = record["ticket"]
    return TicketText(t["subject"], t["body"], t.get("component"), created_at=NOW)


def test_the_development_set_meets_its_targets(dev):
    components, candidates, keys, tickets = dev
    pairs, wrong = [], []
    for record in tickets:
        match = match_ticket(_ticket(record), candidates, components, now=NOW)
        expected, predicted = record["expected"]["incident"], keys.get(match.incident_id)
        pairs.append((expected, predicted))
        if expected != predicted:
            wrong.append(f"{record['id']} (expected {expected}, got {predicted}, score {match.score})")
    result = score(pairs)
    summary = f"{result}; misclassified: {wrong or 'none'}"
    assert result.tickets == len(tickets) == 66
    assert result.precision >= 0.97, summary
    assert result.recall >= 0.90, summary
    assert result.incident_accuracy >= 0.95, summary


def test_the_language_of_unmixed_tickets_is_detected(dev):
    *_, tickets = dev
    unmixed = [r for r in tickets if not r["mixed"]]
    wrong = [r["id"] for r in unmixed if detect_language(f"{r['ticket']['subject']}\n{r['ticket']['body']}") != r["lang"]]
    assert len(unmixed) - len(wrong) >= 0.95 * len(unmixed), wrong


def test_every_kind_of_evidence_has_words_for_the_reasons():
    """A feature without a label would fail every ticket it moves (KeyError in the reasons): seen on a branch."""
    assert set(FEATURES) <= set(LABELS)


def test_language_detection_basics():
    assert detect_language("") == "en"
    assert detect_language("  12 -- ?", default="de") == "de"
    assert detect_language("Die Rechnung ist noch nicht angekommen, bitte prüfen Sie das.") == "de"
    assert detect_language("Nous n'avons toujours pas reçu la facture du mois dernier.") == "fr"
    assert detect_language("We still have not received last month's invoice.") == "en"


def test_a_given_language_is_kept_and_an_unknown_one_detected(dev):
    components, candidates, *_ = dev
    assert match_ticket(TicketText("Hallo", "Wie geht es?", language="fr"), candidates, components, now=NOW).language == "fr"
    assert match_ticket(TicketText("Hallo", "Wie geht es Ihnen heute?", language="es"), candidates, components, now=NOW).language == "de"


# --- new scenarios, new words --------------------------------------------------------------------

SHOP = [
    ComponentInfo("search", "Search", "Full-text search across catalogues"),
    ComponentInfo("checkout", "Checkout", "Cart and card payments", aliases=("Kasse", "paiement")),
    ComponentInfo("storefront", "Storefront", "The public shop pages", aliases=("Shop", "boutique")),
    ComponentInfo("notifications", "Notifications", "Order confirmation and shipping emails"),
    ComponentInfo("warehouse-db", "Warehouse database", "Stock levels and orders"),
]
SEARCH_DOWN = Candidate(11, "incident", "Search is down",
                        ("Search requests fail or come back empty. We are looking into it.",),
                        ("search",), NOW - timedelta(minutes=40), "investigating")
SLOW_MAIL = Candidate(12, "incident", "Order confirmation emails queued",
                      ("Confirmation and shipping emails are queued and reach customers up to two hours late.",),
                      ("notifications",), NOW - timedelta(hours=3), "identified")
DB_WORK = Candidate(13, "maintenance", "Warehouse database migration",
                    ("We are moving the warehouse database to new hardware. Stock updates may be unavailable for 30 minutes.",),
                    ("warehouse-db",), NOW - timedelta(minutes=10), "in_progress")


def _match(subject, body, candidates=(SEARCH_DOWN, SLOW_MAIL), component=None, created_at=NOW) -> Match:
    return match_ticket(TicketText(subject, body, component, created_at=created_at), list(candidates), SHOP, now=NOW)


@pytest.mark.parametrize("subject, body", [
    ("Recherche", "La recherche ne renvoie plus rien depuis ce matin."),
    ("Suche kaputt", "Die Suche liefert keine Ergebnisse mehr, egal was wir eingeben."),
    ("Search broken", "Every search in the shop returns an empty page."),
])
def test_an_outage_is_recognised_in_any_language(subject, body):
    match = _match(subject, body)
    assert match.incident_id == SEARCH_DOWN.incident_id, match
    assert match.reasons and 0 < match.score <= 1


@pytest.mark.parametrize("subject, body", [
    ("Bestellbestätigung fehlt", "Unsere Kunden bekommen die Bestätigungs-E-Mail erst nach über einer Stunde."),
    ("Courriels en retard", "Les e-mails de confirmation de commande arrivent avec beaucoup de retard."),
    ("Late password reset mail", "A customer asked for a password reset an hour ago and the email still hasn't arrived."),
])
def test_a_late_email_belongs_to_the_mail_incident(subject, body):
    assert _match(subject, body).incident_id == SLOW_MAIL.incident_id


@pytest.mark.parametrize("subject, body, component", [
    ("Invoice for search add-on", "Could you send me the invoice for the search add-on we bought in May?", "search"),
    ("Suchfilter", "Kann man in der Suche nach Lieferant filtern?", "search"),
    ("Mot de passe", "J'ai oublié mon mot de passe, comment le réinitialiser ?", None),
    ("E-mail sender name", "How can I change the sender name of the confirmation emails?", "notifications"),
    ("Old outage", "Can you send us the root cause report for last week's search outage?", "search"),
    ("Test shop", "In our staging shop the search returns nothing, production is fine.", "search"),
    ("Contract", "Please send us an offer for renewing our contract.", None),
])
def test_questions_about_something_else_stay_accepted(subject, body, component):
    match = _match(subject, body, component=component)
    assert match.incident_id is None, match


def test_a_question_about_planned_maintenance_stays_accepted_during_an_unrelated_incident():
    match = _match("Maintenance", "Will the maintenance next Tuesday cause downtime?")
    assert match.incident_id is None
    assert any("planned maintenance" in r for r in match.reasons)


def test_a_maintenance_in_progress_matches_a_ticket_about_its_component_being_unavailable():
    match = _match("Stock", "The warehouse database is unavailable, stock levels cannot be saved.", candidates=(SEARCH_DOWN, DB_WORK))
    assert match.incident_id == DB_WORK.incident_id, match
    german = _match("Lager", "Die Datenbank ist gerade nicht erreichbar, wir können keine Bestände buchen.", candidates=(DB_WORK,))
    assert german.incident_id == DB_WORK.incident_id, german


def test_a_ticket_from_before_the_incident_cannot_match():
    early = _match("Search", "Search returns nothing at all", created_at=SEARCH_DOWN.started_at - timedelta(minutes=30))
    assert early.incident_id is None and "before the incident started" in early.reasons[0]
    within_grace = _match("Search", "Search returns nothing at all", created_at=SEARCH_DOWN.started_at - timedelta(minutes=2))
    assert within_grace.incident_id == SEARCH_DOWN.incident_id


def test_a_ticket_days_after_the_incident_started_weakens():
    fresh = _match("Search down", "Search is down, nothing found for any query", candidates=(SEARCH_DOWN,))
    old = _match("Search down", "Search is down, nothing found for any query",
                 candidates=(replace(SEARCH_DOWN, started_at=NOW - timedelta(days=4)),))
    assert fresh.incident_id == SEARCH_DOWN.incident_id
    assert old.score < fresh.score and any("days after" in r for r in old.reasons)


def test_the_component_field_is_a_hint_not_the_truth():
    wrong_field = _match("Boutique", "La recherche de la boutique est en panne, aucun résultat.", component="checkout")
    assert wrong_field.incident_id == SEARCH_DOWN.incident_id
    field_only = _match("Idea", "It would be nice to sort results by price.", component="search")
    assert field_only.incident_id is None


def test_aliases_and_typos_name_a_component():
    outage = Candidate(14, "incident", "Checkout errors", ("Card payments fail with error 500.",), ("checkout",),
                       NOW - timedelta(minutes=15), "investigating")
    # the alias is what names the component: the same report about "the page" comes nowhere near. (With the weights
    # of the eighth round this one-sentence German ticket against an English incident scores 0.496, at its bar.)
    alias = _match("Kasse", "Die Kasse zeigt nur Fehler 500.", candidates=(outage,))
    neutral = _match("Seite", "Die Seite zeigt nur Fehler 500.", candidates=(outage,))
    assert any("mentions 'Kasse' (Checkout)" in r for r in alias.reasons)
    assert alias.score > neutral.score + 0.25
    assert _match("Chekout", "Chekout throws an error, nobody can pay", candidates=(outage,)).incident_id == 14
    assert _match("Search", "Search shows an error", candidates=(outage,)).incident_id is None


def test_suppressed_matches_explain_themselves_and_no_candidates_means_accept():
    match = _match("Search", "Search is broken for the whole team since 10 minutes")
    assert match.incident_id == SEARCH_DOWN.incident_id and match.score >= DEFAULT_THRESHOLD
    assert any("mentions 'Search'" in r for r in match.reasons)
    assert all(r.endswith(")") or "capped" in r for r in match.reasons)
    nothing = match_ticket(TicketText("Search", "Search is down"), [], SHOP, now=NOW)
    assert nothing.incident_id is None and nothing.score == 0.0 and nothing.reasons


def test_saying_what_only_this_incident_says_corroborates_without_a_known_symptom():
    """A customer who describes a side effect in words the lexicon does not know ("the kiosk still prints
    yesterday's menu") is held to the plain bar when a sentence says what the incident says and no other open
    incident comes as close; not when another comes closer, none is open, or the likeness is loose."""
    alone = {"meaning": 0.58, "meaning_lead": 0.07}
    assert corroborated(alone) and needed(alone) == DEFAULT_THRESHOLD
    for values in ({"meaning": 0.58, "meaning_lead": -0.02}, {"meaning": 0.58, "meaning_lead": 0.0},
                   {"meaning": 0.41, "meaning_lead": 0.2}):
        assert not corroborated(values) and needed(values) == DEFAULT_THRESHOLD + UNCORROBORATED
    assert needed({"symptom_later": 1.0, "meaning": 0.2}) == DEFAULT_THRESHOLD


# --- score() ---------------------------------------------------------------------------------------

def test_score_counts_precision_recall_and_incident_accuracy():
    result = score([("a", "a"), ("a", "b"), ("b", None), (None, "a"), (None, None)])
    assert (result.tickets, result.suppressed, result.should_suppress) == (5, 3, 3)
    assert (result.correctly_suppressed, result.right_incident) == (2, 1)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    assert result.incident_accuracy == pytest.approx(1 / 2)


def test_score_of_empty_and_degenerate_sets():
    empty = score([])
    assert (empty.tickets, empty.precision, empty.recall, empty.incident_accuracy) == (0, 1.0, 1.0, 1.0)
    nothing_suppressed = score([("a", None), (None, None)])
    assert (nothing_suppressed.precision, nothing_suppressed.recall) == (1.0, 0.0)
    only_false_alarms = score(iter([(None, "a")]))
    assert (only_false_alarms.precision, only_false_alarms.recall, only_false_alarms.incident_accuracy) == (0.0, 1.0, 1.0)
