"""The matcher's kinds of evidence, each on a page of its own invented for the test (a telematics page, an
app store page, a ledger): scope stated by the updates, a sibling the page names, what a ticket asks for,
when its problem began, alternatives, and the tickets already linked. None of these words are in any
labelled set; the tests check the behaviour of the evidence, not a phrase it was tuned on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from statuspage.support import semantic
from statuspage.support.evidence import Examples, began_days_ago
from statuspage.support.matching import Candidate, ComponentInfo, TicketText, match_ticket
from statuspage.support.places import places
from statuspage.support.scope import Fit, incident_scope, outside_words, ticket_fit

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)   # a Tuesday
FLEET = [
    ComponentInfo("live-map", "Live map", "Vehicle positions on the map, updated every 30 seconds"),
    ComponentInfo("trips", "Trip history", "Past trips, stops and distances per vehicle"),
    ComponentInfo("networks", "Mobile networks", "Our trackers connect through Telia, Vodafone, Orange and Movistar"),
    ComponentInfo("driver-app", "Driver app", "The app drivers use for tasks and messages, for iOS and Android"),
]
MAP_STALE = Candidate(
    21, "incident", "Vehicle positions not updating",
    ("Vehicle positions on the live map have stopped updating for some customers. We are investigating.",
     "Only trackers in Sweden and Denmark that connect through Telia are affected. Vehicles in Norway and "
     "Finland are not affected, and neither are trackers on other networks."),
    ("live-map", "networks"), NOW - timedelta(hours=1), "identified")
APP_CRASH = Candidate(
    22, "incident", "Driver app crashes on start",
    ("The driver app closes right after it starts. The Android app is not affected.",),
    ("driver-app",), NOW - timedelta(minutes=40), "investigating")


def _match(subject, body, candidates=(MAP_STALE, APP_CRASH), components=FLEET, **kwargs):
    return match_ticket(TicketText(subject, body, created_at=NOW), list(candidates), components, now=NOW, **kwargs)


def test_places_are_read_as_their_countries_in_any_language():
    assert places("Unsere LKW in Göteborg und Malmö") == {"SE"}
    assert places("nos camions à Copenhague") == {"DK"}
    assert "NO" in places("call us at +47 22 00 00 00")
    assert "SE" in places("everywhere in the Nordics") and "DK" in places("everywhere in the Nordics")
    assert places("this is nice and we are reading it") == frozenset()     # words, not Nice or Reading
    assert places("Alle Länder außer Österreich") == {"AT"}       # "Länder" is a word, not a town in Venezuela


def test_nationality_adjectives_name_their_country_but_not_a_language_or_a_brand():
    assert places("Rechnungen an spanische Kunden") == {"ES"}
    assert places("les colis pour nos clients portugais") == {"PT"}
    assert places("Our Danish warehouses") == {"DK"}
    assert places("la facture en français") == frozenset() and places("Deutsche Bahn tickets") == frozenset()
    assert places("our danish warehouses") == frozenset()     # in English an adjective of place is capitalized


def test_an_adjective_in_a_clause_that_rules_out_qualifies_a_thing_not_its_country():
    scope = incident_scope(("Dutch VAT returns rejected",
                            "Only VAT returns for Dutch companies fail. Payments to Dutch suppliers are not affected."), "en")
    assert "NL" in scope.places_in and "NL" not in scope.places_out
    assert ticket_fit(scope, "Rechnungen für unsere niederländische Firma hängen").inside
    assert ticket_fit(scope, "The VAT return of our Italian branch is rejected").elsewhere


def test_a_ticket_saying_another_part_has_no_problem_does_not_place_it_there():
    assert outside_words("Notre filiale polonaise n'a aucun problème.", "fr").strip() == ""
    assert outside_words("Bei der Schweizer Tochter gibt es keine Probleme.", "de").strip() == ""


def test_an_incident_scope_rules_places_and_names_in_and_out():
    scope = incident_scope((MAP_STALE.title, *MAP_STALE.texts), "en", ["Live map", "Mobile networks"])
    assert {"SE", "DK"} <= scope.places_in and {"NO", "FI"} <= scope.places_out
    assert "telia" in scope.terms_in
    assert ticket_fit(scope, "Our vans in Göteborg are frozen on the map").inside
    assert ticket_fit(scope, "Our vans in Oslo are frozen on the map").outside


def test_a_ticket_showing_the_scope_by_example_matches_in_another_language():
    match = _match("Karte", "Seit einer Stunde bewegen sich unsere Fahrzeuge in Göteborg auf der Karte nicht mehr.")
    assert match.incident_id == MAP_STALE.incident_id, match


def test_a_ticket_about_a_place_the_updates_rule_out_is_accepted():
    match = _match("Map frozen", "Our trucks in Oslo have not moved on the live map since noon.")
    assert match.incident_id is None, match
    assert any("rules out" in r or "does not cover" in r for r in match.reasons), match


def test_a_platform_ruled_out_by_name_is_accepted():
    ruled_out = _match("App crash", "The Android app crashes when drivers open it.")
    assert ruled_out.incident_id is None, ruled_out
    ruled_in = _match("App crash", "The driver app on iOS closes right after opening.")
    assert ruled_in.incident_id == APP_CRASH.incident_id, ruled_in


def test_a_ticket_naming_both_a_ruled_in_and_a_ruled_out_part_is_about_the_incident():
    shop = [ComponentInfo("checkout", "Checkout", "Payment at the end of an order"),
            ComponentInfo("catalog", "Catalog", "Products and prices")]
    wallet = Candidate(31, "incident", "Payments with Zelvo failing",
                       ("Payments with the Zelvo wallet fail at checkout with an error. We are investigating.",
                        "Payments with Korrin are not affected."), ("checkout",), NOW - timedelta(hours=1),
                       "investigating")
    only_out = _match("Checkout", "At checkout, payments with Korrin fail with an error since an hour.",
                      candidates=(wallet,), components=shop)
    assert only_out.incident_id is None, only_out
    both = _match("Checkout", "At checkout, payments with Zelvo and with Korrin both fail with an error since an hour.",
                  candidates=(wallet,), components=shop)
    assert both.incident_id == wallet.incident_id and both.score > 0.9, both
    assert not any(r.startswith("about what the incident rules out") for r in both.reasons), both


def test_a_sibling_the_page_names_is_not_the_incident():
    match = _match("Orange trackers", "Trackers on Orange in Spain stopped sending positions to the live map.",
                   candidates=(MAP_STALE,))
    assert match.incident_id is None, match


def test_a_refund_request_about_the_incident_goes_to_a_person():
    match = _match("Compensation", "The live map was frozen all morning for our Swedish fleet. "
                                   "We expect a credit on this month's fee.")
    assert match.incident_id is None and not match.reports_problem, match
    assert any("refund or credit" in r for r in match.reasons), match


def test_a_problem_after_the_customers_own_change_goes_to_a_person():
    match = _match("App crash", "Since we updated our phones to the new company image, the driver app closes at start.",
                   candidates=(APP_CRASH,))
    assert match.incident_id is None, match


def test_a_problem_that_began_days_before_the_incident_is_not_it():
    assert began_days_ago("stuck for three days now", "en", NOW) == 3
    assert began_days_ago("seit Montag kommt nichts an", "de", NOW) == 1
    assert began_days_ago("depuis ce matin", "fr", NOW) is None
    match = _match("App crash", "The driver app has been closing right after start for three days.",
                   candidates=(APP_CRASH,))
    assert match.incident_id is None, match


def test_a_question_is_not_a_problem_report():
    match = _match("Question", "How can drivers change the language of the driver app?")
    assert match.incident_id is None and not match.reports_problem


def test_close_incidents_are_named_as_alternatives():
    twin = Candidate(23, "incident", "Vehicle positions not updating in the trip view",
                     ("Vehicle positions on the live map and in trips have stopped updating for some customers.",),
                     ("live-map", "trips"), NOW - timedelta(hours=1), "investigating")
    match = _match("Map", "Vehicle positions on the live map stopped updating.", candidates=(MAP_STALE, twin))
    chosen = {match.incident_id} | {i for i, _ in match.alternatives}
    assert chosen == {MAP_STALE.incident_id, twin.incident_id}, match


def test_tickets_already_linked_make_a_like_ticket_more_likely():
    ledger = [ComponentInfo("ledger", "Ledger", "Bookings and balances")]
    outage = Candidate(31, "incident", "Ledger degraded", ("Some ledger requests fail.",), ("ledger",),
                       NOW - timedelta(hours=1), "investigating")
    ticket = "Quarter close report stops with code QX-17 every time"
    linked = [semantic.text_gist(t)[0] for t in ("The quarter close report aborts with QX-17",
                                                  "Quarterly closing report stops, code QX-17",
                                                  "QX-17 when running the quarter close")]
    without = _match("QX-17", ticket, candidates=(outage,), components=ledger)
    with_examples = _match("QX-17", ticket, candidates=(outage,), components=ledger,
                           examples={31: Examples(np.array(linked), np.zeros((0, semantic.DIMENSIONS), np.float32))})
    assert with_examples.score > without.score, (without, with_examples)
    assert any("linked" in r for r in with_examples.reasons)


# --- issue 13, second round: what the customer guesses, says works, or names as a surface ------------------------

def test_a_question_guessing_the_incident_is_left_out_of_the_reading():
    from statuspage.support.evidence import without_guesses
    text = "Unsere Tracker in Polen senden keine Positionen. Hat das mit eurer Telia-Störung zu tun?"
    assert without_guesses(text, "de").strip() == "Unsere Tracker in Polen senden keine Positionen."
    # a ticket that is nothing but the guess keeps it
    assert without_guesses("Is this the Telia issue?", "en") == "Is this the Telia issue?"
    # the guess no longer puts a ticket about Poland inside the incident's scope (Sweden, Denmark)
    assert _match("Polen: keine Positionen", text).incident_id is None


def test_a_part_the_incident_rules_out_counts_against_a_ticket_only_where_it_reports_a_problem():
    scope = incident_scope(("Invoices to Kelvo accounts are late", "Invoices to Marnet accounts are not affected."), "en")
    said_works = "Kelvo customers have not received their invoice, Marnet customers have it"
    reported = "Marnet customers have not received their invoice"
    from statuspage.support.scope import reporting_clauses
    assert ticket_fit(scope, said_works, frozenset(), reporting_clauses(said_works, "en")).outside == ()
    assert ticket_fit(scope, reported, frozenset(), reporting_clauses(reported, "en")).outside == ("Marnet",)


def test_what_is_yesterdays_is_no_start_of_the_problem():
    assert began_days_ago("I could not run yesterday's day close", "en", NOW) is None
    assert began_days_ago("Den Abschluss von gestern kann ich nicht starten", "de", NOW) is None
    assert began_days_ago("Les notes d'hier sont arrivées", "fr", NOW) is None
    assert began_days_ago("Since yesterday nothing arrives", "en", NOW) == 1
    assert began_days_ago("depuis hier rien n'arrive", "fr", NOW) == 1


@pytest.mark.parametrize(("text", "language", "days"), [
    ("Yesterday in the inbox, today in spam", "en", None),          # yesterday is when it still worked
    ("Gestern ging es noch, heute kommt nichts mehr an.", "de", None),
    ("Hier ça marchait, aujourd'hui plus rien n'arrive.", "fr", None),
    ("Ich bekomme heute die Mail. Die letzte Auslesung war doch erst vor 20 Tagen?", "de", None),   # asked about
    ("Since yesterday nothing arrives, and today neither.", "en", 1),   # since yesterday: still the start
    ("Es hängt seit drei Tagen. Wann ist das behoben?", "de", 3),
    ("It broke two days ago.", "en", 2),
])
def test_a_day_named_as_when_it_worked_or_in_a_question_dates_no_problem(text, language, days):
    assert began_days_ago(text, language, NOW) == days


@pytest.mark.parametrize(("text", "language", "days"), [
    # a date counts where the ticket says its problem began, not where it says when something else happened
    ("Google Pay charged, ticket missing\nThe ticket isn't in the app. Android, app updated yesterday.", "en", None),
    ("The app was updated yesterday and now the photos do not upload.", "en", None),
    ("Les photos ne partent pas depuis mon iPad, mis à jour hier soir.", "fr", None),
    ("Modpack ne s'installe pas\nJe loue un serveur depuis hier. L'installation échoue à 0 %.", "fr", None),
    ("Backup list is empty\nThe Backups tab is completely empty. We had daily backups for the last two weeks.", "en", None),
    ("Yesterday's exports were fine, today's fail.", "en", None),
    ("Die Schäden, die wir gestern gemeldet haben, haben alle eine Nummer. Die von heute hängen.", "de", None),
    ("Gestern war das alles innerhalb von Minuten da. Heute fehlt die Nummer.", "de", None),
    ("I'm driving to Switzerland on Saturday and the green card is still generating.", "en", None),
    # ... and where it does
    ("Depuis hier soir, le formulaire affiche une erreur.", "fr", 1),
    ("Der Webhook schlägt seit gestern fehl.", "de", 1),
    ("Since the update yesterday, the app crashes at start.", "en", 1),
    ("Gestern hat die Firewall unsere Formulare blockiert, und heute kommt nichts an.", "de", None),
    ("Le champ est vide pour le trafic IPv6, et ce depuis plusieurs semaines.", "fr", 14),
    ("The map has been empty for three days.", "en", 3),     # no symptom the lexicon knows, and nothing else said
    ("App stürzt ab\nAuf alten Handys stürzt die App seit ein paar Wochen direkt beim Start ab.", "de", 14),
])
def test_a_date_counts_only_where_the_problem_began(text, language, days):
    assert began_days_ago(text, language, NOW) == days


def test_a_city_the_page_names_as_a_thing_is_no_place():
    from statuspage.support.places import city_names
    assert "salto" in city_names("Mobile keys for Salto and Vingcard locks")
    assert "europe" not in city_names("Streaming from edge locations in Europe")
    assert places("Salto locks") and not places("Salto locks", frozenset({"salto"}))


def test_what_worked_before_is_not_a_question_about_the_past():
    later = Candidate(
        23, "incident", "Trip reports not generated",
        ("Trip reports requested since 10:00 are not generated. We are investigating.",),
        ("trips",), NOW - timedelta(hours=1), "investigating")
    match = _match("Trip report missing", "Yesterday's trip reports came in fine, but today's report was not "
                   "generated.", candidates=(MAP_STALE, APP_CRASH, later))
    assert not any("past" in reason for reason in match.reasons)


def test_a_device_stands_for_the_platform_it_runs():
    scope = incident_scope(("Clock-ins from the Android app are not saved", "The iOS app is not affected."), "en")
    assert "Samsung" in ticket_fit(scope, "Our Samsung Galaxy phones lose every clock-in").inside
    assert ticket_fit(scope, "Our iPhones do not save anything").outside == ("iPhones",)
    assert ticket_fit(scope, "Our phones do not save anything").outside == ()


def test_a_version_the_updates_rule_out_is_outside_and_one_they_name_inside():
    scope = incident_scope(("Exports from the Kivo 4.1 reader fail",
                            "Only Kivo readers 4.1 and 4.1a are affected. Older readers (Kivo 3.0 to 4.0) work normally."), "en")
    older = "Exports from our Kivo 4.0 fail with a timeout"
    assert ticket_fit(scope, older, frozenset(), older) == Fit((), ("a version it rules out",), False)
    assert "its version" in ticket_fit(scope, "Our Kivo 4.1a exports fail", frozenset(), "Our Kivo 4.1a exports fail").inside
    assert ticket_fit(scope, "Exports fail at 14.30", frozenset(), "Exports fail at 14.30").outside == ()


@pytest.mark.parametrize(("text", "language", "days"), [
    ("Die App stürzt seit ein paar Wochen beim Start ab", "de", 14),
    ("seit einer Woche bleibt die Karte leer", "de", 7),
    ("For the past few days the map has been empty", "en", 2),
    ("depuis quelques jours la carte reste vide", "fr", 2),
    ("seit heute früh bleibt die Karte leer", "de", None),
    ("les positions restent figées depuis la mise à jour de ce matin", "fr", None),    # "à jour" is no "a day"
])
def test_a_few_days_or_weeks_since_the_problem_began_are_read(text, language, days):
    assert began_days_ago(text, language, NOW) == days


@pytest.mark.parametrize(("sentence", "language", "concept"), [
    ("We expect you to cover this.", "en", "compensation"),
    ("Wir erwarten, dass ihr uns den Betrag gutschreibt.", "de", "compensation"),
    ("Bitte sofort sperren, und wie ändern wir das Passwort?", "de", "howto"),
    ("Gibt es einen Weg, ältere Fahrten zu sehen?", "de", "howto"),
    ("Is there any way to see older trips?", "en", "howto"),
    ("Vous pouvez renvoyer les messages ?", "fr", "request"),
    ("Do you plan to support trackers in Brazil?", "en", "planned"),
    ("Planen Sie eine Karte für Anhänger?", "de", "planned"),
])
def test_more_ways_of_asking_are_read_as_asking(sentence, language, concept):
    from statuspage.support.text import analyze

    assert concept in analyze(sentence, language).concepts


def test_a_sentence_that_rules_a_part_out_is_compared_only_through_what_it_rules_in():
    from statuspage.support.evidence import Page, read_incident

    mixed = "Trip exports to CSV fail with an error, but trip imports from the old system work normally"
    incident = Candidate(31, "incident", "Trip exports failing", (f"{mixed}.",), ("trips",),
                         NOW - timedelta(hours=1), "identified")
    reading = read_incident(incident, Page(tuple(FLEET)))
    assert not any("imports" in s for s in reading.sentences), reading.sentences
    assert any("exports to CSV fail" in s for s in reading.sentences), reading.sentences


def _even_odds_model(p: float):
    """A model whose one gate gives every ticket probability p, so the decision rule alone decides."""
    import math

    from statuspage.support.model import Model

    return Model({"topic": ({}, math.log(p / (1 - p)))})


def test_a_ticket_that_describes_no_symptom_of_the_incident_needs_a_higher_probability():
    from statuspage.support.matching import UNCORROBORATED, needed

    assert needed({"symptom_shared": 1.0}, 0.5) == 0.5
    assert needed({"symptom_family": 1.0}, 0.5) == 0.5
    assert needed({"codes_shared": 1.0}, 0.5) == 0.5
    assert needed({"no_symptom": 1.0, "names_affected": 1.0, "field_affected": 1.0}, 0.5) == 0.5 + UNCORROBORATED
    assert needed({}, 0.9) == 0.95
    model = _even_odds_model(0.6)
    wish = _match("Live map", "Could the live map show the driver's name next to each vehicle?", model=model)
    assert wish.incident_id is None and wish.score == 0.6, wish
    assert any("describes no symptom of the incident's kind: needs 0.65, not 0.50" in r for r in wish.reasons), wish
    report = _match("Live map", "Our Swedish vehicles on the live map have not updated their positions for an hour.",
                    model=model)
    assert report.incident_id == MAP_STALE.incident_id and report.score == 0.6, report
    assert not any("needs" in r for r in report.reasons), report


def test_a_word_the_updates_use_only_to_rule_a_part_out_names_it_even_in_lower_case():
    scope = incident_scope(("Trip exports failing",
                            "Exports to the accounting package fail. Printouts from the depot terminal work normally, "
                            "and trackers made by zentrak are not affected."), "en")
    assert {"zentrak", "printout", "termin"} <= scope.terms_out, scope.terms_out
    assert not {"affect", "normal", "export"} & scope.terms_out, scope.terms_out    # the marker's and the incident's
    assert "zentrak" in ticket_fit(scope, "Our zentrak units stopped sending trips",
                                   reported="Our zentrak units stopped sending trips").outside
    assert ticket_fit(scope, "Exports to the accounting package fail since noon").outside == ()


# --- issue 13, sixth round: which components a ticket names as another topic ------------------------------------

PAYROLL = (
    ComponentInfo("staff-app", "App", "The app employees use for shifts, leave and payslips"),
    ComponentInfo("leave", "Leave management", "Holiday and sick leave requests and approvals"),
    ComponentInfo("filings", "Tax filings", "Returns to the tax office and the messages it sends back"),
    ComponentInfo("payments", "Payments", "Bank payments of salaries"),
)
LEAVE_DOWN = Candidate(31, "incident", "Leave requests fail", ("Leave requests cannot be sent. We are on it.",),
                       ("leave",), NOW - timedelta(minutes=30), "investigating")
BANK_LATE = Candidate(32, "incident", "Umsätze von Sparkassen kommen verspätet",
                      ("Bei Konten von Sparkassen fehlen neue Buchungen seit heute Vormittag.",),
                      ("leave",), NOW - timedelta(minutes=30), "investigating")


def _other_only(candidate, text, language, components=PAYROLL):
    from statuspage.support.evidence import Page, Reader, read_incident, read_ticket
    page = Page(tuple(components))
    incident = read_incident(candidate, page)
    reader = Reader(read_ticket(text, language, page), page, None, NOW)
    return reader.evidence(incident, [incident]).values["names_other_only"]


@pytest.mark.parametrize(("text", "language"), [
    ("I can't send my holiday request in the app, it shows an error.", "en"),
    ("In der App kann ich meinen Urlaubsantrag nicht abschicken, es kommt ein Fehler.", "de"),
    ("Dans l'app, impossible d'envoyer ma demande de congés, une erreur s'affiche.", "fr"),
])
def test_a_component_called_by_a_surface_word_is_where_the_problem_shows(text, language):
    # the component is called "App": "in the app" says where the customer saw the problem, not that it is the topic
    assert _other_only(LEAVE_DOWN, text, language) == 0.0
    # named by its name in full it is the topic
    assert _other_only(LEAVE_DOWN, "The Tax filings fail with an error.", "en") == 1.0


@pytest.mark.parametrize(("text", "language"), [
    ("No statements from our Sparkasse accounts since this morning.", "en"),
    ("Seit heute Morgen keine Kontoauszüge von unseren Sparkasse-Konten.", "de"),
    ("Plus aucun relevé de nos comptes Sparkasse depuis ce matin.", "fr"),
])
def test_a_word_of_the_incident_itself_names_no_other_component(text, language):
    # "Sparkasse" ends in "Kasse" (a till: payments), but it is the incident's own word
    assert _other_only(BANK_LATE, text, language) == 0.0
    assert _other_only(BANK_LATE, text.replace("Sparkasse", "Payments"), language) == 1.0


@pytest.mark.parametrize(("text", "language"), [
    ("My holiday request fails, the message says the action is not possible.", "en"),
    ("Mein Urlaubsantrag scheitert, die Nachricht sagt, die Aktion sei nicht möglich.", "de"),
    ("Ma demande de congé échoue, le message dit que l'action est impossible.", "fr"),
])
def test_what_only_a_components_description_mentions_does_not_name_it(text, language):
    # "messages" is in the filings' description; the message the product shows does not name the filings
    assert _other_only(LEAVE_DOWN, text, language) == 0.0


def test_a_title_before_a_name_ends_no_clause_that_rules_out():
    # "Dr." would otherwise cut "Meters by Hansa Dr. Krell deliver normally" into a clause that rules the
    # makers in and a bare "Krell deliver normally"
    scope = incident_scope(("Readings from Volto meters are missing",
                            "Meters by Hansa Dr. Krell and by Ostrow deliver normally."), "en")
    assert {"hansa", "ostrow"} <= scope.terms_out and "ostrow" not in scope.terms_in
    assert ticket_fit(scope, "Our Ostrow meters send no readings").outside == ("Ostrow",)


def test_the_first_word_of_a_quoted_message_names_nothing():
    scope = incident_scope(("Renewals are refused", "Renewals stop with the message « Dossier illisible »."), "fr")
    assert not any(t.startswith("dossi") for t in scope.terms_in)
    assert ticket_fit(scope, "Mon renouvellement affiche « Dossier expiré »").inside == ()


def test_a_country_named_stays_in_when_only_the_region_around_it_is_ruled_out():
    scope = incident_scope(("Lag on servers in Lisbon",
                            "Players from Brazil and Angola see high ping. Players elsewhere in Europe are fine."), "en")
    assert {"PT", "BR", "AO"} <= scope.places_in and "PT" not in scope.places_out and "ES" in scope.places_out
    assert ticket_fit(scope, "Our server in Lisbon lags badly").inside == ("a place it names",)
    assert ticket_fit(scope, "Our server in Madrid lags badly").outside == ("a place it rules out",)
    # named on both sides, the place is ruled out
    both = incident_scope(("Lag in Lisbon", "Players in Lisbon and Porto are fine now."), "en")
    assert "PT" in both.places_out and "PT" not in both.places_in


def test_a_kind_of_thing_the_incident_names_does_not_outweigh_the_part_it_rules_out():
    scope = incident_scope(("SMS codes late for Kelo Mobile numbers", "Numbers on Trivo are not affected."), "en")
    fit = ticket_fit(scope, "Trivo customers get no SMS codes")
    assert fit.outside == ("Trivo",) and fit.against
    # the part ruled in beside the one ruled out: about the incident too
    assert not ticket_fit(scope, "Kelo and Trivo customers get no SMS codes").against


def test_a_gateway_is_a_thing_and_only_a_bad_one_a_symptom():
    from statuspage.support.text import analyze
    assert "gateway" not in analyze("The gateways in the east wing went quiet", "en").concepts
    assert "gateway" in analyze("The shop answers 502 Bad Gateway", "en").concepts
    assert "gateway" not in analyze("Die Gateways im Keller sind still", "de").concepts


def test_a_nor_beside_another_negation_reports_a_failure_and_rules_nothing_out():
    from statuspage.support.scope import clauses
    failing = "Aucun reçu n'est envoyé au client et aucun rappel ni relevé n'est produit."
    assert clauses(failing, "fr") == [(failing, False)]
    assert clauses("Les relevés ne sont pas concernés, ni les rappels.", "fr")[0][1]


def test_a_place_ruled_in_does_not_answer_a_name_ruled_out_nor_a_name_a_place():
    scope = incident_scope(("Sailings delayed from Rotterdam",
                            "Sailings by Brava Lines from Rotterdam leave late. Sailings by Kesto are not affected, "
                            "and neither is Antwerp."), "en")
    kesto = ticket_fit(scope, "Our Kesto sailing from Rotterdam leaves late")
    assert kesto.outside == ("Kesto",) and kesto.against
    antwerp = ticket_fit(scope, "Our Brava sailing from Antwerp leaves late")
    assert "a place it rules out" in antwerp.outside and antwerp.against
    assert not ticket_fit(scope, "Brava and Kesto sailings from Rotterdam leave late").against


def test_an_aside_in_brackets_or_a_thing_before_a_colon_belongs_to_the_problem_reported():
    scope = incident_scope(("Exports fail from Tarn readers", "Exports from Pollux readers are not affected."), "en")
    from statuspage.support.scope import reporting_clauses
    for text in ("Our Pollux reader (model 3, grey) fails every export", "Pollux reader: every export fails"):
        assert ticket_fit(scope, text, frozenset(), reporting_clauses(text, "en")).outside == ("Pollux",), text


def test_the_variants_a_component_name_lists_in_brackets_can_be_ruled_out():
    rides = [ComponentInfo("rider-app", "Rider app (Velo and Kiro)", "The apps riders book and pay with"),
             ComponentInfo("billing", "Billing", "Invoices and receipts")]
    missing = Candidate(41, "incident", "Booked rides missing in the Velo app",
                        ("Rides booked in the Velo app since noon do not show up under My rides. The Kiro app is "
                         "not affected.",), ("rider-app",), NOW - timedelta(hours=1), "identified")
    scope_note = _match("Kiro app: booked ride missing", "The ride I booked an hour ago does not show up under My rides.",
                        candidates=(missing,), components=rides)
    assert scope_note.incident_id is None, scope_note


def test_a_city_several_countries_share_keeps_no_country_of_a_region_ruled_out_in():
    scope = incident_scope(("Slow downloads in Asia-Pacific",
                            "Our servers in Sydney are overloaded. Customers in the Americas are not affected."), "en")
    assert "AU" in scope.places_in and "CA" in scope.places_out     # there is a Sydney in Canada too
    assert ticket_fit(scope, "Downloads crawl for our team in Toronto").outside == ("a place it rules out",)


def test_what_a_workaround_switches_to_is_ruled_out():
    scope = incident_scope(("New badges stuck at 'Printing'",
                            "Badges ordered from Lumio printers stay at 'Printing'. As a workaround you can switch the "
                            "site's printer to Farrow Print."), "en")
    assert {"farrow", "print"} & scope.terms_out and "farrow" not in scope.terms_in
    assert ticket_fit(scope, "Our Farrow printer prints no badges").against
    from statuspage.support.scope import clauses
    assert clauses("Als Workaround können Sie auf die Papierliste ausweichen.", "de")[0][1]


# --- what a ticket asks for when it asks for what the incident says is broken -----------------------------------

CERTS = [ComponentInfo("documents", "Documents", "Insurance certificates and policy documents"),
         ComponentInfo("plans", "Plans", "Subscriptions: take out, change or cancel a plan")]
CERT_FAIL = Candidate(41, "incident", "Insurance certificates not generated",
                      ("New insurance certificates cannot be generated; new contracts are mailed without them.",),
                      ("documents",), NOW - timedelta(hours=1), "investigating")
PLANS_MOVE = Candidate(42, "maintenance", "Moving the plan management",
                       ("During the work, plans cannot be taken out, changed or cancelled.",),
                       ("plans",), NOW - timedelta(minutes=30), "in_progress")


def _values(text, language, incident, components=CERTS):
    from statuspage.support.evidence import Reader, read_ticket
    from statuspage.support.matching import _incident, _page
    page = _page(tuple(components))
    reading = _incident(incident, tuple(components))
    return Reader(read_ticket(text, language, page), page, None, NOW).evidence(reading, [reading]).values


@pytest.mark.parametrize(("text", "language"), [
    ("The contract mail came without the certificate. Where do I get the certificate?", "en"),
    ("Die Vertragsmail kam ohne Bestätigung. Wo bekomme ich die Bestätigung?", "de"),
    ("Le mail du contrat est arrivé sans l'attestation. Comment obtenir l'attestation ?", "fr"),
])
def test_asking_how_to_get_what_does_not_arrive_reports_it(text, language):
    assert _values(text, language, CERT_FAIL)["asks_question"] == 0.0


def test_asking_how_to_do_something_else_still_asks():
    assert _values("The contract mail came without the certificate. How do I change my address?", "en",
                   CERT_FAIL)["asks_question"] == 1.0


@pytest.mark.parametrize(("text", "language"), [
    ("Ich will mein Abo kündigen, aber es kommt ein Fehler.", "de"),
    ("I want to cancel my plan but I get an error.", "en"),
])
def test_cancelling_while_a_maintenance_blocks_cancelling_is_its_topic(text, language):
    assert _values(text, language, PLANS_MOVE)["asks_money"] == 0.0


def test_maintenant_is_no_maintenance():
    from statuspage.support.text import analyze
    assert "maintenance" not in analyze("Tous nos devis affichent maintenant une erreur.", "fr").concepts
    assert "maintenance" in analyze("La maintenance est en cours.", "fr").concepts


@pytest.mark.parametrize("texts, language, ticket", [
    (("Voice notes rejected", "Voice notes are refused. Typing the note by hand in the app and the portal still works."),
     "en", "The app refuses my voice note"),
    (("Sprachnotizen werden abgelehnt", "Die Eingabe von Hand in App und Portal funktioniert weiterhin."),
     "de", "Die App lehnt meine Sprachnotiz ab"),
    (("Notes vocales refusées", "La saisie manuelle dans l'appli et sur le portail fonctionne toujours."),
     "fr", "L'appli refuse ma note vocale"),
])
def test_a_surface_named_as_where_something_else_works_is_not_ruled_out(texts, language, ticket):
    scope = incident_scope(texts, language)
    assert ticket_fit(scope, ticket).outside == (), scope.terms_out


@pytest.mark.parametrize("texts, language, ticket", [
    (("Voice notes rejected", "The iOS app is not affected."), "en", "The iOS app refuses my voice note"),
    (("Sprachnotizen werden abgelehnt", "Die App ist nicht betroffen."), "de", "Die App lehnt meine Sprachnotiz ab"),
])
def test_a_surface_ruled_out_by_itself_stays_ruled_out(texts, language, ticket):
    assert ticket_fit(incident_scope(texts, language), ticket).outside


def test_a_german_word_cut_short_before_a_comma_stands_for_its_compounds():
    scope = incident_scope(("Fotos von Zweitarifzählern abgelehnt",
                            "Gas-, Wasser- und Wärmezähler sind nicht betroffen."), "de")
    assert ticket_fit(scope, "Mein Gaszähler wird auf dem Foto nicht erkannt").outside
    assert ticket_fit(scope, "Mein Wasserzähler wird auf dem Foto nicht erkannt").outside


@pytest.mark.parametrize("subject, body", [
    ("Live map frozen", "Vehicle positions on the live map stopped updating since noon. The trip history works fine."),
    ("Live-Karte steht", "Die Fahrzeugpositionen auf der Live-Karte bewegen sich seit Mittag nicht mehr. "
                         "Die Trip history funktioniert normal."),
    ("Carte figée", "Les positions sur la carte ne bougent plus depuis midi. Le Trip history fonctionne normalement."),
])
def test_a_component_named_only_as_working_does_not_count_against_the_incident(subject, body):
    match = _match(subject, body)
    assert not any("which this incident does not affect" in r for r in match.reasons), match


@pytest.mark.parametrize("place, thing, language", [
    ("Nos clients à Montevideo reçoivent une erreur 502", "Nos vidéos ne chargent pas", "fr"),
    ("Unsere Händler in Montevideo bekommen einen Fehler 502", "Unsere Videos laden nicht", "de"),
    ("Our resellers in Montevideo get a 502 error", "Our videos do not load", "en"),
])
def test_a_place_name_is_no_compound_of_a_concept(place, thing, language):
    from statuspage.support.text import analyze
    assert "media" not in analyze(place, language).concepts      # Montevideo is no video
    assert "media" in analyze(thing, language).concepts


@pytest.mark.parametrize("texts, language, inside, outside", [
    (("Umsätze bei Sparkassen verzögert", "Sparkassen in Österreich sind nicht betroffen."), "de",
     "Bei unserer Kreissparkasse fehlen seit heute die Umsätze", "Bei unserer Sparkasse in Wien fehlen die Umsätze"),
    (("Delays for Kelvo accounts", "Accounts held at Kelvo in Austria are not affected."), "en",
     "Our Kelvo account shows no new entries", "Our Kelvo account in Vienna shows no new entries"),
    (("Retards pour les comptes Kelvo", "Les comptes chez Kelvo en Autriche ne sont pas concernés."), "fr",
     "Notre compte Kelvo n'affiche plus rien", "Notre compte Kelvo à Vienne n'affiche plus rien"),
])
def test_a_name_ruled_out_only_in_another_place_stays_ruled_in(texts, language, inside, outside):
    scope = incident_scope(texts, language)
    assert ticket_fit(scope, inside).inside and not ticket_fit(scope, inside).against, scope
    assert ticket_fit(scope, outside).against, scope


# --- what an update quotes and lists, as the incident and the ticket meet it (the readings: test_matching_sentences)

LIBRARY = [ComponentInfo("loans", "Loans", "Borrowing and returning books"),
           ComponentInfo("holds", "Holds", "Reserving books that are out")]
RETURNS_LATE = Candidate(
    51, "incident", "Rückgaben werden verspätet gebucht",
    ("Zurückgegebene Bücher werden erst nach Stunden gebucht. Wir prüfen das.",
     "Im Leserkonto stehen zurückgegebene Bücher weiter auf „Ausgeliehen – überfällig“, und Erinnerungen werden "
     "verschickt. Gebühren werden nachträglich storniert."),
    ("loans",), NOW - timedelta(hours=1), "identified")


@pytest.mark.parametrize(("text", "language"), [
    ("Meine Bücher sind seit heute Mittag zurück, aber im Konto steht „Ausgeliehen – überfällig“.", "de"),
    ("J'ai rendu mes livres ce midi et mon compte affiche toujours « Ausgeliehen - überfällig ».", "fr"),
    ("I brought the books back at noon and my account still says 'Ausgeliehen – überfällig'.", "en"),
    ("I brought the books back at noon, yet my account still says ausgeliehen überfällig.", "en"),
])
def test_a_ticket_quoting_what_an_update_quotes_shares_it(text, language):
    from statuspage.support.matching import corroborated
    values = _values(text, language, RETURNS_LATE, LIBRARY)
    assert values["quote_shared"] == 1.0 and corroborated(values)


def test_a_quote_the_incident_does_not_make_shares_nothing():
    assert _values("Mein Konto zeigt „Gesperrt“ an.", "de", RETURNS_LATE, LIBRARY)["quote_shared"] == 0.0


def test_an_incident_reads_its_later_effects_but_not_what_it_rules_out():
    from statuspage.support.evidence import Page, read_incident
    incident = Candidate(
        52, "incident", "Returns booked late",
        ("Returned books are booked hours late.",
         "While we catch up, overdue notices go to readers who brought their books back, and the kiosk shows an old "
         "due date, and holds and renewals work as usual."),
        ("loans",), NOW - timedelta(hours=1), "identified")
    reading = read_incident(incident, Page(tuple(LIBRARY)))
    assert "overdue notices go to readers who brought their books back" in reading.sentences
    assert "the kiosk shows an old due date" in reading.sentences
    assert not any(s.startswith("holds and renewals") for s in reading.sentences)


def test_an_incident_reads_each_listed_effect():
    from statuspage.support.evidence import Page, read_incident
    upgrade = Candidate(41, "maintenance", "Trip history upgrade",
                        ("During the window, trips can't be exported, renamed or merged.",), ("trips",),
                        NOW - timedelta(minutes=20), "in_progress")
    reading = read_incident(upgrade, Page(tuple(FLEET)))
    assert "During the window, trips can't be renamed." in reading.sentences
    assert "Trip history upgrade" in reading.sentences and len(reading.sentences) == len(reading.vectors)


def test_a_qualifier_ruled_out_in_one_language_meets_a_ticket_in_another():
    # "self-hosted agents are not affected": a German or French ticket about its own agents is outside, even
    # though it names the platform the incident rules in
    scope = incident_scope(("Build jobs for Linux wait in the queue",
                            "Jobs on hosted Linux agents stay queued. Self-hosted agents are not affected."), "en")
    assert "@own" in scope.qualifiers
    assert ticket_fit(scope, "Unsere selbst gehosteten Linux-Agenten nehmen keine Jobs an.").against
    assert ticket_fit(scope, "Nos agents Linux auto-hébergés ne prennent plus de jobs.").against
    assert ticket_fit(scope, "Our Linux jobs have been queued for an hour.").outside == ()
    # keys a customer uploads, a dedicated sending address
    scope = incident_scope(("Signing keys not rotating",
                            "Generated signing keys are not rotated on schedule. Keys you upload yourself are not affected."), "en")
    assert ticket_fit(scope, "Der hochgeladene Schlüssel wird nicht verwendet").against
    scope = incident_scope(("Envois retardés vers Yahoo",
                            "Les envois depuis nos adresses IP partagées arrivent en retard. Les comptes avec une IP dédiée ne sont pas concernés."), "fr")
    assert "@dedicated" in scope.qualifiers and "@shared" not in scope.qualifiers
    assert ticket_fit(scope, "Our mails from our dedicated IP arrive late at Yahoo").against


def test_a_qualifier_an_update_also_rules_in_rules_nothing_out():
    # "custom domains" ruled in and "your own certificates are not affected": a customer's own domain is inside
    scope = incident_scope(("Certificates pending",
                            "Certificates for custom domains stay pending. Certificates you bring yourself are not affected."), "en")
    assert "@own" not in scope.qualifiers
    assert ticket_fit(scope, "Nos domaines personnalisés restent sans certificat").outside == ()


def test_a_name_ruled_out_meets_a_ticket_writing_it_in_two_words():
    scope = incident_scope(("Tickets in der App fehlen", "Gekaufte Tickets erscheinen nicht in der App. Der Webshop ist nicht betroffen."), "de")
    assert "webshop" in scope.terms_out
    text = "The ticket I bought in the web shop never downloaded"
    assert ticket_fit(scope, text, frozenset(), text).outside == ("web shop",)


def test_a_leading_phrase_saying_where_belongs_to_the_clause_reporting_the_problem():
    from statuspage.support.scope import reporting_clauses
    scope = incident_scope(("Voice chat drops in Lyon", "Voice chat drops for Zorbo servers. Krall servers are not affected."), "en")
    for text in ("Sur notre serveur Krall à Lyon, les joueurs sont déconnectés.",
                 "On our Krall server, players keep getting disconnected.",
                 "Bei unserem Krall-Server, da fliegen die Spieler ständig raus und die Verbindung bricht ab."):
        assert ticket_fit(scope, text, frozenset(), reporting_clauses(text, "fr")).outside, text
    # a clause that is no such phrase stays out ("Krall customers have it" says who has no problem)
    assert "Krall" not in reporting_clauses("Krall customers have it, Zorbo customers are disconnected", "en")


def test_a_domain_name_does_not_end_the_clause_reporting_the_problem():
    from statuspage.support.scope import reporting_clauses
    assert "gmx.net" in reporting_clauses("Unsere Mails an gmx.net kommen als Bounce zurück", "de")
    assert reporting_clauses("Nos envois vers exemple.fr reviennent en erreur.", "fr").strip() == "Nos envois vers exemple.fr reviennent en erreur"


# --- a short request asks for what the sentence before it states ------------------------------------------------

@pytest.mark.parametrize(("text", "language"), [
    ("The certificates were down for two hours. Our contract entitles us to a service credit. Please arrange that.",
     "en"),
    ("Die Zertifikate waren zwei Stunden weg. Laut Vertrag steht uns eine Gutschrift zu. Bitte veranlassen Sie das.",
     "de"),
    ("Les attestations étaient indisponibles deux heures. Notre contrat prévoit un avoir. Merci de faire le nécessaire.",
     "fr"),
])
def test_a_short_request_asks_for_the_credit_stated_before_it(text, language):
    assert _values(text, language, CERT_FAIL)["asks_money"] == 1.0


@pytest.mark.parametrize(("text", "language"), [
    ("Our contract entitles us to a service credit.", "en"),        # stated, not asked: nothing requests it
    ("Members who paid their annual fee cannot download the certificate. Please check.", "en"),   # reports, then asks
    ("Mitglieder mit bezahlter Gebühr bekommen keine Bestätigung. Bitte prüfen.", "de"),
])
def test_a_short_request_after_a_report_asks_for_nothing_else(text, language):
    from statuspage.support.evidence import read_ticket
    from statuspage.support.matching import _page
    reading = read_ticket(text, language, _page(tuple(CERTS)))
    sentences_asked = [s for s, asked in zip(reading.sentences, reading.asking) if asked]
    assert not any("credit" in s or "fee" in s or "Gebühr" in s for s in sentences_asked)


# --- money demanded is a person's decision, even where the incident speaks of refunds ---------------------------

REFUNDING = Candidate(43, "incident", "Certificates missing after purchase",
                      ("Certificates bought today are not shown. Double purchases will be refunded automatically.",),
                      ("documents",), NOW - timedelta(hours=1), "identified")


@pytest.mark.parametrize(("text", "language"), [
    ("My certificate was not shown, so I had to pay a penalty at the check. I expect you to refund the 40 euros.",
     "en"),
    ("Meine Bestätigung wurde nicht angezeigt, ich musste eine Strafe zahlen. Ich erwarte, dass Sie mir die 40 € "
     "erstatten.", "de"),
    ("Mon attestation ne s'affichait pas et j'ai dû payer une amende. J'exige que vous me remboursiez les 40 €.", "fr"),
])
def test_a_refund_demanded_counts_though_the_incident_speaks_of_refunds(text, language):
    assert _values(text, language, REFUNDING)["asks_money"] == 1.0


def test_a_refund_only_asked_about_stays_the_incidents_topic():
    assert _values("I bought the certificate twice because it was not shown. Will it be refunded?", "en",
                   REFUNDING)["asks_money"] == 0.0


# --- an asking sentence asks only in the part that asks -------------------------------------------------------------

@pytest.mark.parametrize(("text", "language"), [
    ("The certificates are not generated. Hopefully the invoice is right – do I have to do anything?", "en"),
    ("Die Bestätigungen werden nicht erzeugt. Hoffentlich stimmt die Rechnung – muss ich etwas tun?", "de"),
    ("Les attestations ne sont pas générées. J'espère que la facture est juste – dois-je faire quelque chose ?", "fr"),
])
def test_a_statement_set_off_by_a_dash_is_not_asked(text, language):
    values = _values(text, language, CERT_FAIL)
    assert values["asks_money"] == 0.0 and values["intent_excused"] == 0.0


def test_a_question_after_a_dash_still_asks_for_what_it_names():
    values = _values("The certificates are not generated – can you send me the invoice?", "en", CERT_FAIL)
    assert values["asks_money"] == 1.0 or values["intent_excused"] == 1.0


def test_a_country_whose_cities_are_affected_is_not_ruled_out_by_a_clause_about_something_else_there():
    scope = incident_scope(("Scooters won't unlock in Ghent and Bruges",
                            "Bikes in Belgium unlock normally, and riders in Amsterdam are not affected."), "en")
    assert "BE" in scope.places_in and "BE" not in scope.places_out and "NL" in scope.places_out
    assert ticket_fit(scope, "My scooter in Ghent does not unlock").outside == ()
    # another city of the same country ruled out: the country stays in, the city's name is what rules it out
    cities = incident_scope(("Returns fail at Lyon stations", "Stations in Marseille are not affected."), "en")
    assert "FR" in cities.places_in and "FR" not in cities.places_out
    assert ticket_fit(cities, "Returns fail at our Marseille station").outside != ()
