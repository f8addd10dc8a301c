"""Reading the system's English lines back (system_text): every phrasing and every match-reason label is
known, the values come back out as they went in, and a line nothing knows is left alone."""
from __future__ import annotations

import re

import pytest

from statuspage.support.lexicon import CONCEPTS, CONTEXT, INTENT
from statuspage.support.matching import LABELS
from statuspage.system_text import check_errors, match_reasons

SAMPLES = {  # a value for every placeholder of the phrasings, shaped as the probes write it
    "latency": "1200", "limit": "800", "size": "1", "status": "503", "expected": "200 or 204", "text": "'Sign in'",
    "regex": "(", "error": "missing ), unterminated subpattern at position 0", "path": "$.status", "actual": "'down'",
    "count": "10", "detail": "http://x/", "url": "http://[x/", "resolved": "127.0.0.1 and ::1", "date": "2026-12-10",
    "num": "3", "reason": "certificate has expired", "seconds": "0.5", "host": "nonexistent.invalid",
    "target": "'localhost'", "shapes": "host:port", "kind": "'udp'", "age": "1d 2h", "period": "1d", "grace": "2h",
}


@pytest.mark.parametrize("phrasing", check_errors.PHRASINGS, ids=lambda p: p.message[:40])
def test_each_phrasing_reads_its_values_back(phrasing):
    for form in filter(None, (phrasing.message, phrasing.plural)):
        names = re.findall(r"%\((\w+)\)s", form)
        line = form % {name: SAMPLES[name] for name in names}
        found = check_errors._match(line)
        assert found is not None, line
        assert found[0] is phrasing and found[1] == {name: SAMPLES[name] for name in names}, (line, found)


def test_a_line_no_phrasing_knows_is_left_alone(app):
    with app.app_context():
        for line in ("RuntimeError: something odd", "status 503 expected 200", ""):
            assert check_errors.describe(line, "de") == line
            assert match_reasons.describe(line, "de") == line
        assert check_errors.describe(None, "de") == ""


def test_every_match_reason_label_has_words_with_the_same_note():
    assert set(LABELS) <= set(match_reasons.WORDS), set(LABELS) - set(match_reasons.WORDS)
    for feature, label in LABELS.items():
        assert ("{note}" in label) == ("%(note)s" in match_reasons.WORDS[feature]), feature


def test_every_word_the_matcher_puts_in_a_note_can_be_translated():
    labels = {concept.label for concept in CONCEPTS.values() if concept.kind in (CONTEXT, INTENT)}
    assert labels | {"planned maintenance"} <= match_reasons.CONCEPT_WORDS, labels - match_reasons.CONCEPT_WORDS


@pytest.mark.parametrize("line, german", [
    ("closest: incident 4 'API errors' (report 0.91, about 0.77)",
     "am nächsten: Störung 4 „API errors“ (report 0.91, about 0.77)"),
    ("created before the incident started: maintenance 2 'DB upgrade'",
     "vor Beginn der Störung erstellt: Wartung 2 „DB upgrade“"),
    ("created 2.5 days after the incident started (x0.81)", "2,5 Tage nach Beginn der Störung erstellt (x0.81)"),
    ("mentions 'Suche' (named in the incident) (about +0.42)", "erwähnt 'Suche' (in der Störung genannt) (about +0.42)"),
    ("asks for a refund or credit ('Gutschrift'): a person decides (intent -1.20)",
     "bittet um etwas, worüber ein Mensch entscheidet: eine Erstattung oder Gutschrift ('Gutschrift') (intent -1.20)"),
    ("began 1 day ago, before the incident (about -0.50)", "begann vor 1 Tag, vor der Störung (about -0.50)"),
    ("affects many users, started recently (report +0.10)", "betrifft viele Nutzer, hat vor kurzem begonnen (report +0.10)"),
    ("within the incident's scope: a place it names, berlin (scope +0.30)",
     "im Bereich der Störung: ein Ort, den sie nennt, berlin (Bereich +0,30)"),
    ("no open incident or maintenance in progress", "keine offene Störung und keine laufende Wartung"),
])
def test_match_reasons_in_german(app, line, german):
    with app.app_context():
        assert match_reasons.describe(line, "de") == german
        assert match_reasons.describe(line, "en") == line


@pytest.mark.parametrize("line, german, french", [
    ("status 500, expected 200, 201 or 204", "Status 500, erwartet 200, 201 oder 204", "statut 500, attendu 200, 201 ou 204"),
    ("timed out after 0.5 s", "Zeitüberschreitung nach 0,5 s", "délai dépassé après 0,5 s"),
    ("certificate expires in 1 day (2026-12-10), limit 14", "Zertifikat läuft in 1 Tag ab (10.12.2026), Grenze 14",
     "le certificat expire dans 1 jour (10 déc. 2026), limite 14"),
    ("resolves to nothing, expected 10.0.0.1 and ::1", "löst auf zu nichts, erwartet 10.0.0.1 und ::1",
     "se résout en rien, attendu 10.0.0.1 et ::1"),
])
def test_check_errors_say_their_values_as_the_reader_writes_them(app, line, german, french):
    with app.app_context():
        assert (check_errors.describe(line, "de"), check_errors.describe(line, "fr")) == (german, french)
        assert check_errors.describe(line, "en") == line


@pytest.mark.parametrize("line, german, french", [
    ("closest: incident 4 'API errors' (topic 1.00, problem 0.97, scope 0.99)",
     "am nächsten: Störung 4 „API errors“ (Thema 1,00, Problem 0,97, Bereich 0,99)",
     "le plus proche : incident 4 « API errors » (sujet 1,00, problème 0,97, périmètre 0,99)"),
    ("reports no symptom (problem -2.73)", "meldet kein Symptom (Problem -2,73)", "ne signale aucun symptôme (problème -2,73)"),
    ("several sentences fit the incident (topic +6.52)", "mehrere Sätze passen zur Störung (Thema +6,52)",
     "plusieurs phrases correspondent à l’incident (sujet +6,52)"),
])
def test_the_matchers_gates_are_said_in_the_readers_words_and_numbers(app, line, german, french):
    with app.app_context():
        assert (match_reasons.describe(line, "de"), match_reasons.describe(line, "fr")) == (german, french)
        assert match_reasons.describe(line, "en") == line
