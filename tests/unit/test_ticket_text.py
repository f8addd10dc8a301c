"""What of a ticket is read, and that reading it is linear, bounded and safe from several threads.

Customer text reaches the matcher through the help desk, so anyone can write it: no pattern may
backtrack, no analysis may grow faster than the text, and what is read is cut to a fixed size.
The timing guards below run the work in a child process with a limit hundreds of times what the
work takes; they only fail when the work is pathological (a vulnerable pattern takes hours there).
"""
from __future__ import annotations

import subprocess
import sys
import threading
import textwrap

import pytest

from statuspage.support import text
from statuspage.support.text import MAX_TEXT, analyze, own_words, prepare, stem, ticket_text, tokenize


def _runs_within(code: str, seconds: float) -> None:
    """Run code in a fresh interpreter; fail when it has not finished within seconds."""
    try:
        subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, timeout=seconds,
                       capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {seconds} s: {code.strip()[:200]}")


@pytest.mark.parametrize("payload", [
    '"@." * 20_000',                   # made the old address pattern backtrack cubically (3 KB: 20 s)
    '"a" * 100_000',                   # one run without spaces, no @
    '"x@" * 30_000',
    '("a@b." * 10_000) + "!"',
    '"can\'" * 30_000',
])
def test_no_hostile_text_makes_the_preparation_backtrack(payload):
    _runs_within(f"""
        from statuspage.support.text import prepare, ticket_text, own_words, detect_language
        t = {payload}
        prepare(t); own_words(t); detect_language(ticket_text("s", t))
    """, seconds=20)


def test_a_huge_ticket_is_analysed_in_linear_time_and_only_its_start_is_read():
    # 100,000 characters took 54 s with the quadratic de-duplication of concept hits
    _runs_within("""
        from statuspage.support.text import analyze, ticket_text
        body = "error message " * 20_000 + "login fails " * 20_000
        analyze(body, "en")
        analyze(ticket_text("Fehler", body), "de")
    """, seconds=20)
    body = "error message " * 20_000
    assert len(ticket_text("subject", body)) <= MAX_TEXT
    assert len(analyze(ticket_text("subject", body), "en").hits) <= MAX_TEXT


def test_the_concept_hits_of_a_long_text_are_deduplicated_by_position():
    hits = analyze("error message " * 300, "en").hits
    assert sum(len(h.positions) == 2 for h in hits) == 300    # each "error message" once
    assert {h.concept for h in hits} == {"error"}             # its inner "message" (another concept) hidden


def test_addresses_are_blanked_and_words_over_the_word_limit_skipped():
    assert "@" not in prepare("write to ops@customer.example please")
    assert prepare("at @home and user@ and @.") == "at @home and user@ and @."
    assert [t.norm for t in tokenize("ok " + "a" * 41 + " fine")] == ["ok", "fine"]


def test_stemmers_are_per_thread():
    """Snowball's stemmers keep state between calls: one shared by threads raised IndexError inside the
    French stemmer under concurrent intake (a 500 and a lost ticket)."""
    mine = text._stemmer("fr")
    theirs: list = []
    worker = threading.Thread(target=lambda: theirs.append(text._stemmer("fr")))
    worker.start()
    worker.join()
    assert theirs[0] is not mine and text._stemmer("fr") is mine


def test_stemming_from_many_threads_gives_what_one_thread_gives():
    words = [f"{w}{suffix}" for w in ("connexion", "paiement", "impossible", "téléchargement", "abgebrochen")
             for suffix in ("", "s", "ement", "ations", "issent")]
    expected = {w: text._stemmer("fr").stemWord(w) for w in words}
    stem.cache_clear()
    failures: list = []

    def work():
        try:
            for _ in range(50):
                for w in words:
                    if text._stemmer("fr").stemWord(w) != expected[w]:
                        failures.append(w)
        except Exception as error:  # the shared stemmer's IndexError
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


GERMAN_REPLY = """Hallo,

seit heute früh druckt kein Etikett mehr.

Mit freundlichen Grüßen
Max Muster
Muster GmbH, Amtsgericht München HRB 1234

Am 03.12.2026 um 10:12 schrieb Support <support@example.com>:
> Sehr geehrter Kunde, Ihr Ticket zur Wartung wurde geschlossen.
"""
FORWARD = """FYI, see below

From: Anna Beispiel <anna@shop.example>
Sent: Monday, 7 December 2026 09:14
Subject: urgent
Labels are not printing since 9am for all our shipments.
Best regards
Anna"""


def test_own_words_stop_at_signatures_closings_and_quoted_mails():
    assert own_words(GERMAN_REPLY).strip() == "Hallo,\n\nseit heute früh druckt kein Etikett mehr."
    assert own_words("It is down.\n-- \nJane\nACME").strip() == "It is down."
    assert own_words("Le tableau de bord ne charge plus.\nCordialement,\nMarie").strip() == \
        "Le tableau de bord ne charge plus."
    assert own_words("Everything fails.\n\nOn Mon, 7 Dec 2026 at 10:00, Support wrote:\n> old").strip() == \
        "Everything fails."


def test_a_forwarded_mail_is_the_message_when_the_sender_wrote_next_to_nothing():
    words = own_words(FORWARD)
    assert "Labels are not printing" in words and "Anna Beispiel" not in words and "Best regards" not in words


def test_a_mail_without_signature_is_read_whole():
    assert own_words("line one\nline two") == "line one\nline two"


def test_matching_huge_tickets_keeps_no_more_memory_than_their_bounded_reading():
    """The matcher's caches are bounded by what they hold, not only by count: every kept entry is a word, a
    sentence of at most 300 characters or its vector (about 0.2 MB a ticket of new words, until the caches are
    full). 100 KB tickets kept about 0.55 MB each before."""
    import gc
    import tracemalloc
    from datetime import datetime, timedelta, timezone

    from statuspage.support.matching import Candidate, ComponentInfo, TicketText, match_ticket

    now = datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)
    components = [ComponentInfo("search", "Search", "Full-text search")]
    outage = Candidate(1, "incident", "Search is down", ("Search fails.",), ("search",), now - timedelta(hours=1),
                       "investigating")
    match_ticket(TicketText("warm", "Search fails for us"), [outage], components, now=now)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(8):
        body = " ".join(f"word{n}x{i} search fails" for i in range(8_000))      # about 100 KB, every one new
        match_ticket(TicketText(f"Search {n}", body), [outage], components, now=now)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept < 3_000_000, f"{kept / 1e6:.1f} MB kept after 8 tickets of 100 KB"


def test_a_forwarded_mail_is_read_when_the_subject_or_the_sender_points_to_it():
    body = ("Hi,\n\nsee below, I've had a few of these this afternoon.\n\nCheers,\nMike\n\n"
            "---------- Forwarded message ---------\nFrom: Priya <p@mail.example>\nSubject: payslip\n\n"
            "Hi Mike, the app still says 'No new documents'.\n")
    assert "No new documents" in ticket_text("FW: where is my payslip?", body)
    assert "No new documents" in ticket_text("payslip", body)          # "see below" points to it
    plain = body.replace("see below, ", "").replace("---------- Forwarded message ---------\n", "")
    assert "No new documents" not in own_words(plain)


def test_a_closing_with_a_sharp_s_ends_the_own_words():
    body = "Die Karte zeigt nichts.\n\nViele Grüße\nKai Thomsen\nDisposition"
    assert own_words(body).strip() == "Die Karte zeigt nichts."
    assert "Ben" not in own_words("Alle Builds sind rot.\nGruß, Ben")


@pytest.mark.parametrize(("sentence", "language", "concept"), [
    ("Die Fahrer-App stürzt auf dem alten Tablet ab", "de", "error"),
    ("Das Portal fällt seit Montag immer wieder aus", "de", "outage"),
    ("Die Seite lädt seit dem Update nicht", "de", "outage"),
    ("Der Export funktioniert seit gestern nicht", "de", "outage"),
])
def test_a_german_verb_split_around_its_object_still_reports_its_symptom(sentence, language, concept):
    assert concept in analyze(sentence, language).concepts


@pytest.mark.parametrize(("sentence", "language"), [
    ("Webhooks nutzen wir nicht.", "de"),
    ("We don't use webhooks.", "en"),
    ("Nous n'utilisons pas les webhooks.", "fr"),
])
def test_saying_a_part_is_not_used_reports_nothing_about_it(sentence, language):
    from statuspage.support.scope import clauses

    assert clauses(sentence, language) == [(sentence, True)]


def test_not_having_access_is_no_statement_that_something_works():
    from statuspage.support.scope import clauses

    assert clauses("We do not have access to the dashboard", "en") == [
        ("We do not have access to the dashboard", False)]


@pytest.mark.parametrize(("sentence", "language", "concept"), [
    ("The export button is greyed out", "en", "cannot"),
    ("Der Export-Knopf ist ausgegraut", "de", "cannot"),
    ("Le bouton d'export est grisé", "fr", "cannot"),
    ("Notre règle d'alerte ne se déclenche plus", "fr", "cannot"),
    ("The reminder won't send from the app", "en", "cannot"),
    ("Les cartes se bloquent toutes les dix secondes", "fr", "timeout"),
    ("Die Dateien sind seit einer Stunde in Verarbeitung", "de", "pending"),
    ("The report just sits there saying queued", "en", "pending"),
])
def test_more_ways_of_saying_something_is_broken(sentence, language, concept):
    assert concept in analyze(sentence, language).concepts


@pytest.mark.parametrize(("sentence", "language", "concept"), [
    ("bjr le renouvellement marche plus pour nos clients", "fr", "outage"),      # spoken French drops "ne"
    ("L'export fonctionne plus depuis ce matin", "fr", "outage"),
    ("Alle fragen, ob ihre Stunden weg sind", "de", "missing"),                  # a German clause's verb comes last
    ("Ich sehe, dass der Beleg nicht angezeigt wird", "de", "missing"),
])
def test_spoken_french_and_german_subordinate_clauses_say_what_is_broken(sentence, language, concept):
    assert concept in analyze(sentence, language).concepts


def test_the_french_spoken_negation_still_leaves_what_works_working():
    from statuspage.support.scope import clauses

    assert clauses("L'export fonctionne normalement.", "fr") == [("L'export fonctionne normalement.", True)]


@pytest.mark.parametrize(("sentence", "language"), [
    ("The invoices themselves are correct, and admins can already download them.", "en"),
    ("Administratoren können bereits alle Rechnungen herunterladen.", "de"),
    ("Les administrateurs peuvent déjà télécharger les factures.", "fr"),
    ("Paket nutzen wir gar nicht.", "de"),
])
def test_an_update_saying_what_already_works_rules_it_out(sentence, language):
    from statuspage.support.scope import clauses

    assert clauses(sentence, language) == [(sentence, True)]


def test_what_still_works_beside_a_problem_is_only_that_clause():
    from statuspage.support.scope import clauses

    assert clauses("We can still log in, but exports fail", "en") == [("We can still log in", True), ("exports fail", False)]
    assert clauses("Wir können bereits keine Belege mehr hochladen", "de") == [
        ("Wir können bereits keine Belege mehr hochladen", False)]


def test_a_component_alias_with_any_word_after_the_gap_is_read_not_a_crash():
    """A component's name and aliases are read as lexicon forms, so an alias "backup ... *" (a typist's ellipsis
    before an asterisk) has "any word" in a form's tail: it matches like a head's "*" does (mypy found the tail
    was read as a (sequence, value) pair there, which failed for every ticket naming the alias's first word)."""
    extra = (("c:backup", ("backup ... *",)),)
    found = analyze("the backup job failed overnight", "en", extra)
    assert "c:backup" in found.concepts
    hit = next(h for h in found.hits if h.concept == "c:backup")
    assert hit.positions == (1,)      # the words a form names, as for a head's "*"
    assert "c:backup" not in analyze("my backup", "en", extra).concepts     # no word after it


@pytest.mark.parametrize(("sentence", "language", "concept"), [
    ("Please keep the rest of the order as it is.", "en", "pending"),      # French "reste": stays pending
    ("I bought a day pass for the weekend.", "en", "unaffected"),         # French "passe": goes through
    ("Since March we have paid twice.", "en", "unaffected"),              # French "marche": works
    ("Is there such an option for teams?", "en", "search"),               # German "suche"
    ("We lost the connection settings after the update.", "de", "missing"),   # a German text: "löst" is no "lost"
    ("Kind und Eltern sehen keine Nachrichten.", "de", "request"),       # English "kindly"
    ("Le planning de la semaine est vide.", "fr", "planned"),             # English "planned"
    ("Das Video stockt nicht, es ist nur leise.", "fr", "slow"),          # a German "stockt" in a French text
])
def test_a_word_of_another_language_that_means_something_else_is_not_read_as_that_language(sentence, language,
                                                                                            concept):
    """False friends: a form that only means the concept in its own language matches only in a text of that
    language (a mixed ticket keeps the shared words: "app", "export", "maintenance")."""
    assert concept not in analyze(sentence, language).concepts


def test_a_french_neither_after_what_is_not_affected_rules_both_out():
    from statuspage.support.scope import clauses

    sentence = "L'application iPad n'est pas concernée, pas plus que la version 5.2 sur Android."
    assert clauses(sentence, "fr") == [(sentence, True)]


def test_a_domain_name_or_a_time_ends_no_clause():
    from statuspage.support.scope import clauses, incident_scope

    said = "Addresses at Posteo and Mail.de are not affected. Orders placed before 09:30 today are kept."
    assert [c for c, _ in clauses(said, "en")] == ["Addresses at Posteo and Mail.de are not affected.",
                                                   "Orders placed before 09:30 today are kept."]
    assert {"posteo", "mail"} <= incident_scope(("Receipts to Outlook.com addresses are late", said), "en").terms_out
